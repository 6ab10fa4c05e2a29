package statelang

import (
	"fmt"
	"math"
)

// ItemBatcher is a distributed Map's ItemBatcher: its iterations get the
// items in batches, each as {"BatchInput": …, "Items": [...]}, of at most
// MaxItemsPerBatch items and MaxInputBytesPerBatch bytes of JSON.
type ItemBatcher struct {
	MaxItems, MaxBytes         int64 // 0: not set
	MaxItemsPath, MaxBytesPath *Path
	BatchInput                 *Template // JSONPath

	jMaxItems, jMaxBytes *jvalue // JSONata
	jBatchInput          *jvalue
}

// maxBatchBytes is AWS's bound on MaxInputBytesPerBatch (256 KiB).
const maxBatchBytes = 256 << 10

// itemBatcher reads a Map's ItemBatcher.
func (p *parser) itemBatcher(loc *location, m map[string]any, jsonata bool) *ItemBatcher {
	f := p.fields(loc, m)
	b := &ItemBatcher{}
	if jsonata {
		b.MaxItems, b.jMaxItems = p.intOrExpr(f, "MaxItemsPerBatch", 0, math.MaxInt32)
		b.MaxBytes, b.jMaxBytes = p.intOrExpr(f, "MaxInputBytesPerBatch", 0, maxBatchBytes)
		if v, ok := f.raw("BatchInput"); ok {
			b.jBatchInput = p.jvalue(loc.at("BatchInput"), v)
		}
	} else {
		b.MaxItems, _ = f.integer("MaxItemsPerBatch", 0, math.MaxInt32)
		b.MaxBytes, _ = f.integer("MaxInputBytesPerBatch", 0, maxBatchBytes)
		b.MaxItemsPath = f.path("MaxItemsPerBatchPath")
		b.MaxBytesPath = f.path("MaxInputBytesPerBatchPath")
		p.notBoth(f, "MaxItemsPerBatch", "MaxItemsPerBatchPath")
		p.notBoth(f, "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath")
		if v, ok := f.raw("BatchInput"); ok {
			b.BatchInput = p.template(loc.at("BatchInput"), v)
		}
	}
	if !f.has("MaxItemsPerBatch") && !f.has("MaxItemsPerBatchPath") && !f.has("MaxInputBytesPerBatch") && !f.has("MaxInputBytesPerBatchPath") {
		p.d.add(loc, "The ItemBatcher needs at least one of MaxItemsPerBatch, MaxItemsPerBatchPath, MaxInputBytesPerBatch or MaxInputBytesPerBatchPath")
	}
	f.done("ItemBatcher")
	return b
}

// batchPath reads a batch bound from a Path field.
func (s *State) batchPath(p *Path, field string, max int64, eff, ctxObj any, c *Context) (int64, *Failure) {
	v, err := p.Get(eff, ctxObj)
	if err != nil {
		return 0, s.pathFailure(c, err, p)
	}
	n, ok := asInteger(integerText(v))
	if !ok || n < 0 || n > max {
		return 0, s.runtimeFailure(c, ErrRuntime, fmt.Sprintf(
			"The %s field refers to value \"%s\" which is not a valid integer: %s", field, rawText(v), p))
	}
	return n, nil
}

// batchJSONPath groups a JSONPath Map's selected items into batches.
func (s *State) batchJSONPath(items []any, eff any, c *Context, env *Env) ([]any, *Failure) {
	b := s.Batcher
	ctxObj := s.contextObject(c)
	maxItems, maxBytes := b.MaxItems, b.MaxBytes
	var f *Failure
	if b.MaxItemsPath != nil {
		if maxItems, f = s.batchPath(b.MaxItemsPath, "MaxItemsPerBatchPath", math.MaxInt32, eff, ctxObj, c); f != nil {
			return nil, f
		}
	}
	if b.MaxBytesPath != nil {
		if maxBytes, f = s.batchPath(b.MaxBytesPath, "MaxInputBytesPerBatchPath", maxBatchBytes, eff, ctxObj, c); f != nil {
			return nil, f
		}
	}
	var in any
	if b.BatchInput != nil {
		if in, f = b.BatchInput.Eval(eff, ctxObj, env); f != nil {
			return nil, s.asRuntime(c, f)
		}
	}
	return s.batches(items, in, b.BatchInput != nil, maxItems, maxBytes, c)
}

// batchJSONata groups a JSONata Map's selected items into batches.
func (s *State) batchJSONata(items []any, js *jscope, c *Context) ([]any, *Failure) {
	b := s.Batcher
	maxItems, maxBytes := b.MaxItems, b.MaxBytes
	var f *Failure
	if b.jMaxItems != nil {
		if maxItems, f = b.jMaxItems.jint(js, "MaxItemsPerBatch"); f != nil {
			return nil, s.asQuery(c, f)
		}
	}
	if b.jMaxBytes != nil {
		if maxBytes, f = b.jMaxBytes.jint(js, "MaxInputBytesPerBatch"); f != nil {
			return nil, s.asQuery(c, f)
		}
	}
	var in any
	if b.jBatchInput != nil {
		if in, f = b.jBatchInput.eval(js, "BatchInput"); f != nil {
			return nil, s.asQuery(c, f)
		}
	}
	return s.batches(items, in, b.jBatchInput != nil, maxItems, maxBytes, c)
}

// batches cuts items into batches of at most maxItems items and maxBytes
// bytes of JSON (0: no bound); a batch always holds at least one item, and
// one item over maxBytes fails the state.
func (s *State) batches(items []any, batchInput any, hasInput bool, maxItems, maxBytes int64, c *Context) ([]any, *Failure) {
	var out []any
	var cur []any
	size := int64(0)
	flush := func() {
		if len(cur) == 0 {
			return
		}
		b := map[string]any{"Items": cur}
		if hasInput {
			b["BatchInput"] = batchInput
		}
		out = append(out, b)
		cur, size = nil, 0
	}
	for _, it := range items {
		n := int64(len(MarshalJSON(it)))
		if maxBytes > 0 && n > maxBytes {
			return nil, s.runtimeFailure(c, ErrRuntime, fmt.Sprintf(
				"An item of %d bytes exceeds the MaxInputBytesPerBatch of %d bytes", n, maxBytes))
		}
		if len(cur) > 0 && ((maxItems > 0 && int64(len(cur)) >= maxItems) || (maxBytes > 0 && size+n+1 > maxBytes)) {
			flush()
		}
		cur = append(cur, it)
		size += n + 1
	}
	flush()
	if out == nil {
		out = []any{}
	}
	return out, nil
}
