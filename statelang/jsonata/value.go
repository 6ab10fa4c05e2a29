package jsonata

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// undefinedT is the type of [Undefined].
type undefinedT struct{}

// Undefined is returned by [Expr.Eval] when an expression has no value
// (JavaScript's undefined); JSON null is returned as Go nil.
var Undefined any = undefinedT{}

// nullT is the internal representation of JSON null; Go nil is undefined
// inside the evaluator.
type nullT struct{}

var null any = nullT{}

// Object is a JSON object that keeps its keys in JavaScript order: keys that
// are array indices ("0", "1", ...) first in ascending numeric order, then
// the other keys in insertion order.
type Object struct {
	keys []string
	vals map[string]any
	nidx int // number of leading array-index keys
}

// NewObject returns an empty object with room for n keys.
func NewObject(n int) *Object {
	return &Object{keys: make([]string, 0, n), vals: make(map[string]any, n)}
}

// Len returns the number of keys.
func (o *Object) Len() int { return len(o.keys) }

// Keys returns the keys in order. The slice must not be modified.
func (o *Object) Keys() []string { return o.keys }

// Get returns the value stored under key.
func (o *Object) Get(key string) (any, bool) {
	v, ok := o.vals[key]
	return v, ok
}

func isArrayIndex(k string) bool {
	if len(k) == 0 || len(k) > 10 {
		return false
	}
	if k == "0" {
		return true
	}
	if k[0] < '1' || k[0] > '9' {
		return false
	}
	for i := 1; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return false
		}
	}
	n, _ := strconv.ParseUint(k, 10, 64)
	return n < 4294967295
}

func idxLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// Set stores value under key, keeping JavaScript key order.
func (o *Object) Set(key string, value any) {
	if o.vals == nil {
		o.vals = map[string]any{}
	}
	if _, ok := o.vals[key]; ok {
		o.vals[key] = value
		return
	}
	o.vals[key] = value
	if isArrayIndex(key) {
		i := sort.Search(o.nidx, func(i int) bool { return idxLess(key, o.keys[i]) })
		o.keys = append(o.keys, "")
		copy(o.keys[i+1:], o.keys[i:])
		o.keys[i] = key
		o.nidx++
		return
	}
	o.keys = append(o.keys, key)
}

// Delete removes key.
func (o *Object) Delete(key string) {
	if _, ok := o.vals[key]; !ok {
		return
	}
	delete(o.vals, key)
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			if i < o.nidx {
				o.nidx--
			}
			return
		}
	}
}

// MarshalJSON encodes the object with its key order.
func (o *Object) MarshalJSON() ([]byte, error) {
	return []byte(Marshal(o)), nil
}

// array is the evaluator's array: a JSON array or a JSONata sequence.
type array struct {
	items         []any
	sequence      bool
	keepSingleton bool
	outerWrapper  bool
	tupleStream   bool
	cons          bool
}

func newSeq(items ...any) *array {
	return &array{items: items, sequence: true}
}

func newSeqCap(n int) *array {
	return &array{items: make([]any, 0, n), sequence: true}
}

func (a *array) push(v any) { a.items = append(a.items, v) }

// tuple is one element of a tuple stream: the context "@" and bindings.
type tuple struct {
	vals map[string]any
}

func (t *tuple) at() any { return t.vals["@"] }

func (t *tuple) clone() *tuple {
	m := make(map[string]any, len(t.vals)+2)
	for k, v := range t.vals {
		m[k] = v
	}
	return &tuple{vals: m}
}

// ---------- conversion in and out ----------

// normalize turns caller values into the evaluator's representation.
func normalize(v any) any { return normalizeD(v, 0) }

// Prepare converts a value (following the input conventions) into the
// evaluator's representation once, so that a caller passing the same value
// as input or in Options.Bindings to many evaluations does not pay for the
// conversion each time. The result is opaque: use it only as an input or a
// binding value. Prepare never modifies v.
func Prepare(v any) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			if je, ok := r.(*Error); ok {
				out, err = nil, je
				return
			}
			out, err = nil, &Error{Code: "U1000", Position: -1, Message: fmt.Sprintf("internal error: %v", r)}
		}
	}()
	return normalize(v), nil
}

