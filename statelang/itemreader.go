package statelang

import (
	"fmt"
	"math"
)

// A distributed Map's ItemReader: where its items come from when they are
// not in the state's input (an object, or the objects under a prefix, in
// an object store). Reading is I/O, so the step API only evaluates the
// reader: entering such a Map gives a StepMap with Read set and no
// Inputs; the driver reads the items and hands them to MapItems, which
// gives the Inputs.

// The ItemReader resources.
const (
	ReaderGetObject     = "arn:aws:states:::s3:getObject"
	ReaderListObjectsV2 = "arn:aws:states:::s3:listObjectsV2"
)

// ItemReader is a Map's ItemReader field.
type ItemReader struct {
	Resource   string
	Parameters *Template // JSONPath
	// Config is the ReaderConfig as written, but MaxItemsPath.
	Config       map[string]any
	MaxItemsPath *Path

	arguments *jvalue // JSONata
}

// ReadCall is an ItemReader evaluated for one Map: the resource, its
// parameters (Bucket, Key or Prefix …) and the ReaderConfig with MaxItems
// resolved.
type ReadCall struct {
	Resource   string
	Parameters map[string]any
	Config     map[string]any
}

// readerConfigFields are the fields of a ReaderConfig.
var readerConfigFields = []string{"InputType", "CSVHeaderLocation", "CSVHeaders", "CSVDelimiter", "MaxItems", "MaxItemsPath", "ManifestType"}

// itemReader reads a Map's ItemReader.
func (p *parser) itemReader(loc *location, m map[string]any, jsonata bool) *ItemReader {
	f := p.fields(loc, m)
	r := &ItemReader{}
	if s, ok := f.str("Resource"); ok {
		if s != ReaderGetObject && s != ReaderListObjectsV2 {
			p.d.add(loc.at("Resource"), "The ItemReader resource must be %s or %s", ReaderGetObject, ReaderListObjectsV2)
		}
		r.Resource = s
	} else if !f.has("Resource") {
		p.d.add(loc, "These fields are required: [Resource]")
	}
	if jsonata {
		if v, ok := f.raw("Arguments"); ok {
			r.arguments = p.jvalue(loc.at("Arguments"), v)
		}
		if f.has("Parameters") {
			p.d.add(loc.at("Parameters"), "The field 'Parameters' is not supported with the QueryLanguage JSONata: use 'Arguments'")
		}
	} else {
		if v, ok := f.raw("Parameters"); ok {
			r.Parameters = p.template(loc.at("Parameters"), v)
		}
		if f.has("Arguments") {
			p.d.add(loc.at("Arguments"), "The field 'Arguments' needs the QueryLanguage JSONata: use 'Parameters'")
		}
	}
	if cm, ok := f.object("ReaderConfig"); ok {
		cf := p.fields(loc.at("ReaderConfig"), cm)
		r.Config = map[string]any{}
		for _, k := range readerConfigFields {
			if v, ok := cf.raw(k); ok && k != "MaxItemsPath" {
				r.Config[k] = v
			}
		}
		if cf.has("MaxItems") {
			cf.integer("MaxItems", 0, math.MaxInt32)
		}
		if !jsonata {
			r.MaxItemsPath = cf.path("MaxItemsPath")
		}
		p.notBoth(cf, "MaxItems", "MaxItemsPath")
		if it, ok := cf.str("InputType"); ok && it != "JSON" && it != "JSONL" && it != "CSV" && it != "MANIFEST" {
			p.d.add(cf.loc.at("InputType"), "The value of the field 'InputType' must be one of JSON, JSONL, CSV, MANIFEST")
		}
		cf.done("ReaderConfig")
	}
	f.done("ItemReader")
	return r
}

// readCall evaluates the state's ItemReader on its effective input.
func (s *State) readCall(eff any, c *Context, ctxObj any, env *Env) (*ReadCall, *Failure) {
	r := s.Reader
	rc := &ReadCall{Resource: r.Resource, Parameters: map[string]any{}, Config: map[string]any{}}
	for k, v := range r.Config {
		rc.Config[k] = v
	}
	var params any
	var f *Failure
	switch {
	case r.arguments != nil:
		params, f = r.arguments.eval(newJScope(eff, c, env), "Arguments")
		if f != nil {
			return nil, s.asQuery(c, f)
		}
	case r.Parameters != nil:
		if params, f = r.Parameters.Eval(eff, ctxObj, env); f != nil {
			return nil, s.asRuntime(c, f)
		}
	}
	if params != nil {
		m, ok := params.(map[string]any)
		if !ok {
			return nil, s.runtimeFailure(c, ErrRuntime, "The ItemReader's parameters must be a JSON object, but were: "+MarshalString(params))
		}
		rc.Parameters = m
	}
	if r.MaxItemsPath != nil {
		v, err := r.MaxItemsPath.Get(eff, ctxObj)
		if err != nil {
			return nil, s.pathFailure(c, err, r.MaxItemsPath)
		}
		// A negative count is the reader's to refuse, as AWS does: the
		// Map Run starts and fails with States.ItemReaderFailed.
		n, ok := asInteger(integerText(v))
		if !ok {
			return nil, s.runtimeFailure(c, ErrRuntime, fmt.Sprintf(
				"The MaxItemsPath field refers to value \"%s\" which is not a valid integer: %s", rawText(v), r.MaxItemsPath))
		}
		rc.Config["MaxItems"] = n
	}
	return rc, nil
}

// MapItems gives the Inputs of a Map whose ItemReader read items: the
// items through the state's ItemSelector. input is the state's input,
// as given to Enter.
func (s *State) MapItems(input any, items []any, c *Context, env *Env) Step {
	st := Step{Kind: StepMap}
	if s.IsJSONata() {
		return s.selectJSONata(st, items, newJScope(input, c, env), c)
	}
	ctxObj := s.contextObject(c)
	eff, f := s.applyPath(s.InputPath, input, c, ctxObj)
	if f != nil {
		return fail(f)
	}
	return s.selectItems(st, items, eff, c, env)
}
