package statelang

// Intrinsic functions (JSONPath states only): the 18 States.* calls of the
// Amazon States Language, parsed once when the definition is compiled and
// evaluated against a state's input and the context object.
//
// Grammar, as AWS accepts it:
//
//	call    = "States." name "(" [ arg { "," arg } ] ")"
//	arg     = string | number | "true" | "false" | "null" | path | call
//	string  = "'" { char | "\'" | "\{" | "\}" | "\\" } "'"
//	path    = "$" ... | "$$" ...   (a JSONPath, up to the next top-level "," or ")")
//
// Calls nest at most 10 deep. Spaces may surround arguments. The reserved
// characters ' { } \ are escaped with a backslash inside string literals; a
// backslash before any other character is an error, as on AWS. In the format
// string of States.Format, an unescaped "{}" is a placeholder.
//
// Failures at run time are States.IntrinsicFailure (bad argument types or
// values, limits), except a path argument that selects nothing, which is
// States.Runtime as for every other JSONPath of a state.

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

const (
	// maxIntrinsicDepth is how deep calls may nest, the outer call counting as 1.
	maxIntrinsicDepth = 10
	// maxArrayRangeItems is the most items States.ArrayRange may return.
	maxArrayRangeItems = 1000
	// maxEncodedInput is the most characters States.Base64Encode,
	// States.Base64Decode and States.Hash accept as their data.
	maxEncodedInput = 10000
)

// intrinsic is one compiled intrinsic function call.
type intrinsic struct {
	name string // e.g. "States.Format"
	fn   *intrinsicFunc
	args []iarg
	text string // the call as written
}

type argKind int

const (
	argLiteral argKind = iota
	argPath
	argCall
)

// iarg is one argument of a call.
type iarg struct {
	kind argKind
	lit  any        // argLiteral
	path *Path      // argPath
	call *intrinsic // argCall
	// format holds a string literal cut at its unescaped "{}" placeholders;
	// States.Format uses it when the literal is its format string.
	format []string
}

type intrinsicFunc struct {
	min, max int // argument count; max < 0 means no limit
	run      func(c *intrinsic, args []any, env *Env) (any, *Failure)
}

var intrinsicFuncs map[string]*intrinsicFunc

func init() {
	intrinsicFuncs = map[string]*intrinsicFunc{
		"States.Format":         {1, -1, fnFormat},
		"States.StringToJson":   {1, 1, fnStringToJSON},
		"States.JsonToString":   {1, 1, fnJSONToString},
		"States.Array":          {0, -1, fnArray},
		"States.ArrayPartition": {2, 2, fnArrayPartition},
		"States.ArrayContains":  {2, 2, fnArrayContains},
		"States.ArrayRange":     {3, 3, fnArrayRange},
		"States.ArrayGetItem":   {2, 2, fnArrayGetItem},
		"States.ArrayLength":    {1, 1, fnArrayLength},
		"States.ArrayUnique":    {1, 1, fnArrayUnique},
		"States.Base64Encode":   {1, 1, fnBase64Encode},
		"States.Base64Decode":   {1, 1, fnBase64Decode},
		"States.Hash":           {2, 2, fnHash},
		"States.JsonMerge":      {3, 3, fnJSONMerge},
		"States.MathRandom":     {2, 3, fnMathRandom},
		"States.MathAdd":        {2, 2, fnMathAdd},
		"States.StringSplit":    {2, 2, fnStringSplit},
		"States.UUID":           {0, 0, fnUUID},
	}
}

// parseIntrinsic compiles an intrinsic function call such as
// States.Format('{}', $.name).
func parseIntrinsic(s string) (*intrinsic, error) {
	p := &iparser{s: s}
	p.space()
	if !strings.HasPrefix(s[p.pos:], "States.") {
		return nil, p.errorf(p.pos, "expected an intrinsic function call (States.<name>(...))")
	}
	c, err := p.call(1)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(s) {
		return nil, p.errorf(p.pos, "unexpected %s after the end of the call", p.describe(p.pos))
	}
	return c, nil
}

