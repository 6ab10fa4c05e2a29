package statelang

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ohler55/ojg/oj"
)

// ParseJSON parses one JSON document into the value model. Integers
// become int64 (json.Number beyond int64), numbers with a fraction or an
// exponent float64, except long decimals, kept as json.Number. A number
// with an exponent beyond float64's range (1e400) is an error: it has no
// value in the model (it would print as null). It never panics on
// malformed input.
func ParseJSON(b []byte) (v any, err error) {
	if hasSurrogateEscape(b) {
		// ojg decodes escaped UTF-16 surrogate pairs (\ud83d\ude00) as two
		// replacement characters; encoding/json joins them correctly.
		v, err = parseStd(b)
	} else {
		v, err = parseOj(b)
	}
	if err == nil && bytes.ContainsAny(b, "eE") && !finite(v) {
		return nil, fmt.Errorf("invalid JSON: a number is outside the range of a 64-bit float (about ±1.8E308)")
	}
	return v, err
}

func parseOj(b []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("invalid JSON: %v", r)
		}
	}()
	return oj.Parse(b)
}

// finite reports whether every float in v is finite.
func finite(v any) bool {
	switch t := v.(type) {
	case float64:
		return !math.IsInf(t, 0) && !math.IsNaN(t)
	case []any:
		for _, e := range t {
			if !finite(e) {
				return false
			}
		}
	case map[string]any:
		for _, e := range t {
			if !finite(e) {
				return false
			}
		}
	}
	return true
}

// hasSurrogateEscape reports whether b holds a \uD800–\uDFFF escape.
func hasSurrogateEscape(b []byte) bool {
	for i := 0; i+3 < len(b); i++ {
		if b[i] == '\\' && (b[i+1] == 'u' || b[i+1] == 'U') && (b[i+2] == 'd' || b[i+2] == 'D') {
			switch b[i+3] {
			case '8', '9', 'a', 'b', 'c', 'd', 'e', 'f', 'A', 'B', 'C', 'D', 'E', 'F':
				return true
			}
		}
	}
	return false
}

func parseStd(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("invalid JSON: data after the document")
	}
	return fromStd(v), nil
}

// fromStd converts encoding/json's json.Number values to the value model.
func fromStd(v any) any {
	switch t := v.(type) {
	case json.Number:
		s := string(t)
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n
			}
			return t
		}
		f, _ := strconv.ParseFloat(s, 64)
		return f
	case []any:
		for i, e := range t {
			t[i] = fromStd(e)
		}
	case map[string]any:
		for k, e := range t {
			t[k] = fromStd(e)
		}
	}
	return v
}

// MarshalJSON encodes a value of the value model as compact JSON. Object keys
// are written in sorted order, integers without a fraction and floats always
// with one (1.0 stays 1.0), the way Step Functions prints them.
func MarshalJSON(v any) []byte { return []byte(MarshalString(v)) }

// MarshalString is MarshalJSON as a string.
func MarshalString(v any) string {
	var sb strings.Builder
	writeJSON(&sb, v)
	return sb.String()
}

// JSONText is a value kept as the compact JSON text MarshalJSON wrote,
// which MarshalJSON writes as it is: a value that is only passed on (a
// distributed Map's items, each a child's input) costs its text rather
// than its parsed form. No other function of the value model takes it.
type JSONText string

func writeJSON(sb *strings.Builder, v any) {
	switch t := v.(type) {
	case nil:
		sb.WriteString("null")
	case bool:
		if t {
			sb.WriteString("true")
		} else {
			sb.WriteString("false")
		}
	case int64:
		var b [20]byte
		sb.Write(strconv.AppendInt(b[:0], t, 10))
	case int:
		var b [20]byte
		sb.Write(strconv.AppendInt(b[:0], int64(t), 10))
	case float64:
		sb.WriteString(formatFloat(t))
	case json.Number:
		sb.WriteString(string(t))
	case JSONText:
		sb.WriteString(string(t))
	case string:
		writeString(sb, t)
	case []any:
		sb.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeJSON(sb, e)
		}
		sb.WriteByte(']')
	case map[string]any:
		var small [8]string // most objects: no allocation for the keys
		keys := small[:0]
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		sb.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeString(sb, k)
			sb.WriteByte(':')
			writeJSON(sb, t[k])
		}
		sb.WriteByte('}')
	default:
		b, err := json.Marshal(t)
		if err != nil {
			sb.WriteString("null")
			return
		}
		sb.Write(b)
	}
}

