package jsonata

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

const regexTimeout = time.Second

var builtins map[string]any

func def(name, sig string, fn func(ev *evaluator, args []any, input any, env *frame) any) {
	s := mustSig(sig)
	b := &builtin{name: name, sig: s, arity: len(s.params), nparams: len(s.params), fn: fn}
	builtins[name] = b
}

func arg(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}

func init() {
	builtins = map[string]any{}
	def("sum", "<a<n>:n>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		total := 0.0
		for _, v := range a[0].(*array).items {
			total += v.(float64)
		}
		return total
	})
	def("count", "<a:n>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return 0.0
		}
		return float64(len(a[0].(*array).items))
	})
	minmax := func(isMax bool) func(ev *evaluator, a []any, _ any, _ *frame) any {
		return func(ev *evaluator, a []any, _ any, _ *frame) any {
			if a[0] == nil || len(a[0].(*array).items) == 0 {
				return nil
			}
			items := a[0].(*array).items
			r := items[0].(float64)
			for _, v := range items[1:] {
				f := v.(float64)
				if math.IsNaN(f) {
					r = f
				} else if isMax && f > r || !isMax && f < r {
					r = f
				}
			}
			return r
		}
	}
	def("max", "<a<n>:n>", minmax(true))
	def("min", "<a<n>:n>", minmax(false))
	def("average", "<a<n>:n>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil || len(a[0].(*array).items) == 0 {
			return nil
		}
		total := 0.0
		items := a[0].(*array).items
		for _, v := range items {
			total += v.(float64)
		}
		return total / float64(len(items))
	})
	def("string", "<x-b?:s>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		pretty := arg(a, 1) == true
		return ev.stringify(a[0], pretty)
	})
	builtins["string"].(*builtin).arity = 1
	def("substring", "<s-nn?:s>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		return substring(a[0].(string), a[1], arg(a, 2))
	})
	def("substringBefore", "<s-s:s>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		s := a[0].(string)
		chars, _ := a[1].(string)
		if a[1] == nil {
			return s
		}
		if i := strings.Index(s, chars); i >= 0 {
			return s[:i]
		}
		return s
	})
	def("substringAfter", "<s-s:s>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		s := a[0].(string)
		if a[1] == nil {
			return s
		}
		chars := a[1].(string)
		if i := strings.Index(s, chars); i >= 0 {
			return s[i+len(chars):]
		}
		return s
	})
	def("lowercase", "<s-:s>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		return strings.ToLower(a[0].(string))
	})
	def("uppercase", "<s-:s>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		return jsUpper(a[0].(string))
	})
	def("length", "<s-:n>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		return float64(utf8.RuneCountInString(a[0].(string)))
	})
	def("trim", "<s-:s>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		return trimJS(a[0].(string))
	})
	def("pad", "<s-ns?:s>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		s := a[0].(string)
		width := 0.0
		if a[1] != nil {
			width = a[1].(float64)
		}
		ch, _ := arg(a, 2).(string)
		if ch == "" {
			ch = " "
		}
		padLen := int(math.Abs(width)) - utf8.RuneCountInString(s)
		if math.Abs(width) > float64(ev.maxSize) {
			ev.checkSize(int(math.Min(math.Abs(width), math.MaxInt32)))
		}
		if padLen <= 0 {
			return s
		}
		ev.checkSize(len(s) + padLen*len(ch))
		var b strings.Builder
		cr := []rune(ch)
		for i := 0; i < padLen; i++ {
			b.WriteRune(cr[i%len(cr)])
		}
		if width > 0 {
			return s + b.String()
		}
		return b.String() + s
	})
	def("match", "<s-f<s:o>n?:a<o>>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		str := a[0].(string)
		limit := arg(a, 2)
		if l, ok := limit.(float64); ok && l < 0 {
			panic(&Error{Code: "D3040", Value: l, Index: 3, Position: -1})
		}
		result := newSeq()
		if limit == nil || limit.(float64) > 0 {
			count := 0.0
			m := ev.call(a[1], str)
			for m != nil && (limit == nil || count < limit.(float64)) {
				mo := matchObject(m)
				o := NewObject(3)
				o.Set("match", mo.vals["match"])
				o.Set("index", mo.vals["start"])
				o.Set("groups", mo.vals["groups"])
				result.push(o)
				m = ev.call(mo.vals["next"])
				count++
			}
		}
		return result
	})
	def("contains", "<s-(sf):b>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		str := a[0].(string)
		switch t := a[1].(type) {
		case string:
			return strings.Contains(str, t)
		case nil:
			return nil
		default:
			return ev.call(t, str) != nil
		}
	})
	def("replace", "<s-(sf)(sf)n?:s>", func(ev *evaluator, a []any, _ any, env *frame) any {
		return ev.replace(a)
	})
	def("split", "<s-(sf)n?:a<s>>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		return ev.split(a)
	})
	def("join", "<a<s>s?:s>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		sep, _ := arg(a, 1).(string)
		items := a[0].(*array).items
		total := 0
		parts := make([]string, len(items))
		for i, v := range items {
			parts[i] = v.(string)
			total += len(parts[i]) + len(sep)
		}
		ev.checkSize(total)
		return strings.Join(parts, sep)
	})
	def("formatNumber", "<n-so?:s>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		pic, _ := arg(a, 1).(string)
		opts, _ := arg(a, 2).(*Object)
		return formatNumberPicture(a[0].(float64), pic, opts)
	})
	def("formatBase", "<n-n?:s>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		v := roundHalfEven(a[0].(float64), 0)
		radix := 10.0
		if r, ok := arg(a, 1).(float64); ok {
			radix = r
		}
		if radix < 2 || radix > 36 {
			throw("D3100", radix)
		}
		return formatRadix(v, int(radix))
	})
	def("formatInteger", "<n-s:s>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		return formatInteger(a[0].(float64), a[1].(string))
	})
	def("parseInteger", "<s-s:n>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		return parseInteger(a[0].(string), a[1].(string))
	})
	def("number", "<(nsb)-:n>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		return toNumber(a[0])
	})
	def("floor", "<n-:n>", mathFn(math.Floor))
	def("ceil", "<n-:n>", mathFn(math.Ceil))
	def("abs", "<n-:n>", mathFn(math.Abs))
	def("sqrt", "<n-:n>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		f := a[0].(float64)
		if f < 0 {
			throw("D3060", f)
		}
		return math.Sqrt(f)
	})
	def("power", "<n-n:n>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		r := math.Pow(a[0].(float64), a[1].(float64))
		if math.IsNaN(r) || math.IsInf(r, 0) {
			panic(&Error{Code: "D3061", Value: a[0], Value2: a[1], Position: -1})
		}
		return r
	})
	def("round", "<n-n?:n>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		p := 0.0
		if f, ok := arg(a, 1).(float64); ok {
			p = f
		}
		return roundHalfEven(a[0].(float64), int(p))
	})
	def("boolean", "<x-:b>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		return boolean(a[0])
	})
	def("not", "<x-:b>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		return !boolize(a[0])
	})
	def("map", "<af>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		arr := a[0].(*array)
		result := newSeqCap(len(arr.items))
		for i, v := range arr.items {
			r := ev.apply(a[1], hofArgs(a[1], v, float64(i), arr), nil, nil)
			if r != nil {
				result.push(r)
			}
		}
		return result
	})
	def("filter", "<af>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		arr := a[0].(*array)
		result := newSeq()
		for i, v := range arr.items {
			r := ev.apply(a[1], hofArgs(a[1], v, float64(i), arr), nil, nil)
			if boolize(r) {
				result.push(v)
			}
		}
		return result
	})
	def("single", "<af?>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		arr := a[0].(*array)
		found := false
		var result any
		for i, v := range arr.items {
			pos := true
			if f := arg(a, 1); f != nil {
				pos = boolize(ev.apply(f, hofArgs(f, v, float64(i), arr), nil, nil))
			}
			if pos {
				if found {
					panic(&Error{Code: "D3138", Index: i, Position: -1})
				}
				result = v
				found = true
			}
		}
		if !found {
			throw("D3139", nil)
		}
		return result
	})
	def("zip", "<a+>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		length := math.MaxInt
		for _, x := range a {
			if arr, ok := x.(*array); ok {
				length = min(length, len(arr.items))
			} else {
				length = 0
			}
		}
		if len(a) == 0 {
			length = 0
		}
		result := &array{items: []any{}}
		for i := 0; i < length; i++ {
			t := &array{items: make([]any, len(a))}
			for j, x := range a {
				t.items[j] = x.(*array).items[i]
			}
			result.push(t)
		}
		return result
	})
	builtins["zip"].(*builtin).arity = 0
	def("reduce", "<afj?:j>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		arr := a[0].(*array)
		ar := funcArity(a[1])
		if ar < 2 {
			panic(&Error{Code: "D3050", Index: 1, Position: -1})
		}
		var result any
		index := 0
		init := arg(a, 2)
		if init == nil && len(arr.items) > 0 {
			result = arr.items[0]
			index = 1
		} else {
			result = init
		}
		for index < len(arr.items) {
			args := []any{result, arr.items[index]}
			if ar >= 3 {
				args = append(args, float64(index))
			}
			if ar >= 4 {
				args = append(args, arr)
			}
			result = ev.apply(a[1], args, nil, nil)
			index++
		}
		return result
	})
	def("sift", "<o-f?:o>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		o, ok := a[0].(*Object)
		if !ok {
			return nil
		}
		result := NewObject(0)
		for _, k := range o.keys {
			v := o.vals[k]
			if boolize(ev.apply(a[1], hofArgs(a[1], v, k, o), nil, nil)) {
				result.Set(k, v)
			}
		}
		if result.Len() == 0 {
			return nil
		}
		return result
	})
	def("keys", "<x-:a<s>>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		return keysOf(a[0])
	})
	def("lookup", "<x-s:x>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		k, _ := a[1].(string)
		if a[1] == nil {
			return nil
		}
		return lookupField(a[0], k)
	})
	def("append", "<xx:a>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		r := appendValues(a[0], a[1])
		if ra, ok := r.(*array); ok {
			ev.checkSize(len(ra.items))
		}
		return r
	})
	def("exists", "<x:b>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		return a[0] != nil
	})
	def("spread", "<x-:a<o>>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		return ev.spread(a[0])
	})
	def("merge", "<a<o>:o>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		result := NewObject(0)
		for _, v := range a[0].(*array).items {
			if o, ok := v.(*Object); ok {
				for _, k := range o.keys {
					result.Set(k, o.vals[k])
				}
			}
		}
		return result
	})
	def("reverse", "<a:a>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		arr := a[0].(*array)
		if len(arr.items) <= 1 {
			return arr
		}
		r := &array{items: make([]any, len(arr.items))}
		for i, v := range arr.items {
			r.items[len(arr.items)-1-i] = v
		}
		return r
	})
	def("each", "<o-f:a>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		o, ok := a[0].(*Object)
		result := newSeq()
		if !ok {
			return result
		}
		for _, k := range o.keys {
			r := ev.apply(a[1], hofArgs(a[1], o.vals[k], k, o), nil, nil)
			if r != nil {
				result.push(r)
			}
		}
		return result
	})
	def("error", "<s?:x>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		msg, _ := arg(a, 0).(string)
		if msg == "" {
			msg = "$error() function evaluated"
		}
		panic(&Error{Code: "D3137", Message: msg, Position: -1})
	})
	def("assert", "<bs?:x>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] != true {
			msg, _ := arg(a, 1).(string)
			if msg == "" {
				msg = "$assert() statement failed"
			}
			panic(&Error{Code: "D3141", Message: msg, Position: -1})
		}
		return nil
	})
	def("type", "<x:s>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		switch a[0].(type) {
		case nil:
			return nil
		case nullT:
			return "null"
		case float64:
			return "number"
		case string:
			return "string"
		case bool:
			return "boolean"
		case *array:
			return "array"
		case *builtin, *lambda, *partialNative:
			return "function"
		}
		return "object"
	})
	def("sort", "<af?:a>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		arr := a[0].(*array)
		if len(arr.items) <= 1 {
			return arr
		}
		var swap func(x, y any) bool
		if f := arg(a, 1); f != nil {
			swap = func(x, y any) bool { return boolize(ev.apply(f, []any{x, y}, nil, nil)) }
		} else {
			if isArrayOfNumbers(arr) {
				swap = func(x, y any) bool { return x.(float64) > y.(float64) }
			} else if isArrayOfStrings(arr) {
				swap = func(x, y any) bool { return compareStrings(x.(string), y.(string)) > 0 }
			} else {
				panic(&Error{Code: "D3070", Index: 1, Position: -1})
			}
		}
		return &array{items: mergeSort(arr.items, swap)}
	})
	def("shuffle", "<a:a>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		arr := a[0].(*array)
		if len(arr.items) <= 1 {
			return arr
		}
		r := &array{items: append([]any(nil), arr.items...)}
		for i := len(r.items) - 1; i > 0; i-- {
			j := int(math.Floor(ev.random() * float64(i+1)))
			r.items[i], r.items[j] = r.items[j], r.items[i]
		}
		return r
	})
	def("distinct", "<x:x>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		arr, ok := a[0].(*array)
		if !ok || len(arr.items) <= 1 {
			return a[0]
		}
		r := &array{sequence: arr.sequence}
		for _, v := range arr.items {
			dup := false
			ev.steps += len(r.items)
			if ev.steps&^255 != 0 {
				ev.check()
			}
			for _, w := range r.items {
				if deepEqual(v, w) {
					dup = true
					break
				}
			}
			if !dup {
				r.push(v)
			}
		}
		return r
	})
	def("base64encode", "<s-:s>", strFn(func(s string) any {
		return base64.StdEncoding.EncodeToString([]byte(s))
	}))
	def("base64decode", "<s-:s>", strFn(func(s string) any {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
			if err != nil {
				throw("D3137", s)
			}
		}
		return latin1OrUTF8(b)
	}))
	def("encodeUrlComponent", "<s-:s>", strFn(func(s string) any { return encodeURI(s, uriComponentSafe, "encodeUrlComponent") }))
	def("encodeUrl", "<s-:s>", strFn(func(s string) any { return encodeURI(s, uriSafe, "encodeUrl") }))
	def("decodeUrlComponent", "<s-:s>", strFn(func(s string) any { return decodeURI(s, "", "decodeUrlComponent") }))
	def("decodeUrl", "<s-:s>", strFn(func(s string) any { return decodeURI(s, ";/?:@&=+$,#", "decodeUrl") }))
	def("toMillis", "<s-s?:n>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		if p, ok := arg(a, 1).(string); ok {
			return parseDateTime(a[0].(string), p, ev.now)
		}
		return isoToMillis(a[0].(string))
	})
	def("fromMillis", "<n-s?s?:s>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		pic, hasPic := arg(a, 1).(string)
		tz, hasTZ := arg(a, 2).(string)
		return formatDateTime(a[0].(float64), pic, hasPic, tz, hasTZ)
	})
	def("clone", "<(oa)-:o>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		v, err := parseJSONInternal(Marshal(a[0]))
		if err != nil {
			return nil
		}
		return v
	})
	def("now", "<s?s?:s>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		ms := float64(ev.now.UnixMilli())
		pic, hasPic := arg(a, 0).(string)
		tz, hasTZ := arg(a, 1).(string)
		return formatDateTime(ms, pic, hasPic, tz, hasTZ)
	})
	def("millis", "<:n>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		return float64(ev.now.UnixMilli())
	})
	// AWS Step Functions additions.
	def("random", "<n?:n>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if seed, ok := arg(a, 0).(float64); ok {
			return seededRandom(seed)
		}
		return ev.random()
	})
	def("uuid", "<:s>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if ev.uuid != nil {
			return ev.uuid()
		}
		var b [16]byte
		for i := range b {
			b[i] = byte(ev.random() * 256)
		}
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		h := hex.EncodeToString(b[:])
		return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	})
	def("partition", "<an:a>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		if a[1] == nil {
			return nil
		}
		size := a[1].(float64)
		if size < 1 || size != math.Trunc(size) {
			panic(&Error{Code: "D3142", Value: size, Position: -1, Message: "The second argument of $partition must be a positive integer"})
		}
		items := a[0].(*array).items
		n := int(size)
		out := &array{items: []any{}}
		for i := 0; i < len(items); i += n {
			end := min(i+n, len(items))
			out.push(&array{items: append([]any(nil), items[i:end]...)})
		}
		return out
	})
	def("range", "<nnn?:a>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil || a[1] == nil {
			return nil
		}
		start, end := a[0].(float64), a[1].(float64)
		step := 1.0
		if s, ok := arg(a, 2).(float64); ok {
			step = s
		}
		if step == 0 || math.IsNaN(step) {
			panic(&Error{Code: "D3143", Value: step, Position: -1, Message: "The step argument of $range must not be zero"})
		}
		// A sequence, as on AWS: a range of one number is that number.
		out := &array{items: []any{}, sequence: true}
		count := (end - start) / step
		if count >= 0 {
			ev.checkSize(int(math.Min(count+1, math.MaxInt32)))
		}
		for x := start; (step > 0 && x <= end) || (step < 0 && x >= end); x += step {
			out.push(x)
		}
		return out
	})
	def("hash", "<s-s?:s>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		alg := "SHA-256"
		if s, ok := arg(a, 1).(string); ok {
			alg = s
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
			panic(&Error{Code: "D3144", Value: alg, Position: -1, Message: "The hash algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"})
		}
		h.Write([]byte(a[0].(string)))
		return hex.EncodeToString(h.Sum(nil))
	})
	def("parse", "<s-:j>", func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		v, err := parseJSONInternal(a[0].(string))
		if err != nil {
			panic(&Error{Code: "D3145", Value: a[0], Position: -1, Message: "The argument of $parse is not valid JSON: " + err.Error()})
		}
		return v
	})
}