type iparser struct {
	s   string
	pos int
}

func (p *iparser) errorf(at int, format string, args ...any) error {
	return fmt.Errorf("%s at offset %d of %q", fmt.Sprintf(format, args...), at, p.s)
}

// describe names the character at i for an error message.
func (p *iparser) describe(i int) string {
	if i >= len(p.s) {
		return "end of input"
	}
	r, _ := utf8.DecodeRuneInString(p.s[i:])
	return strconv.QuoteRune(r)
}

func (p *iparser) space() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func isIdentByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// call parses "States.Name(args)" at p.pos; depth is its nesting level.
func (p *iparser) call(depth int) (*intrinsic, error) {
	start := p.pos
	if depth > maxIntrinsicDepth {
		return nil, p.errorf(start, "intrinsic functions nest more than %d deep", maxIntrinsicDepth)
	}
	i := start + len("States.")
	for i < len(p.s) && isIdentByte(p.s[i]) {
		i++
	}
	name := p.s[start:i]
	fn, ok := intrinsicFuncs[name]
	if !ok {
		return nil, p.errorf(start, "unknown intrinsic function %q", name)
	}
	p.pos = i
	if p.pos >= len(p.s) || p.s[p.pos] != '(' {
		return nil, p.errorf(p.pos, "expected '(' after %s but found %s", name, p.describe(p.pos))
	}
	p.pos++
	c := &intrinsic{name: name, fn: fn}
	p.space()
	if p.pos < len(p.s) && p.s[p.pos] == ')' {
		p.pos++
	} else {
		for {
			p.space()
			a, err := p.arg(depth)
			if err != nil {
				return nil, err
			}
			c.args = append(c.args, a)
			p.space()
			if p.pos >= len(p.s) {
				return nil, p.errorf(p.pos, "missing ')' to close %s", name)
			}
			if p.s[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.s[p.pos] == ')' {
				p.pos++
				break
			}
			return nil, p.errorf(p.pos, "expected ',' or ')' in the arguments of %s but found %s", name, p.describe(p.pos))
		}
	}
	c.text = p.s[start:p.pos]
	if n := len(c.args); n < fn.min || fn.max >= 0 && n > fn.max {
		return nil, p.errorf(start, "%s takes %s but was given %d", name, arity(fn), n)
	}
	return c, nil
}

func arity(fn *intrinsicFunc) string {
	plural := func(n int) string {
		if n == 1 {
			return "1 argument"
		}
		return strconv.Itoa(n) + " arguments"
	}
	switch {
	case fn.max < 0:
		return "at least " + plural(fn.min)
	case fn.min == fn.max:
		return plural(fn.min)
	default:
		return fmt.Sprintf("%d or %d arguments", fn.min, fn.max)
	}
}

// arg parses one argument at p.pos.
func (p *iparser) arg(depth int) (iarg, error) {
	if p.pos >= len(p.s) {
		return iarg{}, p.errorf(p.pos, "expected an argument but found end of input")
	}
	rest := p.s[p.pos:]
	switch b := rest[0]; {
	case b == '\'':
		return p.stringLit()
	case b == '$':
		return p.pathArg()
	case b == '-' || b >= '0' && b <= '9':
		return p.number()
	case strings.HasPrefix(rest, "States."):
		c, err := p.call(depth + 1)
		if err != nil {
			return iarg{}, err
		}
		return iarg{kind: argCall, call: c}, nil
	}
	for word, v := range map[string]any{"true": true, "false": false, "null": nil} {
		if strings.HasPrefix(rest, word) && (len(rest) == len(word) || !isIdentByte(rest[len(word)])) {
			p.pos += len(word)
			return iarg{kind: argLiteral, lit: v}, nil
		}
	}
	return iarg{}, p.errorf(p.pos, "unexpected %s where an argument (a 'string', a number, a path or an intrinsic function) was expected", p.describe(p.pos))
}

// stringLit parses a single-quoted string literal, unescaping \' \{ \} \\
// and remembering where the unescaped "{}" placeholders are.
func (p *iparser) stringLit() (iarg, error) {
	start := p.pos
	p.pos++ // the opening quote
	var cur strings.Builder
	var whole strings.Builder
	var parts []string
	for {
		if p.pos >= len(p.s) {
			return iarg{}, p.errorf(start, "unterminated string literal")
		}
		b := p.s[p.pos]
		switch {
		case b == '\'':
			p.pos++
			parts = append(parts, cur.String())
			return iarg{kind: argLiteral, lit: whole.String(), format: parts}, nil
		case b == '\\':
			if p.pos+1 >= len(p.s) {
				return iarg{}, p.errorf(start, "unterminated string literal")
			}
			switch n := p.s[p.pos+1]; n {
			case '\'', '{', '}', '\\':
				cur.WriteByte(n)
				whole.WriteByte(n)
			default:
				r, _ := utf8.DecodeRuneInString(p.s[p.pos+1:])
				return iarg{}, p.errorf(p.pos, "invalid escape sequence '\\%c' in a string literal: only \\' \\{ \\} and \\\\ are escapes", r)
			}
			p.pos += 2
		case b == '{' && p.pos+1 < len(p.s) && p.s[p.pos+1] == '}':
			parts = append(parts, cur.String())
			cur.Reset()
			whole.WriteString("{}")
			p.pos += 2
		default:
			cur.WriteByte(b)
			whole.WriteByte(b)
			p.pos++
		}
	}
}

// number parses an integer (int64, or json.Number beyond int64) or a float.
func (p *iparser) number() (iarg, error) {
	start := p.pos
	i := p.pos
	if i < len(p.s) && p.s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(p.s) && p.s[i] >= '0' && p.s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return iarg{}, p.errorf(start, "malformed number")
	}
	isFloat := false
	if i < len(p.s) && p.s[i] == '.' {
		i++
		isFloat = true
		if digits() == 0 {
			return iarg{}, p.errorf(start, "malformed number")
		}
	}
	if i < len(p.s) && (p.s[i] == 'e' || p.s[i] == 'E') {
		i++
		isFloat = true
		if i < len(p.s) && (p.s[i] == '+' || p.s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return iarg{}, p.errorf(start, "malformed number")
		}
	}
	if i < len(p.s) && (isIdentByte(p.s[i]) || p.s[i] == '.') {
		return iarg{}, p.errorf(start, "malformed number")
	}
	text := p.s[start:i]
	p.pos = i
	if !isFloat {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return iarg{kind: argLiteral, lit: n}, nil
		}
		return iarg{kind: argLiteral, lit: json.Number(text)}, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) {
		return iarg{}, p.errorf(start, "number %s is out of range", text)
	}
	return iarg{kind: argLiteral, lit: f}, nil
}