func normalizeD(v any, d int) any {
	if d > maxDataDepth {
		tooDeep()
	}
	switch x := v.(type) {
	case nil:
		return null
	case undefinedT:
		return nil
	case nullT, bool, string, float64:
		return v
	case *Object:
		// copy on write: the caller's object is never modified
		var n *Object
		for i, k := range x.keys {
			v := x.vals[k]
			nv := normalizeD(v, d+1)
			if n == nil {
				if sameValue(nv, v) {
					continue
				}
				n = &Object{keys: x.keys[:i:i], vals: make(map[string]any, len(x.keys)), nidx: x.nidx}
				for _, kk := range x.keys[:i] {
					n.vals[kk] = x.vals[kk]
				}
			}
			n.keys = append(n.keys, k)
			n.vals[k] = nv
		}
		if n == nil {
			return x
		}
		return n
	case *array:
		return x
	case []any:
		a := &array{items: make([]any, len(x))}
		for i, e := range x {
			a.items[i] = normalizeD(e, d+1)
		}
		return a
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := NewObject(len(keys))
		for _, k := range keys {
			o.Set(k, normalizeD(x[k], d+1))
		}
		return o
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case int16:
		return float64(x)
	case int8:
		return float64(x)
	case uint:
		return float64(x)
	case uint64:
		return float64(x)
	case uint32:
		return float64(x)
	case uint16:
		return float64(x)
	case uint8:
		return float64(x)
	case float32:
		return float64(x)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return string(x)
		}
		return f
	case []string:
		a := &array{items: make([]any, len(x))}
		for i, e := range x {
			a.items[i] = e
		}
		return a
	case []map[string]any:
		a := &array{items: make([]any, len(x))}
		for i, e := range x {
			a.items[i] = normalizeD(e, d+1)
		}
		return a
	case []float64:
		a := &array{items: make([]any, len(x))}
		for i, e := range x {
			a.items[i] = e
		}
		return a
	case *builtin, *lambda, *partialNative:
		return v
	case func(args ...any) (any, error):
		return &builtin{name: "", arity: 1, nparams: 1, fn: func(ev *evaluator, args []any, _ any, _ *frame) any {
			out := make([]any, len(args))
			for i, a := range args {
				out[i] = export(a)
			}
			r, err := x(out...)
			if err != nil {
				panic(&Error{Code: "D3137", Position: -1, Message: err.Error()})
			}
			return normalize(r)
		}}
	}
	return v
}

func sameValue(a, b any) bool {
	switch a.(type) {
	case *array, *Object, nullT, bool, string, float64:
		switch b.(type) {
		case *array, *Object, nullT, bool, string, float64:
			return a == b
		}
	}
	return false
}

// export turns an evaluator value into the public representation: nil for
// null, []any for arrays, *Object for objects, float64 for numbers.
func export(v any) any { return exportD(v, 0) }

func exportD(v any, d int) any {
	if d > maxDataDepth {
		tooDeep()
	}
	switch x := v.(type) {
	case nil:
		return Undefined
	case nullT:
		return nil
	case *array:
		out := make([]any, 0, len(x.items))
		for _, e := range x.items {
			if e == nil {
				continue
			}
			out = append(out, exportInnerD(e, d+1))
		}
		return out
	case *Object:
		return exportObj(x, d)
	case *tuple:
		return exportInnerD(x.at(), d)
	}
	return v
}

func exportInner(v any) any { return exportInnerD(v, 0) }

func exportInnerD(v any, d int) any {
	r := exportD(v, d)
	if r == Undefined {
		return nil
	}
	return r
}

func exportObj(o *Object, d int) *Object {
	// copy only if something inside changes
	var n *Object
	for i, k := range o.keys {
		v := o.vals[k]
		var nv any
		switch v.(type) {
		case nullT, *array, *Object, *tuple:
			nv = exportInnerD(v, d+1)
		case *builtin, *lambda, *partialNative:
			nv = ""
		default:
			if n != nil {
				n.Set(k, v)
			}
			continue
		}
		if n == nil {
			n = NewObject(len(o.keys))
			for _, kk := range o.keys[:i] {
				n.Set(kk, o.vals[kk])
			}
		}
		n.Set(k, nv)
	}
	if n == nil {
		return o
	}
	return n
}

