package statelang

import (
	"math"
)

// jsonPathOnlyFields are the state fields AWS accepts only when the state's
// QueryLanguage is JSONPath.
var jsonPathOnlyFields = []string{
	"InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Result",
	"ItemsPath", "SecondsPath", "TimestampPath", "ErrorPath", "CausePath",
	"TimeoutSecondsPath", "HeartbeatSecondsPath", "MaxConcurrencyPath",
	"ToleratedFailureCountPath", "ToleratedFailurePercentagePath",
}

// jsonataOnlyFields are the state fields AWS accepts only when the state's
// QueryLanguage is JSONata.
var jsonataOnlyFields = []string{"Arguments", "Output", "Items"}

// jsonataState reads the fields of a state whose QueryLanguage is JSONata
// (Type, Comment, QueryLanguage, Next/End and Assign are read already).
func (p *parser) jsonataState(f *fields, st *State) {
	loc := f.loc
	for _, k := range jsonPathOnlyFields {
		if _, ok := f.raw(k); ok {
			p.d.add(loc.at(k), "The field '%s' is not supported when the QueryLanguage is JSONata", k)
		}
	}
	if st.Type != TypeFail {
		if v, ok := f.raw("Output"); ok {
			st.output = p.jvalue(loc.at("Output"), v)
		}
	}
	if st.Type == TypeTask || st.Type == TypeParallel {
		if v, ok := f.raw("Arguments"); ok {
			_, isObj := v.(map[string]any)
			str, _ := v.(string)
			if _, isExpr := jsonataText(str); !isObj && !isExpr {
				p.d.add(loc.at("Arguments"), "The value of the field 'Arguments' must be an object or a JSONata expression")
			}
			st.arguments = p.jvalue(loc.at("Arguments"), v)
		}
	}
	switch st.Type {
	case TypeTask:
		if r, ok := f.str("Resource"); ok {
			st.Resource = ParseResource(r)
			if msg := st.Resource.check(); msg != "" {
				p.d.add(loc.at("Resource"), "%s", msg)
			}
		} else if !f.has("Resource") {
			p.d.add(loc, "These fields are required: [Resource]")
		}
		p.recovery(f, st)
		st.TimeoutSeconds, st.jTimeout = p.intOrExpr(f, "TimeoutSeconds", 1, 99999999)
		st.HeartbeatSeconds, st.jHeartbeat = p.intOrExpr(f, "HeartbeatSeconds", 1, 99999999)
		if st.TimeoutSeconds > 0 && st.HeartbeatSeconds > 0 && st.HeartbeatSeconds >= st.TimeoutSeconds {
			p.d.add(loc.at("HeartbeatSeconds"), "The value of 'HeartbeatSeconds' must be smaller than the value of 'TimeoutSeconds'")
		}
		if c, ok := f.object("Credentials"); ok {
			cloc := loc.at("Credentials")
			if _, has := c["RoleArn"]; !has {
				// As AWS: the missing field only, not the others besides.
				p.d.add(cloc, "The field 'RoleArn' is required but was missing")
			} else {
				for k := range c {
					if k != "RoleArn" {
						p.d.add(cloc.at(k), "Field '%s' is not supported by Credentials", k)
					}
				}
			}
			st.credentials = p.jvalue(cloc, c)
		}
	case TypeParallel:
		p.recovery(f, st)
		p.branches(f, st)
	case TypeMap:
		p.mapState(f, st)
	case TypeChoice:
		p.jsonataChoice(f, st)
	case TypeWait:
		n := 0
		for _, k := range []string{"Seconds", "Timestamp"} {
			if f.has(k) {
				n++
			}
		}
		if n != 1 {
			p.d.add(loc, "A Wait state must have exactly one of 'Seconds' or 'Timestamp'")
		}
		if f.has("Seconds") {
			n, j := p.intOrExpr(f, "Seconds", 0, 99999999)
			if j != nil {
				st.jSeconds = j
			} else if f.has("Seconds") {
				st.Seconds = &n
			}
		}
		if v, ok := f.m["Timestamp"]; ok {
			if s, isStr := v.(string); isStr {
				if _, isExpr := jsonataText(s); isExpr {
					f.used["Timestamp"] = true
					st.jTimestamp = p.jvalue(loc.at("Timestamp"), s)
					break
				}
			}
			if s, ok := f.str("Timestamp"); ok {
				if t, valid := ParseTimestamp(s); valid {
					st.Timestamp = &t
				} else {
					p.d.add(loc.at("Timestamp"), "String does not match RFC3339 timestamp")
				}
			}
		}
	case TypeFail:
		for _, k := range []string{"Error", "Cause"} {
			s, ok := f.str(k)
			if !ok {
				continue
			}
			var j *jvalue
			if _, isExpr := jsonataText(s); isExpr {
				j = p.jvalue(loc.at(k), s)
			}
			if k == "Error" {
				st.Error, st.jError = s, j
			} else {
				st.Cause, st.jCause = s, j
			}
		}
	}
}

