package statelang

// A distributed Map's ResultWriter: what becomes of its children's
// results instead of the state's result. With a Resource, they are
// written to the objects of a prefix in an object store: the driver
// evaluates the writer with WriteCall once the Map's iterations are done,
// writes, and completes the state with {"MapRunArn",
// "ResultWriterDetails": {"Bucket", "Key"}}. With only a WriterConfig,
// they are the state's result, transformed as it says.

// WriterPutObject is the ResultWriter resource.
const WriterPutObject = "arn:aws:states:::s3:putObject"

// The WriterConfig's Transformation: what a child's entry is.
const (
	// TransformNONE: the child execution's record (ARN, name, input,
	// output or error, status, dates), the default with a Resource.
	TransformNONE = "NONE"
	// TransformCOMPACT: a succeeded child's output alone, the default
	// without a Resource.
	TransformCOMPACT = "COMPACT"
	// TransformFLATTEN: as COMPACT, an array output giving one entry per
	// element.
	TransformFLATTEN = "FLATTEN"
)

// The WriterConfig's OutputType: how the entries are written.
const (
	OutputJSON  = "JSON"  // a JSON array, the default
	OutputJSONL = "JSONL" // JSON Lines: an entry a line
)

// ResultWriter is a Map's ResultWriter field.
type ResultWriter struct {
	Resource   string    // "": the results are the state's result (WriterConfig alone)
	Parameters *Template // JSONPath
	arguments  *jvalue   // JSONata
	// Transformation and OutputType are the WriterConfig's, "" when not
	// given (WriteCall applies the defaults).
	Transformation, OutputType string
}

// WriteCall is a ResultWriter evaluated for one Map: its resource ("" to
// give the results as the state's result), its parameters (Bucket,
// Prefix) and its WriterConfig, defaults applied.
type WriteCall struct {
	Resource                   string
	Parameters                 map[string]any
	Transformation, OutputType string
}

// resultWriter reads a Map's ResultWriter. As on AWS, it has a
// WriterConfig, or a Resource with its Parameters (Arguments in JSONata),
// or all of them.
func (p *parser) resultWriter(loc *location, m map[string]any, jsonata bool) *ResultWriter {
	f := p.fields(loc, m)
	w := &ResultWriter{}
	if s, ok := f.str("Resource"); ok {
		if s != WriterPutObject {
			p.d.add(loc.at("Resource"), "The ResultWriter resource must be %s", WriterPutObject)
		}
		w.Resource = s
	}
	params := "Parameters"
	if jsonata {
		params = "Arguments"
		if v, ok := f.raw("Arguments"); ok {
			w.arguments = p.jvalue(loc.at("Arguments"), v)
		}
	} else if v, ok := f.raw("Parameters"); ok {
		w.Parameters = p.template(loc.at("Parameters"), v)
	}
	switch {
	case !f.has("Resource") && !f.has("WriterConfig"):
		p.d.add(loc, "The ResultWriter needs the field 'WriterConfig', or the fields 'Resource' and '%s'", params)
	case !f.has("Resource") && f.has(params):
		p.d.add(loc.at(params), "The field '%s' of the ResultWriter needs the field 'Resource'", params)
	}
	if cm, ok := f.object("WriterConfig"); ok {
		cf := p.fields(loc.at("WriterConfig"), cm)
		if t, ok := cf.str("Transformation"); ok {
			if t != TransformNONE && t != TransformCOMPACT && t != TransformFLATTEN {
				p.d.add(cf.loc.at("Transformation"), "The value of the field 'Transformation' must be one of NONE, COMPACT, FLATTEN")
			}
			w.Transformation = t
		}
		if o, ok := cf.str("OutputType"); ok {
			if o != OutputJSON && o != OutputJSONL {
				p.d.add(cf.loc.at("OutputType"), "The value of the field 'OutputType' must be one of JSON, JSONL")
			}
			w.OutputType = o
		}
		cf.done("WriterConfig")
	}
	f.done("ResultWriter")
	return w
}

// WriteCall evaluates the state's ResultWriter on its input (as given to
// Enter).
func (s *State) WriteCall(input any, c *Context, env *Env) (*WriteCall, *Failure) {
	w := s.Writer
	wc := &WriteCall{Resource: w.Resource, Parameters: map[string]any{}, Transformation: w.Transformation, OutputType: w.OutputType}
	if wc.Transformation == "" {
		wc.Transformation = TransformNONE // exported: the executions as they are
		if w.Resource == "" {
			wc.Transformation = TransformCOMPACT // the state's result: the outputs, as a Map's
		}
	}
	if wc.OutputType == "" {
		wc.OutputType = OutputJSON
	}
	var params any
	var f *Failure
	switch {
	case w.arguments != nil:
		if params, f = w.arguments.eval(newJScope(input, c, env), "Arguments"); f != nil {
			return nil, s.asQuery(c, f)
		}
	case w.Parameters != nil:
		ctxObj := s.contextObject(c)
		eff, f := s.applyPath(s.InputPath, input, c, ctxObj)
		if f != nil {
			return nil, f
		}
		if params, f = w.Parameters.Eval(eff, ctxObj, env); f != nil {
			return nil, s.asRuntime(c, f)
		}
	}
	if params != nil {
		m, ok := params.(map[string]any)
		if !ok {
			return nil, s.runtimeFailure(c, ErrRuntime, "The ResultWriter's parameters must be a JSON object, but were: "+MarshalString(params))
		}
		wc.Parameters = m
	}
	return wc, nil
}
