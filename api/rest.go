package api

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
)

// OpenAPIPath is where the REST gateway's OpenAPI (Swagger 2.0) document
// is served. It describes data, not data itself, so it is served without
// the bearer token.
const OpenAPIPath = "/v1/openapi.json"

//go:embed gen/stepwise.swagger.json
var openAPIDoc []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(openAPIDoc)
}

// restJSON is the REST gateway's JSON: protojson as the gateway's default
// (unpopulated fields written, unknown fields ignored), except that a
// stepwise.v1.Time is written as its RFC 3339 text ("2026-11-26T01:02:03.456Z",
// null when unset) rather than as an object {"rfc3339": ...}, and that
// requests may name enum values as AWS does (restenum.go).
//
// Why not google.protobuf.Timestamp in the .proto files: the gRPC API keeps
// its wire types (existing gRPC clients and the CLI read Time.rfc3339), and
// Timestamp would lose nothing but add well-known-type imports. Only people
// reading JSON need the plain string, so only the JSON changes; the OpenAPI
// document says the same (proto/openapi.yaml).
type restJSON struct {
	runtime.JSONPb
}

func newRESTJSON() *restJSON {
	return &restJSON{runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: true},
	}}
}

// Marshal writes v as protojson does, with every Time as text.
func (m *restJSON) Marshal(v any) ([]byte, error) {
	b, err := m.JSONPb.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(len(b))
	if err := timesAsText(b, &out); err != nil {
		return nil, fmt.Errorf("api: rewrite times: %w", err)
	}
	return out.Bytes(), nil
}

// NewEncoder returns an encoder that writes as Marshal does.
func (m *restJSON) NewEncoder(w io.Writer) runtime.Encoder {
	return runtime.EncoderFunc(func(v any) error {
		b, err := m.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
}

// timesAsText copies the JSON document in (valid JSON, as protojson
// writes it) to out, writing every object whose only member is "rfc3339"
// with a string value — the JSON of a stepwise.v1.Time; user JSON (inputs,
// outputs, details) travels as strings, so no other object has that shape
// — as that string, or null when it is empty. Everything else is copied
// byte for byte. One pass, no allocation: a history page of 1000 events
// goes through it on every call.
func timesAsText(in []byte, out *bytes.Buffer) error {
	last := 0 // in[last:i] is not yet written
	for i := 0; i < len(in); {
		k := bytes.IndexAny(in[i:], `"{`)
		if k < 0 {
			break
		}
		i += k
		if in[i] == '"' {
			end, err := stringEnd(in, i)
			if err != nil {
				return err
			}
			i = end
			continue
		}
		text, end, ok := timeObject(in, i)
		if !ok {
			i++
			continue
		}
		out.Write(in[last:i])
		if len(text) == 2 { // ""
			out.WriteString("null")
		} else {
			out.Write(text)
		}
		i, last = end, end
	}
	out.Write(in[last:])
	return nil
}

// stringEnd returns the index after the JSON string that starts at in[i].
func stringEnd(in []byte, i int) (int, error) {
	for j := i + 1; j < len(in); j++ {
		switch in[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("unterminated string at offset %d", i)
}

// timeObject matches {"rfc3339": "<text>"} at in[i]: it returns the
// string (quotes included) and the index after the object.
func timeObject(in []byte, i int) (text []byte, end int, ok bool) {
	k := skipSpace(in, i+1)
	if !bytes.HasPrefix(in[k:], []byte(`"rfc3339"`)) {
		return nil, 0, false
	}
	k = skipSpace(in, k+len(`"rfc3339"`))
	if k >= len(in) || in[k] != ':' {
		return nil, 0, false
	}
	k = skipSpace(in, k+1)
	if k >= len(in) || in[k] != '"' {
		return nil, 0, false
	}
	e, err := stringEnd(in, k)
	if err != nil {
		return nil, 0, false
	}
	j := skipSpace(in, e)
	if j >= len(in) || in[j] != '}' {
		return nil, 0, false
	}
	return in[k:e], j + 1, true
}

func skipSpace(in []byte, i int) int {
	for i < len(in) && (in[i] == ' ' || in[i] == '\n' || in[i] == '\r' || in[i] == '\t') {
		i++
	}
	return i
}
