package statelang

import (
	"cmp"
	"encoding/json"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ChoiceRule is one rule of a Choice state (JSONPath mode). A top-level
// rule has Next; a rule nested in And, Or or Not has none.
//
// A rule is either a Boolean combination (exactly one of And, Or, Not is
// set) or a comparison: Variable, an Operator such as "StringEquals" or
// "NumericLessThanPath", and its operand (Operand for a literal, OperandPath
// for a ...Path operator).
type ChoiceRule struct {
	Next    string
	Comment string

	And []*ChoiceRule
	Or  []*ChoiceRule
	Not *ChoiceRule

	Variable    *Path
	Operator    string
	Operand     any   // the literal operand as written (string, number or bool)
	OperandPath *Path // the operand of a ...Path operator

	op *choiceOp
	// condition is the JSONata rule's Condition (a boolean or an
	// expression); output and assign are a top-level rule's own Output
	// (JSONata) and Assign.
	condition *jvalue
	output    *jvalue
	assign    *assignment
	instant   time.Time // Timestamp... literal operand, parsed
	pattern   []string  // StringMatches: the literal pieces between unescaped '*'
}

// choiceFamily is the kind of value a comparison operator works on.
type choiceFamily int

const (
	famString choiceFamily = iota
	famNumeric
	famBoolean
	famTimestamp
	famMatches
	famIs
)

// choiceOp describes one comparison operator.
type choiceOp struct {
	family choiceFamily
	// test turns the result of comparing the variable with the operand
	// (-1, 0, 1) into the rule's answer (the ordering families only).
	test func(c int) bool
	path bool   // the operand is a path (…Path operators)
	is   string // the Is* operators: IsNull, IsPresent, ...
}

var choiceOps = func() map[string]*choiceOp {
	ops := map[string]*choiceOp{}
	tests := map[string]func(int) bool{
		"Equals":            func(c int) bool { return c == 0 },
		"LessThan":          func(c int) bool { return c < 0 },
		"GreaterThan":       func(c int) bool { return c > 0 },
		"LessThanEquals":    func(c int) bool { return c <= 0 },
		"GreaterThanEquals": func(c int) bool { return c >= 0 },
	}
	for prefix, fam := range map[string]choiceFamily{"String": famString, "Numeric": famNumeric, "Timestamp": famTimestamp} {
		for suffix, test := range tests {
			ops[prefix+suffix] = &choiceOp{family: fam, test: test}
			ops[prefix+suffix+"Path"] = &choiceOp{family: fam, test: test, path: true}
		}
	}
	ops["BooleanEquals"] = &choiceOp{family: famBoolean, test: tests["Equals"]}
	ops["BooleanEqualsPath"] = &choiceOp{family: famBoolean, test: tests["Equals"], path: true}
	ops["StringMatches"] = &choiceOp{family: famMatches}
	for _, is := range []string{"IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"} {
		ops[is] = &choiceOp{family: famIs, is: is}
	}
	return ops
}()

// parseChoiceRule parses one Choice rule found at loc (a JSON pointer). A top
// rule must have Next; nested rules (in And/Or/Not) must not.
//
// Every problem is reported to d; the rule returned is then incomplete and
// must not be evaluated.
func parseChoiceRule(d *diagnostics, loc *location, raw map[string]any, top bool) *ChoiceRule {
	r := &ChoiceRule{}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	var operators []string // comparison operators and And/Or/Not, as found
	var comparison string
	for _, k := range keys {
		v := raw[k]
		kloc := loc.at(k)
		switch k {
		case "Comment":
			if s, ok := v.(string); ok {
				r.Comment = s
			} else {
				d.add(kloc, "The value for the field 'Comment' must be a STRING")
			}
		case "Next":
			if !top {
				d.add(loc, "Field 'Next' is not supported")
				continue
			}
			if s, ok := v.(string); ok {
				r.Next = s
			} else {
				d.add(kloc, "The value for the field 'Next' must be a STRING")
			}
		case "Variable":
			r.Variable = parseChoicePath(d, kloc, k, v)
		case "And", "Or":
			operators = append(operators, k)
			rules := parseChoiceRuleList(d, kloc, k, v)
			if k == "And" {
				r.And = rules
			} else {
				r.Or = rules
			}
		case "Not":
			operators = append(operators, k)
			m, ok := v.(map[string]any)
			if !ok {
				d.add(kloc, "The value for the field 'Not' must be an OBJECT")
				continue
			}
			r.Not = parseChoiceRule(d, kloc, m, false)
		case "Assign":
			if !top {
				d.add(loc, "Field 'Assign' is not supported")
				continue
			}
			r.assign = compileAssign(d, kloc, v, false)
		default:
			op, ok := choiceOps[k]
			if !ok {
				d.add(loc, "Field '%s' is not supported", k)
				continue
			}
			operators = append(operators, k)
			comparison = k
			r.parseOperand(d, kloc, k, op, v)
		}
	}

	switch len(operators) {
	case 0:
		d.add(loc, "A Choice Rule must have exactly one comparison operator or one of the fields 'And', 'Or', 'Not', but has none")
	case 1:
	default:
		d.add(loc, "A Choice Rule must have exactly one comparison operator or one of the fields 'And', 'Or', 'Not', but has %d: %s",
			len(operators), strings.Join(operators, ", "))
	}
	if comparison != "" {
		if _, ok := raw["Variable"]; !ok {
			d.add(loc, "The field 'Variable' is required but was missing")
		}
	} else if len(operators) > 0 {
		if _, ok := raw["Variable"]; ok {
			d.add(loc, "Field 'Variable' is not supported")
		}
	}
	if _, ok := raw["Next"]; top && !ok {
		d.add(loc, "The field 'Next' is required but was missing")
	}
	return r
}

// parseChoiceRuleList parses the value of And or Or: a non-empty array of
// rules.
func parseChoiceRuleList(d *diagnostics, loc *location, field string, v any) []*ChoiceRule {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		d.add(loc, "The value for the field '%s' must be a non-empty ARRAY of Choice Rules", field)
		return nil
	}
	rules := make([]*ChoiceRule, 0, len(list))
	for i, e := range list {
		eloc := loc.item(i)
		m, ok := e.(map[string]any)
		if !ok {
			d.add(eloc, "The value for the field '%s' must be an ARRAY of OBJECTs but item %d is a %s", field, i, jsonKindName(e))
			continue
		}
		rules = append(rules, parseChoiceRule(d, eloc, m, false))
	}
	return rules
}