func mathFn(f func(float64) float64) func(ev *evaluator, a []any, _ any, _ *frame) any {
	return func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		r := f(a[0].(float64))
		if r == 0 {
			return 0.0
		}
		return r
	}
}

func strFn(f func(string) any) func(ev *evaluator, a []any, _ any, _ *frame) any {
	return func(ev *evaluator, a []any, _ any, _ *frame) any {
		if a[0] == nil {
			return nil
		}
		return f(a[0].(string))
	}
}

func hofArgs(f any, v, i, arr any) []any {
	n := funcArity(f)
	args := []any{v}
	if n >= 2 {
		args = append(args, i)
	}
	if n >= 3 {
		args = append(args, arr)
	}
	return args
}

// stringify is JSONata's $string.
func (ev *evaluator) stringify(v any, pretty bool) string {
	switch x := v.(type) {
	case string:
		return x
	case *builtin, *lambda, *partialNative:
		return ""
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			throw("D3001", x)
		}
		return FormatNumber(toPrecision15(x))
	}
	if a, ok := v.(*array); ok && a.outerWrapper && len(a.items) > 0 {
		v = a.items[0]
	}
	checkFinite(v, 0)
	var b strings.Builder
	indent := ""
	if pretty {
		indent = "  "
	}
	writeJSON(&b, v, indent, 0, true)
	ev.checkSize(b.Len())
	return b.String()
}

