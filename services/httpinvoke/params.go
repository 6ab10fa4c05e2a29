package httpinvoke

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// A JSON value keeps its members' order and its numbers' text: object,
// []any, string, json.Number, bool or nil.
type object []member

type member struct {
	key string
	val any
}

func (o object) get(key string) (any, bool) {
	for _, m := range o {
		if m.key == key {
			return m.val, true
		}
	}
	return nil, false
}

// set replaces key's value, or appends it.
func (o *object) set(key string, val any) {
	for i := range *o {
		if (*o)[i].key == key {
			(*o)[i].val = val
			return
		}
	}
	*o = append(*o, member{key, val})
}

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(m.val)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func decodeOrdered(text string) (any, error) {
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	v, err := decodeValue(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("text after the JSON value")
	}
	return v, nil
}

func decodeValue(d *json.Decoder) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := object{}
		for d.More() {
			kt, err := d.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(d)
			if err != nil {
				return nil, err
			}
			o = append(o, member{kt.(string), v})
		}
		_, err := d.Token()
		return o, err
	case json.Delim('['):
		a := []any{}
		for d.More() {
			v, err := decodeValue(d)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := d.Token()
		return a, err
	}
	return tok, nil
}

// params are an HTTP task's effective parameters.
type params struct {
	endpoint      *url.URL
	method        string
	connectionARN string
	headers       [][2]string
	query         [][2]string
	body          any // nil: no RequestBody
	hasBody       bool
	urlEncoded    bool
	arrayFormat   string
}

var methods = map[string]bool{"GET": true, "POST": true, "PUT": true, "DELETE": true, "PATCH": true, "OPTIONS": true, "HEAD": true}

// forbiddenHeader reports whether a task may not set header (AWS's list; a
// task that does fails with States.Runtime).
func forbiddenHeader(name string) bool {
	n := strings.ToLower(name)
	for _, p := range []string{"x-forwarded-", "x-amz-", "x-amzn-"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	switch n {
	case "a-im", "accept-charset", "accept-datetime", "accept-encoding", "authorization",
		"cache-control", "connection", "content-encoding", "content-md5", "date", "expect",
		"forwarded", "from", "host", "http2-settings", "if-match", "if-modified-since",
		"if-none-match", "if-range", "if-unmodified-since", "max-forwards", "origin", "pragma",
		"proxy-authorization", "referer", "server", "te", "trailer", "transfer-encoding",
		"upgrade", "via", "warning":
		return true
	}
	return false
}

// parseParams reads and checks a task's parameters, reporting every
// problem at once as States.Runtime.
func parseParams(input string) (*params, error) {
	v, err := decodeOrdered(input)
	if err != nil {
		return nil, runtimeFailure("the HTTP task's parameters are not JSON: %v", err)
	}
	in, ok := v.(object)
	if !ok {
		return nil, runtimeFailure("the HTTP task's parameters are not a JSON object")
	}
	p := &params{arrayFormat: "INDICES"}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	switch ep, _ := in.get("ApiEndpoint"); ep := ep.(type) {
	case nil:
		bad("the field 'ApiEndpoint' is required")
	case string:
		u, err := url.Parse(ep)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("ApiEndpoint %q is not an http(s) URL", ep)
		} else {
			p.endpoint = u
		}
	default:
		bad("ApiEndpoint must be a string")
	}

	switch m, _ := in.get("Method"); m := m.(type) {
	case nil:
		bad("the field 'Method' is required")
	case string:
		if !methods[m] {
			bad("Method %q is not one of GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD", m)
		}
		p.method = m
	default:
		bad("Method must be a string")
	}

	for _, field := range []string{"InvocationConfig", "Authentication"} {
		if a, ok := in.get(field); ok {
			ao, _ := a.(object)
			arn, _ := ao.get("ConnectionArn")
			if s, ok := arn.(string); ok && s != "" {
				p.connectionARN = s
			} else {
				bad("%s.ConnectionArn must be a non-empty string", field)
			}
		}
	}
	if p.connectionARN == "" && len(problems) == 0 {
		bad("the field 'Authentication' (or 'InvocationConfig') with a ConnectionArn is required")
	}

	if h, ok := in.get("Headers"); ok && h != nil {
		ho, ok := h.(object)
		if !ok {
			bad("Headers must be a JSON object")
		}
		for _, m := range ho {
			if forbiddenHeader(m.key) {
				bad("the header %q is not allowed in an HTTP task", m.key)
				continue
			}
			for _, s := range scalars(m.val) {
				p.headers = append(p.headers, [2]string{m.key, s})
			}
		}
	}

	switch q, _ := in.get("QueryParameters"); q := q.(type) {
	case nil:
	case string:
		for _, kv := range strings.Split(strings.TrimPrefix(q, "?"), "&") {
			if kv == "" {
				continue
			}
			k, v, _ := strings.Cut(kv, "=")
			k, err1 := url.QueryUnescape(k)
			v, err2 := url.QueryUnescape(v)
			if err1 != nil || err2 != nil {
				bad("QueryParameters %q is not a query string", q)
				break
			}
			p.query = append(p.query, [2]string{k, v})
		}
	case object:
		for _, m := range q {
			for _, s := range scalars(m.val) {
				p.query = append(p.query, [2]string{m.key, s})
			}
		}
	default:
		bad("QueryParameters must be a JSON object or a string")
	}

	p.body, p.hasBody = in.get("RequestBody")

	if t, ok := in.get("Transform"); ok && t != nil {
		to, ok := t.(object)
		if !ok {
			bad("Transform must be a JSON object")
		}
		switch enc, _ := to.get("RequestBodyEncoding"); enc {
		case nil, "NONE":
		case "URL_ENCODED":
			p.urlEncoded = true
		default:
			bad("Transform.RequestBodyEncoding must be NONE or URL_ENCODED")
		}
		if o, ok := to.get("RequestEncodingOptions"); ok {
			oo, _ := o.(object)
			switch f, _ := oo.get("ArrayFormat"); f {
			case nil:
			case "INDICES", "REPEAT", "COMMAS", "BRACKETS":
				p.arrayFormat = f.(string)
			default:
				bad("Transform.RequestEncodingOptions.ArrayFormat must be INDICES, REPEAT, COMMAS or BRACKETS")
			}
		}
	}

	if len(problems) > 0 {
		return nil, runtimeFailure("%s", strings.Join(problems, "; "))
	}
	return p, nil
}