// parseChoicePath parses Variable or the operand of a …Path operator.
func parseChoicePath(d *diagnostics, loc *location, field string, v any) *Path {
	s, ok := v.(string)
	if !ok {
		d.add(loc, "The value for the field '%s' must be a STRING that contains a JSONPath but was a %s", field, jsonKindName(v))
		return nil
	}
	p, err := ParsePath(s)
	if err != nil {
		d.add(loc, "The value for the field '%s' must be a valid JSONPath: %v", field, err)
		return nil
	}
	return p
}

// parseOperand checks and records the operand of a comparison operator.
func (r *ChoiceRule) parseOperand(d *diagnostics, loc *location, name string, op *choiceOp, v any) {
	r.Operator = name
	r.op = op
	if op.path {
		r.OperandPath = parseChoicePath(d, loc, name, v)
		return
	}
	r.Operand = v
	switch op.family {
	case famString:
		if _, ok := v.(string); !ok {
			d.add(loc, "The value for the field '%s' must be a STRING", name)
		}
	case famMatches:
		s, ok := v.(string)
		if !ok {
			d.add(loc, "The value for the field '%s' must be a STRING", name)
			return
		}
		r.pattern = compileMatchPattern(s)
	case famNumeric:
		if !isNumber(v) {
			d.add(loc, "The value for the field '%s' must be a NUMBER", name)
		}
	case famBoolean, famIs:
		if _, ok := v.(bool); !ok {
			d.add(loc, "The value for the field '%s' must be a BOOLEAN", name)
		}
	case famTimestamp:
		s, ok := v.(string)
		if !ok {
			d.add(loc, "The value for the field '%s' must be a STRING", name)
			return
		}
		t, ok := parseChoiceTimestamp(s)
		if !ok {
			d.add(loc, "String does not match RFC3339 timestamp")
			return
		}
		r.instant = t
	}
}

