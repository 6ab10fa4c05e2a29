package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
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
// null when unset) rather than as an object {"rfc3339": ...}.
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

// timesAsText copies the JSON document in to out, writing every object
// whose only member is "rfc3339" with a string value — the JSON of a
// stepwise.v1.Time; user JSON (inputs, outputs, details) travels as
// strings, so no other object has that shape — as that string, or null
// when it is empty. Everything else is copied as it is, key order included.
func timesAsText(in []byte, out *bytes.Buffer) error {
	in = bytes.TrimSpace(in)
	if len(in) == 0 {
		return nil
	}
	switch in[0] {
	case '{':
		dec := json.NewDecoder(bytes.NewReader(in))
		if _, err := dec.Token(); err != nil {
			return err
		}
		type member struct {
			key string
			val json.RawMessage
		}
		var members []member
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return err
			}
			members = append(members, member{k.(string), v})
		}
		if len(members) == 1 && members[0].key == "rfc3339" && len(members[0].val) > 0 && members[0].val[0] == '"' {
			if string(members[0].val) == `""` {
				out.WriteString("null")
			} else {
				out.Write(members[0].val)
			}
			return nil
		}
		out.WriteByte('{')
		for i, mb := range members {
			if i > 0 {
				out.WriteByte(',')
			}
			writeString(out, mb.key)
			out.WriteByte(':')
			if err := timesAsText(mb.val, out); err != nil {
				return err
			}
		}
		out.WriteByte('}')
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(in, &items); err != nil {
			return err
		}
		out.WriteByte('[')
		for i, it := range items {
			if i > 0 {
				out.WriteByte(',')
			}
			if err := timesAsText(it, out); err != nil {
				return err
			}
		}
		out.WriteByte(']')
	default:
		out.Write(in) // a string, number, true, false or null, as written
	}
	return nil
}

// writeString writes s as a JSON string without HTML escaping (as
// protojson writes it).
func writeString(out *bytes.Buffer, s string) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a string always encodes
	out.Truncate(out.Len() - 1) // Encode's newline
}
