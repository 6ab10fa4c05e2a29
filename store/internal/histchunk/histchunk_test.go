package histchunk

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statelang"
)

// mapSteps is what one step of a Map of Tasks appends: seven events
// whose payloads repeat each other.
func mapSteps(first int64, n int) []statelang.HistoryEvent {
	at := time.Date(2026, 12, 5, 10, 0, 0, 123456000, time.UTC)
	kinds := []statelang.EventType{"TaskSucceeded", "TaskStateExited", "MapIterationSucceeded", "MapIterationStarted", "TaskStateEntered", "TaskScheduled", "Custom.Event"}
	var evs []statelang.HistoryEvent
	for i := 0; i < n; i++ {
		id := first + int64(i)
		e := statelang.HistoryEvent{ID: id, PreviousEventID: id - 1 - int64(i%3), Type: kinds[i%len(kinds)], Timestamp: at.Add(time.Duration(i) * 1500 * time.Microsecond)}
		if i%4 != 3 {
			e.Details = map[string]any{"name": "Charge", "output": `{"orderId":"o-17","amount":12.5,"items":[1,2,3]}`, "index": int64(i)}
		}
		evs = append(evs, e)
	}
	return evs
}

func TestRoundTrip(t *testing.T) {
	for _, n := range []int{1, 7, 200} {
		evs := mapSteps(41, n)
		chunk := Encode(evs)
		got, err := Decode(chunk)
		if err != nil {
			t.Fatalf("%d events: %v", n, err)
		}
		if !reflect.DeepEqual(got, evs) {
			t.Fatalf("%d events: decoded\n%v\nwant\n%v", n, got, evs)
		}
		if n == 200 && chunk[0] != formatDeflate {
			t.Errorf("a %d-event chunk was not compressed", n)
		}
		raw := EncodeRaw(evs)
		if got, err := Decode(raw); err != nil || raw[0] != formatRaw || !reflect.DeepEqual(got, evs) {
			t.Fatalf("%d events, raw (format %d): decoded %v, %v", n, raw[0], got, err)
		}
		t.Logf("%d events: %d bytes", n, len(chunk))
	}
}

func TestEmptyDetailsAndNegativeTime(t *testing.T) {
	evs := []statelang.HistoryEvent{
		{ID: 1, Type: "ExecutionStarted", Timestamp: time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC), Details: map[string]any{}},
		{ID: 2, PreviousEventID: 1, Type: "PassStateEntered", Timestamp: time.Date(1969, 7, 20, 20, 16, 59, 0, time.UTC)},
	}
	got, err := Decode(Encode(evs))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, evs) {
		t.Fatalf("decoded %v; want %v", got, evs)
	}
}

func TestPage(t *testing.T) {
	evs := mapSteps(1, 10)
	ids := func(evs []statelang.HistoryEvent) (out []int64) {
		for _, e := range evs {
			out = append(out, e.ID)
		}
		return out
	}
	for _, c := range []struct {
		after, before int64
		reverse       bool
		limit         int
		want          []int64
	}{
		{0, 0, false, 3, []int64{1, 2, 3}},
		{8, 0, false, 5, []int64{9, 10}},
		{0, 0, true, 2, []int64{10, 9}},
		{0, 4, true, 0, []int64{3, 2, 1}},
	} {
		if got := ids(Page(evs, c.after, c.before, c.reverse, c.limit)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Page(after %d, before %d, reverse %v, limit %d) = %v; want %v", c.after, c.before, c.reverse, c.limit, got, c.want)
		}
	}
}

func TestSplit(t *testing.T) {
	parts := Split(mapSteps(1, 10), 4)
	if len(parts) != 3 || len(parts[0]) != 4 || len(parts[2]) != 2 || parts[2][0].ID != 9 {
		t.Fatalf("Split(10, 4) = %d parts", len(parts))
	}
}

func TestCorrupt(t *testing.T) {
	good := Encode(mapSteps(1, 3))
	for name, b := range map[string][]byte{
		"empty":     {},
		"format":    {9, 1},
		"truncated": good[:len(good)-3],
		"trailing":  append(append([]byte{}, good...), 0),
		"count":     {formatRaw, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"deflate":   {formatDeflate, 1, 2, 3},
	} {
		if _, err := Decode(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Decode error %v; want ErrCorrupt", name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(Encode(mapSteps(1, 3)))
	f.Add(Encode(mapSteps(5, 100)))
	f.Add([]byte{formatRaw, 1, 0, 0, 3, 'a', 'b', 'c', 1, 1, 0, 3, '{', '}'})
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), "histchunk:") {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		// What decodes encodes and decodes to the same events.
		again, err := Decode(Encode(evs))
		if err != nil || len(again) != len(evs) {
			t.Fatalf("re-encoding %d events: %d, %v", len(evs), len(again), err)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	evs := mapSteps(100, 7)
	b.ReportAllocs()
	for b.Loop() {
		Encode(evs)
	}
}

func BenchmarkDecode(b *testing.B) {
	chunk := Encode(mapSteps(100, 7))
	b.ReportAllocs()
	for b.Loop() {
		Decode(chunk) //nolint:errcheck
	}
}