// eval reports whether the rule matches the input. A Variable (or …Path
// operand) that selects nothing fails with States.Runtime, except for
// IsPresent; a value of the wrong type simply does not match.
func (r *ChoiceRule) eval(input, context any) (bool, *Failure) {
	switch {
	case r.And != nil:
		for _, c := range r.And {
			ok, f := c.eval(input, context)
			if f != nil || !ok {
				return false, f
			}
		}
		return true, nil
	case r.Or != nil:
		for _, c := range r.Or {
			ok, f := c.eval(input, context)
			if f != nil || ok {
				return ok, f
			}
		}
		return false, nil
	case r.Not != nil:
		ok, f := r.Not.eval(input, context)
		if f != nil {
			return false, f
		}
		return !ok, nil
	case r.op == nil || r.Variable == nil:
		return false, nil
	}

	op := r.op
	if op.is == "IsPresent" {
		want, _ := r.Operand.(bool)
		return r.Variable.Has(input, context) == want, nil
	}
	v, f := choiceSelect(r.Variable, input, context)
	if f != nil {
		return false, f
	}
	if op.family == famIs {
		want, _ := r.Operand.(bool)
		return isChoiceKind(op.is, v) == want, nil
	}
	if op.family == famMatches {
		s, ok := v.(string)
		return ok && r.pattern != nil && matchPattern(r.pattern, s), nil
	}

	operand := r.Operand
	if op.path {
		if r.OperandPath == nil {
			return false, nil
		}
		if operand, f = choiceSelect(r.OperandPath, input, context); f != nil {
			return false, f
		}
	}
	switch op.family {
	case famString:
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		return ok1 && ok2 && op.test(compareUTF16(a, b)), nil
	case famNumeric:
		if !isNumber(v) || !isNumber(operand) {
			return false, nil
		}
		return op.test(compareNumbers(v, operand)), nil
	case famBoolean:
		a, ok1 := v.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b, nil
	case famTimestamp:
		s, ok := v.(string)
		if !ok {
			return false, nil
		}
		a, ok := parseChoiceTimestamp(s)
		if !ok {
			return false, nil
		}
		b := r.instant
		if op.path {
			bs, ok := operand.(string)
			if !ok {
				return false, nil
			}
			if b, ok = parseChoiceTimestamp(bs); !ok {
				return false, nil
			}
		}
		return op.test(a.Compare(b)), nil
	}
	return false, nil
}

// choiceSelect reads the value a Variable or …Path operand selects. When it
// selects nothing, AWS fails the state with States.Runtime.
func choiceSelect(p *Path, input, context any) (any, *Failure) {
	v, err := p.Get(input, context)
	if err == nil {
		if a, ok := v.([]any); !ok || p.definite || len(a) > 0 {
			return v, nil
		}
	}
	return nil, failf(ErrRuntime, "Invalid path '%s': The choice state's condition path references an invalid value.", p.String())
}

// isChoiceKind answers the Is* operators (other than IsPresent) for v.
func isChoiceKind(is string, v any) bool {
	switch is {
	case "IsNull":
		return v == nil
	case "IsNumeric":
		return isNumber(v)
	case "IsString":
		_, ok := v.(string)
		return ok
	case "IsBoolean":
		_, ok := v.(bool)
		return ok
	case "IsTimestamp":
		s, ok := v.(string)
		if !ok {
			return false
		}
		_, ok = parseChoiceTimestamp(s)
		return ok
	}
	return false
}