func checkFinite(v any, depth int) {
	if depth > maxJSONDepth {
		return
	}
	switch x := v.(type) {
	case float64:
		isNumeric(x)
	case *array:
		for _, e := range x.items {
			checkFinite(e, depth+1)
		}
	case *Object:
		for _, k := range x.keys {
			checkFinite(x.vals[k], depth+1)
		}
	}
}

func jsIndex(f float64, length int) int {
	// ToIntegerOrInfinity then clamp for slice semantics
	if math.IsNaN(f) {
		return 0
	}
	f = math.Trunc(f)
	if f < 0 {
		f += float64(length)
		if f < 0 {
			f = 0
		}
	}
	if f > float64(length) {
		f = float64(length)
	}
	return int(f)
}

func substring(s string, startV, lengthV any) string {
	runes := []rune(s)
	n := len(runes)
	start := 0.0
	if f, ok := startV.(float64); ok {
		start = f
	}
	if float64(n)+start < 0 {
		start = 0
	}
	if l, ok := lengthV.(float64); ok {
		if l <= 0 {
			return ""
		}
		var end float64
		if start >= 0 {
			end = start + l
		} else {
			end = float64(n) + start + l
		}
		si, ei := jsIndex(start, n), jsIndex(end, n)
		if ei <= si {
			return ""
		}
		return string(runes[si:ei])
	}
	return string(runes[jsIndex(start, n):])
}

