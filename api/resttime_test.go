package api

import (
	"bytes"
	"fmt"
	"testing"
)

// TestTimesAsText: a Time object becomes its text; nothing else changes,
// key order, spacing and HTML characters included.
func TestTimesAsText(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{`{"startTime":{"rfc3339":"2026-11-26T01:02:03.456Z"},"stopTime":null}`, `{"startTime":"2026-11-26T01:02:03.456Z","stopTime":null}`},
		{`{"created": {"rfc3339": ""}}`, `{"created": null}`},
		{`{"s":"\\","q":"\"{","t":{ "rfc3339" : "x" },"u":[{"rfc3339":"y"}]}`, `{"s":"\\","q":"\"{","t":"x","u":["y"]}`},
		{`{"events":[{"id":"1","timestamp":{"rfc3339":"2026-11-26T01:02:03.456Z"},"details":"{\"rfc3339\":\"x\"}"}]}`,
			`{"events":[{"id":"1","timestamp":"2026-11-26T01:02:03.456Z","details":"{\"rfc3339\":\"x\"}"}]}`},
		{`{"z":1,"a":{"rfc3339":"t","other":2},"m":"<b>&</b>","n":12345678901234567890,"f":1.0}`, `{"z":1,"a":{"rfc3339":"t","other":2},"m":"<b>&</b>","n":12345678901234567890,"f":1.0}`},
		{`{"rfc3339":1}`, `{"rfc3339":1}`},
		{`[]`, `[]`},
		{`{}`, `{}`},
	} {
		var out bytes.Buffer
		if err := timesAsText([]byte(c.in), &out); err != nil {
			t.Errorf("timesAsText(%s): %v", c.in, err)
			continue
		}
		if got := out.String(); got != c.want {
			t.Errorf("timesAsText(%s) = %s; want %s", c.in, got, c.want)
		}
	}
}

// BenchmarkTimesAsText rewrites a history page of 1000 events as the
// gateway writes it.
func BenchmarkTimesAsText(b *testing.B) {
	var page bytes.Buffer
	page.WriteString(`{"events":[`)
	for i := range 1000 {
		if i > 0 {
			page.WriteByte(',')
		}
		fmt.Fprintf(&page, `{"id":"%d","previousEventId":"%d","timestamp":{"rfc3339":"2026-11-26T01:02:03.456Z"},"type":"TaskStateEntered","details":"{\"name\":\"Touch\",\"input\":\"{\\\"i\\\":%d}\",\"inputDetails\":{\"truncated\":false}}"}`, i+1, i, i)
	}
	page.WriteString(`],"nextPageToken":"abc"}`)
	in := page.Bytes()
	b.SetBytes(int64(len(in)))
	var out bytes.Buffer
	for b.Loop() {
		out.Reset()
		if err := timesAsText(in, &out); err != nil {
			b.Fatal(err)
		}
	}
}