// compareNumbers compares two JSON numbers by value: integers beyond 2^53
// and json.Number values are not rounded through float64.
func compareNumbers(a, b any) int {
	if ai, ok := a.(int64); ok {
		if bi, ok := b.(int64); ok {
			return cmp.Compare(ai, bi)
		}
	}
	if af, ok := a.(float64); ok {
		if bf, ok := b.(float64); ok {
			return cmp.Compare(af, bf)
		}
	}
	ab, ok1 := toBigFloat(a)
	bb, ok2 := toBigFloat(b)
	if ok1 && ok2 {
		return ab.Cmp(bb)
	}
	af, _ := toFloat(a)
	bf, _ := toFloat(b)
	return cmp.Compare(af, bf)
}

// toBigFloat converts a JSON number to a big.Float with enough precision
// for every int64 and float64 exactly, and json.Number to ~150 digits.
func toBigFloat(v any) (*big.Float, bool) {
	f := new(big.Float).SetPrec(512)
	switch t := v.(type) {
	case int64:
		return f.SetInt64(t), true
	case int:
		return f.SetInt64(int64(t)), true
	case float64:
		if math.IsNaN(t) {
			return nil, false
		}
		return f.SetFloat64(t), true
	case json.Number:
		if !modestNumber(string(t)) {
			return nil, false
		}
		_, ok := f.SetString(string(t))
		return f, ok
	}
	return nil, false
}

// modestNumber reports whether a number's text is short and its decimal
// exponent small enough for big.Float to parse quickly (a long mantissa
// with a huge exponent takes seconds). The others, far outside float64's
// range anyway, are compared as float64.
func modestNumber(s string) bool {
	if len(s) > 800 {
		return false
	}
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return true
	}
	e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
	return err == nil && e >= -400 && e <= 400
}

// compareUTF16 compares strings in UTF-16 code unit order, as Java's
// String.compareTo does on AWS (it differs from byte order only between
// supplementary characters and U+E000..U+FFFF).
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			return cmp.Compare(utf16Key(ra), utf16Key(rb))
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

// utf16Key maps a rune to a key that sorts as its first UTF-16 code unit
// (with the full rune as a tie-breaker among surrogate pairs).
func utf16Key(r rune) int64 {
	if r >= 0x10000 {
		hi := 0xD800 + (r-0x10000)>>10
		return int64(hi)<<21 | int64(r)
	}
	return int64(r) << 21
}

// compileMatchPattern splits a StringMatches pattern into the literal pieces
// around its unescaped '*' wildcards. `\*` is a literal '*', `\\` a literal
// backslash; a backslash before any other character stands for that
// character.
func compileMatchPattern(s string) []string {
	pieces := []string{}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			sb.WriteByte(s[i])
		case c == '*':
			pieces = append(pieces, sb.String())
			sb.Reset()
		default:
			sb.WriteByte(c)
		}
	}
	return append(pieces, sb.String())
}

// matchPattern reports whether s matches the pieces of a compiled
// StringMatches pattern: pieces[0] is a prefix, the last piece a suffix and
// the ones between appear in order, each '*' standing for any run of
// characters (possibly empty).
func matchPattern(pieces []string, s string) bool {
	if len(pieces) == 1 {
		return s == pieces[0]
	}
	first, last := pieces[0], pieces[len(pieces)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	rest := s[len(first) : len(s)-len(last)]
	for _, p := range pieces[1 : len(pieces)-1] {
		i := strings.Index(rest, p)
		if i < 0 {
			return false
		}
		rest = rest[i+len(p):]
	}
	return true
}

// choiceTimestampRE is the RFC 3339 profile AWS accepts: an uppercase T
// between date and time, optional fractional seconds, and a zone that is
// an uppercase Z or a numeric offset.
var choiceTimestampRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$`)

// parseChoiceTimestamp parses an RFC 3339 timestamp with a zone, as the
// Timestamp… operators and IsTimestamp do on AWS.
func parseChoiceTimestamp(s string) (time.Time, bool) {
	if !choiceTimestampRE.MatchString(s) {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