// Convert turns a result of [Expr.Eval] into plain Go values for callers
// that keep integers distinct from floats: numbers that are integral and
// within ±2^53 become int64, other numbers stay float64; objects become
// whatever obj returns for them (when obj is nil, map[string]any); arrays
// become []any; Undefined stays Undefined.
func Convert(v any, obj func(keys []string, vals []any) any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) <= 1<<53 {
			return int64(x)
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Convert(e, obj)
		}
		return out
	case *Object:
		vals := make([]any, len(x.keys))
		for i, k := range x.keys {
			vals[i] = Convert(x.vals[k], obj)
		}
		if obj != nil {
			return obj(x.keys, vals)
		}
		m := make(map[string]any, len(x.keys))
		for i, k := range x.keys {
			m[k] = vals[i]
		}
		return m
	}
	return v
}

// ---------- numbers ----------

// FormatNumber formats f as JavaScript's Number.prototype.toString does.
func FormatNumber(f float64) string {
	if f == 0 {
		return "0"
	}
	if math.IsNaN(f) {
		return "NaN"
	}
	if math.IsInf(f, 1) {
		return "Infinity"
	}
	if math.IsInf(f, -1) {
		return "-Infinity"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64)
	neg := false
	if s[0] == '-' {
		neg = true
		s = s[1:]
	}
	ei := strings.IndexByte(s, 'e')
	mant, exps := s[:ei], s[ei+1:]
	e, _ := strconv.Atoi(exps)
	digits := strings.Replace(mant, ".", "", 1)
	k := len(digits)
	n := e + 1
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch {
	case k <= n && n <= 21:
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", n-k))
	case 0 < n && n <= 21:
		b.WriteString(digits[:n])
		b.WriteByte('.')
		b.WriteString(digits[n:])
	case -6 < n && n <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -n))
		b.WriteString(digits)
	default:
		b.WriteByte(digits[0])
		if k > 1 {
			b.WriteByte('.')
			b.WriteString(digits[1:])
		}
		b.WriteByte('e')
		if n-1 >= 0 {
			b.WriteByte('+')
		}
		b.WriteString(strconv.Itoa(n - 1))
	}
	return b.String()
}

// toPrecision15 is Number(x.toPrecision(15)).
func toPrecision15(f float64) float64 {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	s := strconv.FormatFloat(f, 'e', 14, 64)
	r, _ := strconv.ParseFloat(s, 64)
	return r
}

// ---------- JSON output ----------

// Marshal returns JSON text for a value returned by [Expr.Eval] (or an
// evaluator value), with JavaScript number formatting and object key order.
// Undefined marshals to the empty string.
func Marshal(v any) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = ""
		}
	}()
	if v == Undefined {
		return ""
	}
	var b strings.Builder
	writeJSON(&b, v, "", 0, false)
	return b.String()
}

// MarshalIndent is Marshal with indentation, as JSON.stringify(v, null, indent).
func MarshalIndent(v any, indent string) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = ""
		}
	}()
	var b strings.Builder
	writeJSON(&b, v, indent, 0, false)
	return b.String()
}

func writeIndent(b *strings.Builder, indent string, level int) {
	if indent == "" {
		return
	}
	b.WriteByte('\n')
	for i := 0; i < level; i++ {
		b.WriteString(indent)
	}
}

