package statelang

// A distributed Map's ResultWriter: where its children's results go
// instead of the state's result (the objects of a prefix in an object
// store). Writing is I/O: the driver evaluates the writer with WriteCall
// once the Map's iterations are done, writes, and completes the state
// with {"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}.

// WriterPutObject is the ResultWriter resource.
const WriterPutObject = "arn:aws:states:::s3:putObject"

// ResultWriter is a Map's ResultWriter field.
type ResultWriter struct {
	Resource   string
	Parameters *Template // JSONPath
	arguments  *jvalue   // JSONata
}

// WriteCall is a ResultWriter evaluated for one Map: its parameters
// (Bucket, Prefix).
type WriteCall struct {
	Resource   string
	Parameters map[string]any
}

// resultWriter reads a Map's ResultWriter.
func (p *parser) resultWriter(loc *location, m map[string]any, jsonata bool) *ResultWriter {
	f := p.fields(loc, m)
	w := &ResultWriter{}
	if s, ok := f.str("Resource"); ok {
		if s != WriterPutObject {
			p.d.add(loc.at("Resource"), "The ResultWriter resource must be %s", WriterPutObject)
		}
		w.Resource = s
	} else if !f.has("Resource") {
		p.d.add(loc, "These fields are required: [Resource]")
	}
	if jsonata {
		if v, ok := f.raw("Arguments"); ok {
			w.arguments = p.jvalue(loc.at("Arguments"), v)
		}
	} else if v, ok := f.raw("Parameters"); ok {
		w.Parameters = p.template(loc.at("Parameters"), v)
	}
	if _, ok := f.raw("WriterConfig"); ok {
		p.d.add(loc.at("WriterConfig"), "The field 'WriterConfig' is not supported yet: the ResultWriter writes AWS's default files")
	}
	f.done("ResultWriter")
	return w
}

// WriteCall evaluates the state's ResultWriter on its input (as given to
// Enter).
func (s *State) WriteCall(input any, c *Context, env *Env) (*WriteCall, *Failure) {
	w := s.Writer
	wc := &WriteCall{Resource: w.Resource, Parameters: map[string]any{}}
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