// scalars is a header's or query parameter's values: an array's items, or
// the value itself, as text.
func scalars(v any) []string {
	if a, ok := v.([]any); ok {
		out := make([]string, 0, len(a))
		for _, x := range a {
			out = append(out, text(x))
		}
		return out
	}
	return []string{text(v)}
}

// text is a JSON value as form text: strings as they are, null as "",
// other values as JSON.
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		if v {
			return "true"
		}
		return "false"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// escape percent-encodes s for a query string or form body: everything
// but RFC 3986's unreserved characters, spaces as %20.
func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// encodePairs is pairs as k=v&k=v, in order, each side escaped.
func encodePairs(pairs [][2]string) string {
	var b strings.Builder
	for i, kv := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(escape(kv[0]))
		b.WriteByte('=')
		b.WriteString(escape(kv[1]))
	}
	return b.String()
}

// formPairs flattens a JSON value into form pairs: objects as key[member],
// arrays as format says (INDICES key[0], REPEAT key, COMMAS key=a,b,
// BRACKETS key[]). Empty objects and arrays give nothing.
func formPairs(prefix string, v any, format string, out *[][2]string) {
	switch v := v.(type) {
	case object:
		for _, m := range v {
			k := m.key
			if prefix != "" {
				k = prefix + "[" + m.key + "]"
			}
			formPairs(k, m.val, format, out)
		}
	case []any:
		if format == "COMMAS" && allScalar(v) {
			if len(v) > 0 {
				parts := make([]string, len(v))
				for i, x := range v {
					parts[i] = text(x)
				}
				*out = append(*out, [2]string{prefix, strings.Join(parts, ",")})
			}
			return
		}
		for i, x := range v {
			k := prefix
			switch format {
			case "INDICES", "COMMAS":
				k = fmt.Sprintf("%s[%d]", prefix, i)
			case "BRACKETS":
				k = prefix + "[]"
			}
			formPairs(k, x, format, out)
		}
	default:
		*out = append(*out, [2]string{prefix, text(v)})
	}
}

func allScalar(a []any) bool {
	for _, x := range a {
		switch x.(type) {
		case object, []any:
			return false
		}
	}
	return true
}