// pathArg reads a path up to the next "," or ")" outside brackets,
// parentheses and quotes.
func (p *iparser) pathArg() (iarg, error) {
	start := p.pos
	var open []byte // the brackets and parentheses not yet closed
	var quote byte
	i := p.pos
scan:
	for ; i < len(p.s); i++ {
		b := p.s[i]
		switch {
		case quote != 0:
			if b == '\\' {
				i++
			} else if b == quote {
				quote = 0
			}
		case b == '\'' || b == '"':
			if len(open) == 0 {
				break scan
			}
			quote = b
		case b == '[' || b == '(':
			open = append(open, b)
		case b == ']' || b == ')':
			if len(open) == 0 {
				break scan
			}
			if want := map[byte]byte{']': '[', ')': '('}[b]; open[len(open)-1] != want {
				return iarg{}, p.errorf(i, "unbalanced %q in path", b)
			}
			open = open[:len(open)-1]
		case b == ',' && len(open) == 0:
			break scan
		}
	}
	if quote != 0 || len(open) != 0 {
		return iarg{}, p.errorf(start, "unterminated path")
	}
	text := strings.TrimRight(p.s[start:i], " \t\r\n")
	p.pos = start + len(text)
	path, err := ParsePath(text)
	if err != nil {
		return iarg{}, p.errorf(start, "invalid path: %v", err)
	}
	return iarg{kind: argPath, path: path}, nil
}