func writeJSON(b *strings.Builder, v any, indent string, level int, prec15 bool) {
	if level > maxDataDepth {
		tooDeep()
	}
	switch x := v.(type) {
	case nil, undefinedT:
		b.WriteString("null")
	case nullT:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case float64:
		if prec15 {
			x = toPrecision15(x)
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b.WriteString("null")
		} else {
			b.WriteString(FormatNumber(x))
		}
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case string:
		writeJSONString(b, x)
	case *array:
		writeJSONArray(b, x.items, indent, level, prec15)
	case []any:
		writeJSONArray(b, x, indent, level, prec15)
	case *Object:
		b.WriteByte('{')
		first := true
		for _, k := range x.keys {
			val := x.vals[k]
			if val == Undefined || (val == nil && prec15) {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			writeIndent(b, indent, level+1)
			writeJSONString(b, k)
			b.WriteByte(':')
			if indent != "" {
				b.WriteByte(' ')
			}
			writeJSON(b, val, indent, level+1, prec15)
		}
		if !first {
			writeIndent(b, indent, level)
		}
		b.WriteByte('}')
	case map[string]any:
		writeJSON(b, normalize(x), indent, level, prec15)
	case *tuple:
		writeJSON(b, x.at(), indent, level, prec15)
	case *builtin, *lambda, *partialNative:
		b.WriteString(`""`)
	default:
		writeJSON(b, normalize(x), indent, level, prec15)
	}
}

func writeJSONArray(b *strings.Builder, items []any, indent string, level int, prec15 bool) {
	b.WriteByte('[')
	for i, e := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		writeIndent(b, indent, level+1)
		writeJSON(b, e, indent, level+1, prec15)
	}
	if len(items) > 0 {
		writeIndent(b, indent, level)
	}
	b.WriteByte(']')
}

const hexDigits = "0123456789abcdef"

func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0xED && i+2 < len(s) && s[i+1] >= 0xA0 && s[i+1] <= 0xBF {
			b.WriteString(s[start:i])
			r := rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
			b.WriteString(`\u`)
			b.WriteString(strconv.FormatInt(int64(r), 16))
			i += 2
			start = i + 1
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

// ---------- JSON input ----------

// maxJSONDepth bounds nesting when parsing JSON text.
const maxJSONDepth = 10000

// maxDataDepth bounds the nesting of values the package walks
// recursively, so that no value can exhaust the goroutine stack.
const maxDataDepth = 20000

func tooDeep() {
	panic(&Error{Code: "U1001", Position: -1, Message: "value nested too deeply"})
}

// ParseJSON parses JSON text into the values [Expr.Eval] uses: *Object
// (key order kept), []any, float64, string, bool and nil for null.
func ParseJSON(text string) (any, error) {
	v, err := parseJSONInternal(text)
	if err != nil {
		return nil, err
	}
	return exportInner(v), nil
}

type jsonParser struct {
	s   string
	pos int
}

type jsonError struct {
	msg string
	pos int
}

func (e *jsonError) Error() string {
	return e.msg + " at position " + strconv.Itoa(e.pos)
}

func parseJSONInternal(text string) (any, error) {
	p := &jsonParser{s: text}
	p.ws()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.pos != len(p.s) {
		return nil, &jsonError{"unexpected token in JSON", p.pos}
	}
	return v, nil
}

func (p *jsonParser) ws() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, &jsonError{"JSON nested too deeply", p.pos}
	}
	if p.pos >= len(p.s) {
		return nil, &jsonError{"unexpected end of JSON input", p.pos}
	}
	switch c := p.s[p.pos]; {
	case c == '{':
		p.pos++
		o := NewObject(4)
		p.ws()
		if p.pos < len(p.s) && p.s[p.pos] == '}' {
			p.pos++
			return o, nil
		}
		for {
			p.ws()
			if p.pos >= len(p.s) || p.s[p.pos] != '"' {
				return nil, &jsonError{"expected string key in JSON", p.pos}
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.ws()
			if p.pos >= len(p.s) || p.s[p.pos] != ':' {
				return nil, &jsonError{"expected ':' in JSON", p.pos}
			}
			p.pos++
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			o.Set(k, v)
			p.ws()
			if p.pos < len(p.s) && p.s[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.pos < len(p.s) && p.s[p.pos] == '}' {
				p.pos++
				return o, nil
			}
			return nil, &jsonError{"expected ',' or '}' in JSON", p.pos}
		}
	case c == '[':
		p.pos++
		a := &array{}
		p.ws()
		if p.pos < len(p.s) && p.s[p.pos] == ']' {
			p.pos++
			return a, nil
		}
		for {
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			a.items = append(a.items, v)
			p.ws()
			if p.pos < len(p.s) && p.s[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.pos < len(p.s) && p.s[p.pos] == ']' {
				p.pos++
				return a, nil
			}
			return nil, &jsonError{"expected ',' or ']' in JSON", p.pos}
		}
	case c == '"':
		return p.str()
	case c == 't':
		if strings.HasPrefix(p.s[p.pos:], "true") {
			p.pos += 4
			return true, nil
		}
	case c == 'f':
		if strings.HasPrefix(p.s[p.pos:], "false") {
			p.pos += 5
			return false, nil
		}
	case c == 'n':
		if strings.HasPrefix(p.s[p.pos:], "null") {
			p.pos += 4
			return null, nil
		}
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.pos
		if c == '-' {
			p.pos++
		}
		if p.pos < len(p.s) && p.s[p.pos] == '0' {
			p.pos++
		} else if p.pos < len(p.s) && p.s[p.pos] >= '1' && p.s[p.pos] <= '9' {
			for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
				p.pos++
			}
		} else {
			return nil, &jsonError{"invalid number in JSON", p.pos}
		}
		if p.pos < len(p.s) && p.s[p.pos] == '.' {
			p.pos++
			d := p.pos
			for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
				p.pos++
			}
			if d == p.pos {
				return nil, &jsonError{"invalid number in JSON", p.pos}
			}
		}
		if p.pos < len(p.s) && (p.s[p.pos] == 'e' || p.s[p.pos] == 'E') {
			p.pos++
			if p.pos < len(p.s) && (p.s[p.pos] == '+' || p.s[p.pos] == '-') {
				p.pos++
			}
			d := p.pos
			for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
				p.pos++
			}
			if d == p.pos {
				return nil, &jsonError{"invalid number in JSON", p.pos}
			}
		}
		f, err := strconv.ParseFloat(p.s[start:p.pos], 64)
		if err != nil && !math.IsInf(f, 0) {
			return nil, &jsonError{"invalid number in JSON", start}
		}
		return f, nil
	}
	return nil, &jsonError{"unexpected token in JSON", p.pos}
}