// formatFloat prints a float the way Java's Double.toString does for the
// range that matters in JSON: always a fraction or an exponent, so the value
// reads back as a float.
func formatFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null"
	}
	a := math.Abs(f)
	if a != 0 && (a < 1e-3 || a >= 1e7) {
		s := strconv.FormatFloat(f, 'E', -1, 64)
		mant, exp, _ := strings.Cut(s, "E")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		exp = strings.TrimPrefix(exp, "+")
		neg := strings.HasPrefix(exp, "-")
		exp = strings.TrimLeft(strings.TrimPrefix(exp, "-"), "0")
		if neg {
			exp = "-" + exp
		}
		return mant + "E" + exp
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

func writeString(sb *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	sb.WriteByte('"')
	// Runs of bytes written as they are (printable ASCII but '"' and '\\',
	// and valid UTF-8 sequences) are copied at once.
	for len(s) > 0 {
		n := 0
		for n < len(s) {
			if c := s[n]; c >= utf8.RuneSelf {
				r, size := utf8.DecodeRuneInString(s[n:])
				if r == utf8.RuneError && size == 1 {
					break
				}
				n += size
			} else if c >= 0x20 && c != '"' && c != '\\' {
				n++
			} else {
				break
			}
		}
		sb.WriteString(s[:n])
		if n == len(s) {
			break
		}
		r, size := utf8.DecodeRuneInString(s[n:])
		s = s[n+size:]
		switch {
		case r == '"':
			sb.WriteString(`\"`)
		case r == '\\':
			sb.WriteString(`\\`)
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r == '\b':
			sb.WriteString(`\b`)
		case r == '\f':
			sb.WriteString(`\f`)
		case r < 0x20:
			sb.WriteString(`\u00`)
			sb.WriteByte(hex[r>>4])
			sb.WriteByte(hex[r&0xf])
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte('"')
}

// sizeOver reports whether the JSON text of v (as MarshalJSON writes it:
// compact, UTF-8, the way AWS measures payloads) is longer than limit
// bytes. It stops counting as soon as the limit is passed, so it costs at
// most about limit steps however large v is.
func sizeOver(v any, limit int) bool { return jsonLen(v, limit) > limit }

// jsonLen returns the length of MarshalJSON(v), or some length above
// limit once it is known to pass limit.
func jsonLen(v any, limit int) int {
	n := 0
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case nil:
			n += 4
		case bool:
			if t {
				n += 4
			} else {
				n += 5
			}
		case int64:
			n += intLen(t)
		case int:
			n += intLen(int64(t))
		case float64:
			n += len(formatFloat(t))
		case json.Number:
			n += len(t)
		case string:
			n += stringLen(t)
		case []any:
			n += 2 + max(len(t)-1, 0)
			for _, e := range t {
				if n > limit {
					return
				}
				walk(e)
			}
		case map[string]any:
			n += 2 + max(len(t)-1, 0)
			for k, e := range t {
				if n > limit {
					return
				}
				n += stringLen(k) + 1
				walk(e)
			}
		default:
			n += len(MarshalJSON(v))
		}
	}
	walk(v)
	return n
}

// intLen is the number of characters of the decimal form of i.
func intLen(i int64) int {
	n := 1
	if i < 0 {
		n++
		if i == math.MinInt64 {
			return 20
		}
		i = -i
	}
	for ; i >= 10; i /= 10 {
		n++
	}
	return n
}

// stringLen is the length of s as writeString writes it, quotes included.
func stringLen(s string) int {
	n := 2
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t' || r == '\b' || r == '\f':
			n += 2
		case r < 0x20:
			n += 6
		default:
			n += utf8.RuneLen(r)
		}
	}
	return n
}

// Clone returns a deep copy of a value, so that a caller may change the copy
// without touching the original.
func Clone(v any) any {
	switch t := v.(type) {
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = Clone(e)
		}
		return c
	case map[string]any:
		c := make(map[string]any, len(t))
		for k, e := range t {
			c[k] = Clone(e)
		}
		return c
	default:
		return v
	}
}

// isNumber reports whether v is a JSON number of the value model.
func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64, json.Number, int:
		return true
	}
	return false
}

// toFloat converts a JSON number to float64.
func toFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case int64:
		return float64(t), true
	case int:
		return float64(t), true
	case float64:
		return t, true
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	}
	return 0, false
}

// Equal reports whether two values are equal as JSON, numbers compared by
// value (1 equals 1.0).
func Equal(a, b any) bool { return equalJSON(a, b, false) }

// equalJSON compares two values; with strictNumbers, numbers are equal only
// when they print the same (1 and 1.0 differ), as the intrinsics compare.
func equalJSON(a, b any, strictNumbers bool) bool {
	if isNumber(a) || isNumber(b) {
		if !isNumber(a) || !isNumber(b) {
			return false
		}
		if strictNumbers {
			return MarshalString(a) == MarshalString(b)
		}
		if ai, ok := a.(int64); ok {
			if bi, ok := b.(int64); ok {
				return ai == bi
			}
		}
		fa, _ := toFloat(a)
		fb, _ := toFloat(b)
		return fa == fb
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalJSON(x[i], y[i], strictNumbers) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equalJSON(v, w, strictNumbers) {
				return false
			}
		}
		return true
	}
	return false
}