// eval runs the call against the state input and the context object.
//
// Arguments are not copied: no function changes them, and a caller that
// keeps the result copies it. What a path selects with wildcards or
// descent, and what a nested call returns, may together take at most
// twice the payload limit, and a result more than the limit fails with
// States.DataLimitExceeded; both are measured within b's work.
func (c *intrinsic) eval(input, context any, env *Env, b *budget) (any, *Failure) {
	args := make([]any, len(c.args))
	argsLeft := 2 * MaxPayloadBytes
	for i, a := range c.args {
		switch a.kind {
		case argLiteral:
			args[i] = a.lit
		case argPath:
			v, err := a.path.Get(input, context)
			if err != nil {
				src := pathSource(a.path, input, context)
				return nil, failf(ErrRuntime, "The JsonPath argument for the field '%s' could not be found in the input '%s'", a.path, MarshalString(src))
			}
			if !a.path.definite { // a definite path selects a part of a bounded value
				n, ok := b.measure(v, argsLeft)
				if !ok {
					return nil, dataLimit(fmt.Sprintf("JsonPath argument '%s' of %s", a.path, c.name))
				}
				argsLeft -= n
			}
			args[i] = v
		case argCall:
			v, f := a.call.eval(input, context, env, b)
			if f != nil {
				return nil, f
			}
			n, ok := b.measure(v, argsLeft)
			if !ok {
				return nil, dataLimit("intrinsic function " + a.call.name)
			}
			argsLeft -= n
			args[i] = v
		}
	}
	v, f := c.fn.run(c, args, env)
	if f != nil {
		return nil, f
	}
	if _, ok := b.measure(v, MaxPayloadBytes); !ok {
		return nil, dataLimit("intrinsic function " + c.name)
	}
	return v, nil
}

// invalid is the failure of a call given arguments it cannot use.
func (c *intrinsic) invalid(format string, args ...any) *Failure {
	return failf(ErrIntrinsicFailure, "Invalid arguments in %s: %s", c.name, fmt.Sprintf(format, args...))
}

func ordinal(i int) string {
	switch i {
	case 0:
		return "first"
	case 1:
		return "second"
	case 2:
		return "third"
	}
	return strconv.Itoa(i+1) + "th"
}

func (c *intrinsic) wantString(args []any, i int) (string, *Failure) {
	s, ok := args[i].(string)
	if !ok {
		return "", c.invalid("the %s argument must be a string but was %s", ordinal(i), jsonKindName(args[i]))
	}
	return s, nil
}

func (c *intrinsic) wantArray(args []any, i int) ([]any, *Failure) {
	a, ok := args[i].([]any)
	if !ok {
		return nil, c.invalid("the %s argument must be an array but was %s", ordinal(i), jsonKindName(args[i]))
	}
	return a, nil
}

func (c *intrinsic) wantObject(args []any, i int) (map[string]any, *Failure) {
	m, ok := args[i].(map[string]any)
	if !ok {
		return nil, c.invalid("the %s argument must be an object but was %s", ordinal(i), jsonKindName(args[i]))
	}
	return m, nil
}

// wantInt accepts a JSON integer (not a float) within the 32-bit range the
// AWS implementation uses.
func (c *intrinsic) wantInt(args []any, i int) (int64, *Failure) {
	var n int64
	switch t := args[i].(type) {
	case int64:
		n = t
	case int:
		n = int64(t)
	case json.Number:
		v, err := t.Int64()
		if err != nil {
			return 0, c.invalid("the %s argument must be an integer between %d and %d but was %s", ordinal(i), math.MinInt32, math.MaxInt32, t)
		}
		n = v
	default:
		return 0, c.invalid("the %s argument must be an integer but was %s", ordinal(i), describeValue(args[i]))
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, c.invalid("the %s argument must be an integer between %d and %d but was %d", ordinal(i), math.MinInt32, math.MaxInt32, n)
	}
	return n, nil
}