func (p *jsonParser) str() (string, error) {
	p.pos++ // opening quote
	start := p.pos
	var b *strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == '"':
			var s string
			if b == nil {
				s = p.s[start:p.pos]
			} else {
				b.WriteString(p.s[start:p.pos])
				s = b.String()
			}
			p.pos++
			return s, nil
		case c == '\\':
			if b == nil {
				b = &strings.Builder{}
			}
			b.WriteString(p.s[start:p.pos])
			p.pos++
			if p.pos >= len(p.s) {
				return "", &jsonError{"unterminated string in JSON", p.pos}
			}
			e := p.s[p.pos]
			p.pos++
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := hex4(p.s, p.pos)
				if !ok {
					return "", &jsonError{"bad unicode escape in JSON", p.pos}
				}
				p.pos += 4
				if r >= 0xD800 && r < 0xDC00 && p.pos+6 <= len(p.s) && p.s[p.pos] == '\\' && p.s[p.pos+1] == 'u' {
					if r2, ok := hex4(p.s, p.pos+2); ok && r2 >= 0xDC00 && r2 < 0xE000 {
						p.pos += 6
						r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
					}
				}
				writeRuneWTF8(b, r)
			default:
				return "", &jsonError{"bad escape in JSON", p.pos - 1}
			}
			start = p.pos
		case c < 0x20:
			return "", &jsonError{"control character in JSON string", p.pos}
		default:
			p.pos++
		}
	}
	return "", &jsonError{"unterminated string in JSON", p.pos}
}

// writeRuneWTF8 writes r as UTF-8, keeping an unpaired surrogate (which
// JavaScript strings may hold) as its 3-byte generalized UTF-8 form.
func writeRuneWTF8(b *strings.Builder, r rune) {
	if r >= 0xD800 && r < 0xE000 {
		b.WriteByte(byte(0xE0 | r>>12))
		b.WriteByte(byte(0x80 | (r>>6)&0x3F))
		b.WriteByte(byte(0x80 | r&0x3F))
		return
	}
	b.WriteRune(r)
}

func hex4(s string, pos int) (rune, bool) {
	if pos+4 > len(s) {
		return 0, false
	}
	var r rune
	for i := 0; i < 4; i++ {
		c := s[pos+i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
