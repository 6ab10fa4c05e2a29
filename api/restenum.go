package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Enum values in REST requests: by their full proto name
// (EXECUTION_STATUS_RUNNING), by number, or by the name AWS gives them
// (RUNNING): the value's name without the prefix its enum's values share.
// protojson and the gateway's query parser know only the first two, and
// protojson with DiscardUnknown drops a name it does not know without a
// word (a "type": "EXPRESS" made a STANDARD machine). So a request's
// enum values are translated to their full names before either reads
// them, and a name of no value is refused (INVALID_ARGUMENT, naming the
// field and the values it takes). Answers keep the full names.
//
// The translation is by the request message's descriptor, so it covers
// every enum field of every route, nested ones included, and the
// generated code stays as generated.

// fullEnumName returns the value of enum e that name names, as protojson
// reads it: name itself when it is a value's full name, the full name of
// the value it is the short name of, or an error.
func fullEnumName(e protoreflect.EnumDescriptor, field, name string) (string, error) {
	vs := e.Values()
	if vs.ByName(protoreflect.Name(name)) != nil {
		return name, nil
	}
	prefix := enumPrefix(e)
	if v := vs.ByName(protoreflect.Name(prefix + name)); v != nil && prefix != "" {
		return string(v.Name()), nil
	}
	var short []string
	for i := range vs.Len() {
		if n := strings.TrimPrefix(string(vs.Get(i).Name()), prefix); n != "UNSPECIFIED" {
			short = append(short, n)
		}
	}
	return "", fmt.Errorf("%s: %q is not a value of enum %s (%s)", field, name, e.FullName(), strings.Join(short, ", "))
}

// enumPrefix is the prefix up to an underscore that all of e's value
// names share ("EXECUTION_STATUS_"), "" when there is none.
func enumPrefix(e protoreflect.EnumDescriptor) string {
	vs := e.Values()
	if vs.Len() == 0 {
		return ""
	}
	prefix := string(vs.Get(0).Name())
	for i := 1; i < vs.Len(); i++ {
		n := string(vs.Get(i).Name())
		for !strings.HasPrefix(n, prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	return prefix[:strings.LastIndexByte(prefix, '_')+1]
}

// fieldByKey finds the field a JSON member or query key names, by its
// JSON name or its proto name, as protojson and the gateway accept.
func fieldByKey(md protoreflect.MessageDescriptor, key string) protoreflect.FieldDescriptor {
	if fd := md.Fields().ByJSONName(key); fd != nil {
		return fd
	}
	return md.Fields().ByName(protoreflect.Name(key))
}

// shortEnumsJSON returns the JSON of a message of type md with every enum
// value given by its short name written by its full name, and whether it
// changed anything (raw itself when not, or when raw is not JSON
// protojson would read: then protojson says what is wrong).
func shortEnumsJSON(md protoreflect.MessageDescriptor, raw json.RawMessage) (json.RawMessage, bool, error) {
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return raw, false, nil
	}
	changed := false
	for key, v := range members {
		fd := fieldByKey(md, key)
		if fd == nil || fd.IsMap() {
			continue
		}
		translate := shortEnumsValue
		if fd.IsList() {
			translate = shortEnumsList
		}
		out, ch, err := translate(fd, key, v)
		if err != nil {
			return nil, false, err
		}
		if ch {
			members[key], changed = out, true
		}
	}
	if !changed {
		return raw, false, nil
	}
	out, err := json.Marshal(members)
	return out, true, err
}

// shortEnumsList translates the elements of a repeated field's array.
func shortEnumsList(fd protoreflect.FieldDescriptor, key string, raw json.RawMessage) (json.RawMessage, bool, error) {
	var items []json.RawMessage
	if fd.Kind() != protoreflect.EnumKind && fd.Kind() != protoreflect.MessageKind || json.Unmarshal(raw, &items) != nil {
		return raw, false, nil
	}
	changed := false
	for i, item := range items {
		out, ch, err := shortEnumsValue(fd, key+"["+strconv.Itoa(i)+"]", item)
		if err != nil {
			return nil, false, err
		}
		if ch {
			items[i], changed = out, true
		}
	}
	if !changed {
		return raw, false, nil
	}
	out, err := json.Marshal(items)
	return out, true, err
}

// shortEnumsValue translates one value of field fd: an enum name, or a
// message to look into.
func shortEnumsValue(fd protoreflect.FieldDescriptor, key string, raw json.RawMessage) (json.RawMessage, bool, error) {
	switch fd.Kind() {
	case protoreflect.MessageKind:
		return shortEnumsJSON(fd.Message(), raw)
	case protoreflect.EnumKind:
		var name string
		if fd.Enum().FullName() == "google.protobuf.NullValue" || json.Unmarshal(raw, &name) != nil {
			return raw, false, nil // a number, or null: protojson reads it
		}
		full, err := fullEnumName(fd.Enum(), key, name)
		if err != nil || full == name {
			return raw, false, err
		}
		out, err := json.Marshal(full)
		return out, true, err
	}
	return raw, false, nil
}

// Unmarshal reads the JSON of v as the gateway's protojson does, enum
// values by their short names too.
func (m *restJSON) Unmarshal(data []byte, v any) error {
	p, ok := v.(proto.Message)
	if !ok {
		return m.JSONPb.Unmarshal(data, v)
	}
	raw, _, err := shortEnumsJSON(p.ProtoReflect().Descriptor(), data)
	if err != nil {
		return err
	}
	return m.UnmarshalOptions.Unmarshal(raw, p)
}

// NewDecoder returns a decoder that reads as Unmarshal does.
func (m *restJSON) NewDecoder(r io.Reader) runtime.Decoder {
	d := json.NewDecoder(r)
	return runtime.DecoderFunc(func(v any) error {
		if _, ok := v.(proto.Message); !ok {
			return runtime.DecoderWrapper{Decoder: d, UnmarshalOptions: m.UnmarshalOptions}.Decode(v)
		}
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return err // io.EOF for an empty body, which the gateway accepts
		}
		return m.Unmarshal(raw, v)
	})
}