// wantRounded accepts any JSON number and rounds it to the nearest integer
// as Java's Math.round does (halves toward positive infinity), within the
// 32-bit range.
func (c *intrinsic) wantRounded(args []any, i int) (int64, *Failure) {
	var n int64
	switch t := args[i].(type) {
	case int64:
		n = t
	case int:
		n = int64(t)
	case json.Number:
		v, err := t.Int64()
		if err != nil {
			return 0, c.invalid("the %s argument must be a number between %d and %d but was %s", ordinal(i), math.MinInt32, math.MaxInt32, t)
		}
		n = v
	case float64:
		r := javaRound(t)
		if r < math.MinInt32 || r > math.MaxInt32 {
			return 0, c.invalid("the %s argument must be a number between %d and %d but was %s", ordinal(i), math.MinInt32, math.MaxInt32, formatFloat(t))
		}
		n = int64(r)
	default:
		return 0, c.invalid("the %s argument must be a number but was %s", ordinal(i), jsonKindName(args[i]))
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, c.invalid("the %s argument must be a number between %d and %d but was %d", ordinal(i), math.MinInt32, math.MaxInt32, n)
	}
	return n, nil
}

// javaRound is Java's Math.round: the closest integer, halves rounded up.
func javaRound(f float64) float64 {
	r := math.Floor(f)
	if f-r >= 0.5 {
		r++
	}
	return r
}

func describeValue(v any) string {
	if f, ok := v.(float64); ok {
		return formatFloat(f)
	}
	if isNumber(v) || v == nil {
		return MarshalString(v)
	}
	return jsonKindName(v)
}

// javaLength is the length of s as Java counts it (UTF-16 code units).
func javaLength(s string) int {
	n := 0
	for _, r := range s {
		if utf16.IsSurrogate(r) || r < 0x10000 {
			n++
		} else {
			n += 2
		}
	}
	return n
}

func fnFormat(c *intrinsic, args []any, env *Env) (any, *Failure) {
	var parts []string
	if a := c.args[0]; a.kind == argLiteral && a.format != nil {
		parts = a.format
	} else {
		s, f := c.wantString(args, 0)
		if f != nil {
			return nil, f
		}
		parts = strings.Split(s, "{}")
	}
	values := args[1:]
	if len(parts)-1 != len(values) {
		return nil, c.invalid("the format string has %d placeholders but %d values were given", len(parts)-1, len(values))
	}
	var sb strings.Builder
	for i, part := range parts {
		sb.WriteString(part)
		if i < len(values) {
			writeJavaValue(&sb, values[i])
		}
		if sb.Len() > MaxPayloadBytes { // each value is bounded: stop before the next
			return nil, dataLimit("intrinsic function " + c.name)
		}
	}
	return sb.String(), nil
}

// writeJavaValue prints a value as AWS's States.Format does (Java's
// toString of the parsed JSON): strings raw, objects as {k=v, k=v} and
// arrays as [a, b], numbers as Java prints them.
func writeJavaValue(sb *strings.Builder, v any) {
	switch t := v.(type) {
	case string:
		sb.WriteString(t)
	case []any:
		sb.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				sb.WriteString(", ")
			}
			writeJavaValue(sb, e)
		}
		sb.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		sb.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(k)
			sb.WriteByte('=')
			writeJavaValue(sb, t[k])
		}
		sb.WriteByte('}')
	default:
		writeJSON(sb, v)
	}
}