// intOrExpr reads an integer field that JSONata mode also accepts as an
// expression.
func (p *parser) intOrExpr(f *fields, k string, lo, hi int64) (int64, *jvalue) {
	v, ok := f.m[k]
	if !ok {
		return 0, nil
	}
	if s, isStr := v.(string); isStr {
		if _, isExpr := jsonataText(s); isExpr {
			f.used[k] = true
			return 0, p.jvalue(f.loc.at(k), s)
		}
	}
	n, _ := f.integer(k, lo, hi)
	return n, nil
}

// floatOrExpr reads ToleratedFailurePercentage, which JSONata mode also
// accepts as an expression.
func (p *parser) floatOrExpr(f *fields, k string) (*float64, *jvalue) {
	v, ok := f.raw(k)
	if !ok {
		return nil, nil
	}
	if s, isStr := v.(string); isStr {
		if _, isExpr := jsonataText(s); isExpr {
			return nil, p.jvalue(f.loc.at(k), s)
		}
	}
	pct, isNum := toFloat(v)
	if !isNum || pct < 0 || pct > 100 || math.IsNaN(pct) {
		p.d.add(f.loc.at(k), "The value of the field '%s' must be a number between 0 and 100", k)
		return nil, nil
	}
	return &pct, nil
}

// jsonataChoice reads the Choices and Default of a JSONata Choice state:
// each rule is a Condition with Next, and optionally Output and Assign.
func (p *parser) jsonataChoice(f *fields, st *State) {
	st.Default, _ = f.str("Default")
	list, ok := f.array("Choices")
	if !ok {
		if !f.has("Choices") {
			p.d.add(f.loc, "These fields are required: [Choices]")
		}
		return
	}
	if len(list) == 0 {
		p.d.add(f.loc.at("Choices"), "The field 'Choices' must have at least one rule")
	}
	for i, r := range list {
		rloc := f.loc.at("Choices").item(i)
		rm, ok := r.(map[string]any)
		if !ok {
			p.d.add(rloc, "Expected value of type: Object")
			continue
		}
		rf := p.fields(rloc, rm)
		rule := &ChoiceRule{}
		rule.Comment, _ = rf.str("Comment")
		if n, ok := rf.str("Next"); ok {
			rule.Next = n
		} else if !rf.has("Next") {
			p.d.add(rloc, "The field 'Next' is required but was missing")
		}
		if v, ok := rf.raw("Condition"); ok {
			switch t := v.(type) {
			case bool:
			case string:
				if _, isExpr := jsonataText(t); !isExpr {
					p.d.add(rloc.at("Condition"), "The value of the field 'Condition' must be a boolean or a JSONata expression")
				}
			default:
				p.d.add(rloc.at("Condition"), "The value of the field 'Condition' must be a boolean or a JSONata expression")
			}
			rule.condition = p.jvalue(rloc.at("Condition"), v)
		} else {
			p.d.add(rloc, "The field 'Condition' is required but was missing")
		}
		if v, ok := rf.raw("Output"); ok {
			rule.output = p.jvalue(rloc.at("Output"), v)
		}
		if v, ok := rf.raw("Assign"); ok {
			rule.assign = compileAssign(&p.d, rloc.at("Assign"), v, true)
		}
		for k := range rm {
			if k == "Variable" || choiceOps[k] != nil || k == "And" || k == "Or" || k == "Not" {
				rf.used[k] = true
				p.d.add(rloc.at(k), "The field '%s' is not supported when the QueryLanguage is JSONata: use 'Condition'", k)
			}
		}
		rf.done("a Choice Rule")
		st.Choices = append(st.Choices, rule)
	}
}