// shortEnumQuery is the gateway's query parser, reading enum values by
// their short names too.
type shortEnumQuery struct {
	runtime.DefaultQueryParser
}

// Parse translates the enum values of values, then parses them as the
// gateway's default parser does.
func (q *shortEnumQuery) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	var out url.Values // a copy once a value changes
	for key, vs := range values {
		fd := queryField(msg.ProtoReflect().Descriptor(), key)
		if fd == nil || fd.Kind() != protoreflect.EnumKind {
			continue
		}
		for i, v := range vs {
			if _, err := strconv.ParseInt(v, 10, 32); err == nil {
				continue // by number
			}
			full, err := fullEnumName(fd.Enum(), key, v)
			if err != nil {
				return err
			}
			if full == v {
				continue
			}
			if out == nil {
				out = cloneValues(values)
			}
			out[key][i] = full
		}
	}
	if out == nil {
		out = values
	}
	return q.DefaultQueryParser.Parse(msg, out, filter)
}

// queryField finds the field a query key names: a path of fields
// separated by dots, each by its JSON or proto name.
func queryField(md protoreflect.MessageDescriptor, key string) protoreflect.FieldDescriptor {
	var fd protoreflect.FieldDescriptor
	for part := range strings.SplitSeq(key, ".") {
		if md == nil {
			return nil
		}
		if fd = fieldByKey(md, part); fd == nil {
			return nil
		}
		md = fd.Message()
	}
	return fd
}

func cloneValues(values url.Values) url.Values {
	out := make(url.Values, len(values))
	for k, vs := range values {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// shortEnumQueryOnce sets the gateway's query parser: grpc-gateway keeps
// it in a package variable that its ServeMuxOption writes, so it is set
// once, by the first gateway made, and read by all.
var shortEnumQueryOnce sync.Once

// queryParserOption is the ServeMuxOption that installs shortEnumQuery,
// the first time only (nil after).
func queryParserOption() []runtime.ServeMuxOption {
	var opts []runtime.ServeMuxOption
	shortEnumQueryOnce.Do(func() {
		opts = append(opts, runtime.SetQueryParameterParser(&shortEnumQuery{}))
	})
	return opts
}