func fnStringToJSON(c *intrinsic, args []any, env *Env) (any, *Failure) {
	s, f := c.wantString(args, 0)
	if f != nil {
		return nil, f
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	v, err := ParseJSON([]byte(s))
	if err != nil {
		return nil, c.invalid("the argument is not valid JSON: %v", err)
	}
	return v, nil
}

func fnJSONToString(c *intrinsic, args []any, env *Env) (any, *Failure) {
	if sizeOver(args[0], MaxPayloadBytes) {
		return nil, dataLimit("intrinsic function " + c.name)
	}
	return MarshalString(args[0]), nil
}

func fnArray(c *intrinsic, args []any, env *Env) (any, *Failure) {
	out := make([]any, len(args))
	copy(out, args)
	return out, nil
}

func fnArrayPartition(c *intrinsic, args []any, env *Env) (any, *Failure) {
	a, f := c.wantArray(args, 0)
	if f != nil {
		return nil, f
	}
	n, f := c.wantInt(args, 1)
	if f != nil {
		return nil, f
	}
	if n <= 0 {
		return nil, c.invalid("the chunk size must be a positive integer but was %d", n)
	}
	out := make([]any, 0, (int64(len(a))+n-1)/n)
	for i := 0; i < len(a); i += int(n) {
		end := min(i+int(n), len(a))
		chunk := make([]any, end-i)
		copy(chunk, a[i:end])
		out = append(out, chunk)
	}
	return out, nil
}

func fnArrayContains(c *intrinsic, args []any, env *Env) (any, *Failure) {
	a, f := c.wantArray(args, 0)
	if f != nil {
		return nil, f
	}
	for _, e := range a {
		if sameJSON(e, args[1]) {
			return true, nil
		}
	}
	return false, nil
}

func fnArrayRange(c *intrinsic, args []any, env *Env) (any, *Failure) {
	var n [3]int64
	for i := range n {
		v, f := c.wantInt(args, i)
		if f != nil {
			return nil, f
		}
		n[i] = v
	}
	start, end, step := n[0], n[1], n[2]
	if step == 0 {
		return nil, c.invalid("the step must not be 0")
	}
	count := int64(0)
	if step > 0 && end >= start || step < 0 && end <= start {
		count = (end-start)/step + 1
	}
	if count > maxArrayRangeItems {
		return nil, c.invalid("the range would have %d items, more than the %d allowed", count, maxArrayRangeItems)
	}
	out := make([]any, count)
	for i := range out {
		out[i] = start + int64(i)*step
	}
	return out, nil
}

func fnArrayGetItem(c *intrinsic, args []any, env *Env) (any, *Failure) {
	a, f := c.wantArray(args, 0)
	if f != nil {
		return nil, f
	}
	i, f := c.wantInt(args, 1)
	if f != nil {
		return nil, f
	}
	if i < 0 || i >= int64(len(a)) {
		return nil, c.invalid("the index %d is out of bounds for an array of length %d", i, len(a))
	}
	return a[i], nil
}

func fnArrayLength(c *intrinsic, args []any, env *Env) (any, *Failure) {
	a, f := c.wantArray(args, 0)
	if f != nil {
		return nil, f
	}
	return int64(len(a)), nil
}

func fnArrayUnique(c *intrinsic, args []any, env *Env) (any, *Failure) {
	a, f := c.wantArray(args, 0)
	if f != nil {
		return nil, f
	}
	seen := make(map[string]bool, len(a))
	out := make([]any, 0, len(a))
	for _, e := range a {
		k := MarshalString(e) // floats keep their fraction: 1 and 1.0 differ
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out, nil
}

// sameJSON is equality of JSON values where numbers also compare by kind:
// the integer 1 is not the float 1.0.
func sameJSON(a, b any) bool { return equalJSON(a, b, true) }

func fnBase64Encode(c *intrinsic, args []any, env *Env) (any, *Failure) {
	s, f := c.wantString(args, 0)
	if f != nil {
		return nil, f
	}
	if n := javaLength(s); n > maxEncodedInput {
		return nil, c.invalid("the input has %d characters, more than the %d allowed", n, maxEncodedInput)
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnBase64Decode(c *intrinsic, args []any, env *Env) (any, *Failure) {
	s, f := c.wantString(args, 0)
	if f != nil {
		return nil, f
	}
	if n := javaLength(s); n > maxEncodedInput {
		return nil, c.invalid("the input has %d characters, more than the %d allowed", n, maxEncodedInput)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, c.invalid("the input is not valid Base64")
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

func fnHash(c *intrinsic, args []any, env *Env) (any, *Failure) {
	s, f := c.wantString(args, 0)
	if f != nil {
		return nil, f
	}
	alg, f := c.wantString(args, 1)
	if f != nil {
		return nil, f
	}
	if n := javaLength(s); n > maxEncodedInput {
		return nil, c.invalid("the input has %d characters, more than the %d allowed", n, maxEncodedInput)
	}
	var h hash.Hash
	switch alg {
	case "MD5":
		h = md5.New()
	case "SHA-1":
		h = sha1.New()
	case "SHA-256":
		h = sha256.New()
	case "SHA-384":
		h = sha512.New384()
	case "SHA-512":
		h = sha512.New()
	default:
		return nil, c.invalid("the hash algorithm %q is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512", alg)
	}
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fnJSONMerge(c *intrinsic, args []any, env *Env) (any, *Failure) {
	a, f := c.wantObject(args, 0)
	if f != nil {
		return nil, f
	}
	b, f := c.wantObject(args, 1)
	if f != nil {
		return nil, f
	}
	deep, ok := args[2].(bool)
	if !ok {
		return nil, c.invalid("the third argument must be a boolean but was %s", jsonKindName(args[2]))
	}
	if deep {
		return nil, c.invalid("deep merging is not supported; the third argument must be false")
	}
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out, nil
}

func fnMathRandom(c *intrinsic, args []any, env *Env) (any, *Failure) {
	start, f := c.wantRounded(args, 0)
	if f != nil {
		return nil, f
	}
	end, f := c.wantRounded(args, 1)
	if f != nil {
		return nil, f
	}
	if end <= start {
		return nil, c.invalid("the end value %d must be greater than the start value %d", end, start)
	}
	span := end - start
	if len(args) == 3 {
		seed, f := c.wantRounded(args, 2)
		if f != nil {
			return nil, f
		}
		r := newJavaRandom(seed)
		return start + r.nextInt(span), nil
	}
	x := 0.5
	if env != nil && env.Random != nil {
		x = env.Random()
	}
	n := int64(math.Floor(x * float64(span)))
	n = max(0, min(n, span-1))
	return start + n, nil
}

// javaRandom is the linear congruential generator of java.util.Random, so
// that a seeded States.MathRandom gives the same number on every run.
type javaRandom struct{ seed uint64 }

const (
	javaRandMult = 0x5DEECE66D
	javaRandMask = (1 << 48) - 1
)

func newJavaRandom(seed int64) *javaRandom {
	return &javaRandom{seed: (uint64(seed) ^ javaRandMult) & javaRandMask}
}

func (r *javaRandom) next(bits uint) int32 {
	r.seed = (r.seed*javaRandMult + 0xB) & javaRandMask
	return int32(int64(r.seed) >> (48 - bits))
}

// nextInt returns a number in [0, bound); bound is in (0, 2^32).
func (r *javaRandom) nextInt(bound int64) int64 {
	if bound > math.MaxInt32 {
		// Beyond Java's int bound: combine two draws.
		hi := int64(r.next(31))
		lo := int64(r.next(31))
		return (hi<<31 | lo) % bound
	}
	b := int32(bound)
	x := r.next(31)
	m := b - 1
	if b&m == 0 {
		return int64(int32((int64(b) * int64(x)) >> 31))
	}
	u := x
	for {
		x = u % b
		if u-x+m >= 0 { // int32 arithmetic, as in Java
			return int64(x)
		}
		u = r.next(31)
	}
}

func fnMathAdd(c *intrinsic, args []any, env *Env) (any, *Failure) {
	a, f := c.wantRounded(args, 0)
	if f != nil {
		return nil, f
	}
	b, f := c.wantRounded(args, 1)
	if f != nil {
		return nil, f
	}
	return a + b, nil
}

func fnStringSplit(c *intrinsic, args []any, env *Env) (any, *Failure) {
	s, f := c.wantString(args, 0)
	if f != nil {
		return nil, f
	}
	delims, f := c.wantString(args, 1)
	if f != nil {
		return nil, f
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delims, r) })
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func fnUUID(c *intrinsic, args []any, env *Env) (any, *Failure) {
	if env == nil || env.UUID == nil {
		return nil, failf(ErrIntrinsicFailure, "%s has no source of UUIDs", c.name)
	}
	return env.UUID(), nil
}