var trimRe = regexp.MustCompile(`[ \t\n\r]+`)

func trimJS(s string) string {
	r := trimRe.ReplaceAllString(s, " ")
	r = strings.TrimPrefix(r, " ")
	r = strings.TrimSuffix(r, " ")
	return r
}

func jsUpper(s string) string {
	if strings.ContainsRune(s, 'ß') {
		s = strings.ReplaceAll(s, "ß", "SS")
	}
	return strings.ToUpper(s)
}

func toNumber(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case float64:
		return x
	case bool:
		if x {
			return 1.0
		}
		return 0.0
	case string:
		if numStrRe.MatchString(x) {
			f, err := strconv.ParseFloat(x, 64)
			if err == nil && !math.IsInf(f, 0) {
				return f
			}
		}
		if m := hexStrRe.FindStringSubmatch(x); m != nil {
			base := 16
			switch x[1] {
			case 'o', 'O':
				base = 8
			case 'b', 'B':
				base = 2
			}
			if n, err := strconv.ParseUint(x[2:], base, 64); err == nil {
				return float64(n)
			}
		}
	}
	throw("D3030", v)
	return nil
}

var numStrRe = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$`)
var hexStrRe = regexp.MustCompile(`^(0[xX][0-9A-Fa-f]+|0[oO][0-7]+|0[bB][01]+)$`)

// roundHalfEven is JSONata's $round.
func roundHalfEven(arg float64, precision int) float64 {
	if math.IsNaN(arg) || math.IsInf(arg, 0) {
		return arg
	}
	v := arg
	if precision != 0 {
		v = shiftDecimal(arg, precision)
	}
	r := math.Floor(v + 0.5)
	diff := r - v
	if math.Abs(diff) == 0.5 && math.Abs(math.Mod(r, 2)) == 1 {
		r = r - 1
	}
	if precision != 0 {
		r = shiftDecimal(r, -precision)
	}
	if r == 0 {
		return 0
	}
	return r
}

func shiftDecimal(x float64, p int) float64 {
	s := FormatNumber(x)
	mant, exp := s, 0
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		mant = s[:i]
		exp, _ = strconv.Atoi(s[i+1:])
	}
	f, _ := strconv.ParseFloat(mant+"e"+strconv.Itoa(exp+p), 64)
	return f
}

func formatRadix(v float64, radix int) string {
	if v == math.Trunc(v) && math.Abs(v) < 1<<63 {
		return strconv.FormatInt(int64(v), radix)
	}
	return FormatNumber(v)
}

func keysOf(v any) any {
	result := newSeq()
	switch x := v.(type) {
	case *array:
		seen := map[string]bool{}
		for _, it := range x.items {
			if ks, ok := keysOf(it).(*array); ok {
				for _, k := range ks.items {
					if !seen[k.(string)] {
						seen[k.(string)] = true
						result.push(k)
					}
				}
			}
		}
	case *Object:
		for _, k := range x.keys {
			result.push(k)
		}
	}
	return result
}

// spread is $spread: an object becomes an array of one-key objects, an
// array the concatenation of its items spread. The result is built in one
// slice, checking the budget as it goes (appending item after item used
// to copy the result so far each time).
func (ev *evaluator) spread(v any) any {
	switch x := v.(type) {
	case *array:
		var items []any
		plain := false // once anything is added, the result is a plain array
		ev.spreadInto(x, &items, &plain, 0)
		if !plain {
			return newSeq()
		}
		return &array{items: items}
	case *Object:
		result := newSeqCap(len(x.keys))
		for _, k := range x.keys {
			ev.tick()
			o := NewObject(1)
			o.Set(k, x.vals[k])
			result.push(o)
		}
		return result
	}
	return v
}

func (ev *evaluator) spreadInto(a *array, items *[]any, plain *bool, d int) {
	if d > maxDataDepth {
		tooDeep()
	}
	for _, it := range a.items {
		ev.tick()
		switch x := it.(type) {
		case nil:
			continue
		case *array:
			ev.spreadInto(x, items, plain, d+1)
		case *Object:
			for _, k := range x.keys {
				ev.tick()
				o := NewObject(1)
				o.Set(k, x.vals[k])
				*items = append(*items, o)
			}
		default:
			*items = append(*items, it)
		}
		*plain = true
		ev.checkSize(len(*items))
	}
}

func matchObject(m any) *Object {
	o, ok := m.(*Object)
	if !ok {
		throw("T1010", m)
	}
	if _, ok := o.vals["match"].(string); !ok {
		throw("T1010", m)
	}
	if _, ok := o.vals["start"].(float64); !ok {
		throw("T1010", m)
	}
	return o
}

func (ev *evaluator) regexFunc(expr *node) any {
	re := expr.re
	var closure func(runes []rune, from int) any
	closure = func(runes []rune, from int) any {
		if from > len(runes) {
			return nil
		}
		m, err := re.FindRunesMatchStartingAt(runes, from)
		if err != nil {
			panic(&Error{Code: "U1001", Position: expr.pos, Message: "regular expression timeout"})
		}
		if m == nil {
			return nil
		}
		ev.steps++
		if ev.steps&255 == 0 {
			ev.check()
		}
		o := NewObject(5)
		ms := string(runes[m.Index : m.Index+m.Length])
		o.Set("match", ms)
		o.Set("start", float64(m.Index))
		o.Set("end", float64(m.Index+m.Length))
		groups := &array{items: []any{}}
		gs := m.Groups()
		for i := 1; i < len(gs); i++ {
			if len(gs[i].Captures) == 0 {
				groups.push("")
			} else {
				groups.push(gs[i].String())
			}
		}
		o.Set("groups", groups)
		last := m.Index + m.Length
		o.Set("next", &builtin{name: "next", arity: 0, fn: func(ev *evaluator, _ []any, _ any, _ *frame) any {
			if last >= len(runes) {
				return nil
			}
			n := closure(runes, last)
			if no, ok := n.(*Object); ok && no.vals["match"] == "" {
				panic(&Error{Code: "D1004", Position: expr.pos, Value: expr.reSrc})
			}
			return n
		}})
		return o
	}
	return &builtin{name: "", arity: 2, nparams: 2, fn: func(ev *evaluator, args []any, _ any, _ *frame) any {
		s, ok := arg(args, 0).(string)
		if !ok {
			return nil
		}
		from := 0
		if f, ok := arg(args, 1).(float64); ok {
			from = int(f)
		}
		return closure([]rune(s), from)
	}}
}

func (ev *evaluator) replace(a []any) any {
	if a[0] == nil {
		return nil
	}
	str := a[0].(string)
	pattern := a[1]
	replacement := a[2]
	limit := arg(a, 3)
	if pattern == "" {
		panic(&Error{Code: "D3010", Value: pattern, Index: 2, Position: -1})
	}
	if l, ok := limit.(float64); ok && l < 0 {
		panic(&Error{Code: "D3011", Value: l, Index: 4, Position: -1})
	}
	if limit != nil && limit.(float64) <= 0 {
		return str
	}
	lim := math.Inf(1)
	if limit != nil {
		lim = limit.(float64)
	}
	if ps, ok := pattern.(string); ok {
		rs := ""
		if s, ok := replacement.(string); ok {
			rs = s
		} else {
			rs = ev.stringify(replacement, false)
		}
		var b strings.Builder
		count := 0.0
		pos := 0
		for count < lim {
			i := strings.Index(str[pos:], ps)
			if i < 0 {
				break
			}
			b.WriteString(str[pos : pos+i])
			b.WriteString(rs)
			pos += i + len(ps)
			count++
			ev.checkSize(b.Len())
		}
		b.WriteString(str[pos:])
		return b.String()
	}
	runes := []rune(str)
	m := ev.call(pattern, str)
	if m == nil {
		return str
	}
	var b strings.Builder
	pos := 0
	count := 0.0
	for m != nil && count < lim {
		mo := matchObject(m)
		start := int(mo.vals["start"].(float64))
		if start < pos || start > len(runes) {
			break
		}
		b.WriteString(string(runes[pos:start]))
		var rw any
		if rs, ok := replacement.(string); ok {
			rw = substituteGroups(rs, mo)
		} else {
			rw = ev.apply(replacement, []any{mo}, nil, nil)
		}
		s, ok := rw.(string)
		if !ok {
			throw("D3012", rw)
		}
		b.WriteString(s)
		ev.checkSize(b.Len())
		pos = start + utf8.RuneCountInString(mo.vals["match"].(string))
		count++
		m = ev.call(mo.vals["next"])
	}
	if pos < len(runes) {
		b.WriteString(string(runes[pos:]))
	}
	return b.String()
}

func substituteGroups(replacement string, mo *Object) string {
	groups := mo.vals["groups"].(*array).items
	match := mo.vals["match"].(string)
	var b strings.Builder
	position := 0
	index := strings.IndexByte(replacement, '$')
	for index != -1 && position < len(replacement) {
		b.WriteString(replacement[position:index])
		position = index + 1
		var dollar byte
		if position < len(replacement) {
			dollar = replacement[position]
		}
		if dollar == '$' {
			b.WriteByte('$')
			position++
		} else if dollar == '0' {
			b.WriteString(match)
			position++
		} else {
			maxDigits := 1
			if len(groups) > 0 {
				maxDigits = int(math.Floor(math.Log10(float64(len(groups))))) + 1
			}
			idx, ok := parseLeadingInt(replacement[position:min(len(replacement), position+maxDigits)])
			if maxDigits > 1 && ok && idx > len(groups) {
				idx, ok = parseLeadingInt(replacement[position:min(len(replacement), position+maxDigits-1)])
			}
			if ok {
				if len(groups) > 0 && idx >= 1 && idx <= len(groups) {
					if g, ok := groups[idx-1].(string); ok {
						b.WriteString(g)
					}
				}
				position += len(strconv.Itoa(idx))
			} else {
				b.WriteByte('$')
			}
		}
		next := strings.IndexByte(replacement[min(position, len(replacement)):], '$')
		if next < 0 {
			index = -1
		} else {
			index = position + next
		}
	}
	if position < len(replacement) {
		b.WriteString(replacement[position:])
	}
	return b.String()
}

func parseLeadingInt(s string) (int, bool) {
	n := 0
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		i++
	}
	return n, i > 0
}

func (ev *evaluator) split(a []any) any {
	if a[0] == nil {
		return nil
	}
	str := a[0].(string)
	limit := arg(a, 2)
	if l, ok := limit.(float64); ok && l < 0 {
		panic(&Error{Code: "D3020", Value: l, Index: 3, Position: -1})
	}
	result := &array{items: []any{}}
	lim := math.Inf(1)
	if limit != nil {
		lim = math.Floor(limit.(float64))
	}
	if lim <= 0 {
		return result
	}
	if sep, ok := a[1].(string); ok {
		var parts []string
		if sep == "" {
			for _, u := range utf16.Encode([]rune(str)) {
				parts = append(parts, string(utf16.Decode([]uint16{u})))
			}
			// keep surrogate pairs whole where possible
			if !strings.ContainsFunc(str, func(r rune) bool { return r >= 0x10000 }) {
				parts = parts[:0]
				for _, r := range str {
					parts = append(parts, string(r))
				}
			}
		} else {
			parts = strings.Split(str, sep)
		}
		for _, p := range parts {
			if float64(len(result.items)) >= lim {
				break
			}
			result.push(p)
		}
		return result
	}
	runes := []rune(str)
	m := ev.call(a[1], str)
	if m == nil {
		result.push(str)
		return result
	}
	start := 0
	count := 0.0
	for m != nil && count < lim {
		mo := matchObject(m)
		ms := int(mo.vals["start"].(float64))
		if ms < start || ms > len(runes) {
			break
		}
		result.push(string(runes[start:ms]))
		end := ms + utf8.RuneCountInString(mo.vals["match"].(string))
		if e, ok := mo.vals["end"].(float64); ok {
			end = int(e)
		}
		start = min(end, len(runes))
		m = ev.call(mo.vals["next"])
		count++
	}
	if count < lim {
		result.push(string(runes[start:]))
	}
	return result
}

// ---------- URL encoding ----------

const uriComponentSafe = "-_.!~*'()"
const uriSafe = "-_.!~*'();/?:@&=+$,#"

func encodeURI(s, safe, fname string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			panic(&Error{Code: "D3140", Value: s, Token: fname, hasToken: true, Position: -1})
		}
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(safe, r)) {
			b.WriteRune(r)
		} else {
			for j := 0; j < size; j++ {
				fmt.Fprintf(&b, "%%%02X", s[i+j])
			}
		}
		i += size
	}
	return b.String()
}

func decodeURI(s, reserved, fname string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '%' {
			b.WriteByte(s[i])
			i++
			continue
		}
		// collect a UTF-8 sequence
		start := i
		var bytes []byte
		readByte := func() (byte, bool) {
			if i+3 > len(s) || s[i] != '%' {
				return 0, false
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return 0, false
			}
			i += 3
			return byte(v), true
		}
		c, ok := readByte()
		if !ok {
			panic(&Error{Code: "D3140", Value: s, Token: fname, hasToken: true, Position: -1})
		}
		bytes = append(bytes, c)
		n := 0
		switch {
		case c < 0x80:
			n = 0
		case c&0xE0 == 0xC0:
			n = 1
		case c&0xF0 == 0xE0:
			n = 2
		case c&0xF8 == 0xF0:
			n = 3
		default:
			panic(&Error{Code: "D3140", Value: s, Token: fname, hasToken: true, Position: -1})
		}
		for k := 0; k < n; k++ {
			c, ok := readByte()
			if !ok || c&0xC0 != 0x80 {
				panic(&Error{Code: "D3140", Value: s, Token: fname, hasToken: true, Position: -1})
			}
			bytes = append(bytes, c)
		}
		if !utf8.Valid(bytes) {
			panic(&Error{Code: "D3140", Value: s, Token: fname, hasToken: true, Position: -1})
		}
		if n == 0 && strings.IndexByte(reserved, bytes[0]) >= 0 {
			b.WriteString(s[start:i])
		} else {
			b.Write(bytes)
		}
	}
	return b.String()
}

var _ = url.PathEscape

func latin1OrUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// seededRandom returns a deterministic number in [0, 1) for a seed.
func seededRandom(seed float64) float64 {
	x := math.Float64bits(seed)
	// splitmix64
	x += 0x9e3779b97f4a7c15
	z := x
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}

var _ = regexp2.ECMAScript
