package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statelang"
)

// partStore keeps an execution's state as a store does: the row's JSON
// and parts by (frame, slot), written by deltas.
type partStore struct {
	head  []byte
	parts map[partKey]string
}

// write applies the state's delta and returns the bytes it wrote.
func (s *partStore) write(st *execState) int {
	head, parts, drop := st.delta()
	s.head = head
	for _, id := range drop {
		for k := range s.parts {
			if k.frame == id {
				delete(s.parts, k)
			}
		}
	}
	n := len(head)
	for _, p := range parts {
		s.parts[partKey{p.Frame, p.Slot}] = p.Data
		n += len(p.Data)
	}
	return n
}

func (s *partStore) load(t *testing.T) *execState {
	t.Helper()
	var ps []StatePart
	for k, v := range s.parts {
		ps = append(ps, StatePart{Frame: k.frame, Slot: k.slot, Data: v})
	}
	st, err := decodeState(s.head, ps)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestStatePartsFlat runs an inline Map of n Tasks (all running at once)
// through the decider, writing each decision's delta to a partStore: the
// bytes a task's result writes do not grow with n, and with the state
// read back from the parts before every decision the Map's output is
// every result in order.
func TestStatePartsFlat(t *testing.T) {
	m, err := statelang.Parse([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","OutputPath":"$.Payload","End":true}}},"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	env := &statelang.Env{Random: func() float64 { return 0.5 }, UUID: func() string { return "u" }}
	run := func(n int, reload bool) (perResult []int, out any) {
		items := make([]any, n)
		for i := range items {
			items[i] = int64(i)
		}
		x := execFacts{ID: 1, ARN: "arn:x", Name: "x", Input: items, StartTime: t0, Region: "us-east-1"}
		s := &partStore{parts: map[partKey]string{}}
		st := &execState{}
		lim := decisionLimits{MaxStates: 10 * n} // the whole Map in the first decision
		d, err := decideEvent(m, x, st, event{Kind: evStart}, t0, env, lim)
		if err != nil {
			t.Fatal(err)
		}
		s.write(st)
		if len(d.NewTasks) != n {
			t.Fatalf("n=%d: %d tasks scheduled; want all", n, len(d.NewTasks))
		}
		for i, task := range d.NewTasks {
			if reload {
				st = s.load(t)
			}
			d, err := decideEvent(m, x, st, event{Kind: evTaskSucceeded, Token: task.Token,
				Output: fmt.Sprint("r", task.Input)}, t0, env, lim)
			if err != nil {
				t.Fatal(err)
			}
			if d.Terminal {
				if i != n-1 {
					t.Fatalf("n=%d: ended after %d results", n, i+1)
				}
				return perResult, d.Output
			}
			perResult = append(perResult, s.write(st))
		}
		t.Fatalf("n=%d: not ended after every result", n)
		return nil, nil
	}
	for _, n := range []int{3, 40} {
		_, out := run(n, true)
		var want []string
		for i := range n {
			want = append(want, fmt.Sprintf("r%d", i))
		}
		if got := statelang.MarshalString(out); got != `["`+strings.Join(want, `","`)+`"]` {
			t.Errorf("n=%d, state read back before each result: output %s", n, got)
		}
	}
	small, _ := run(10, false)
	big, _ := run(600, false)
	// Index digits and the decider's counters grow a few bytes.
	if a, b := small[5], big[5]; b > a+16 {
		t.Errorf("a result of a Map of 600 writes %d bytes; of 10: %d", b, a)
	}
	if a, b := small[5], big[500]; b > a+16 {
		t.Errorf("the 501st result of a Map of 600 writes %d bytes; the 6th of 10: %d", b, a)
	}
}

// TestStatePartsWhole: a state an engine of an older build wrote whole in
// the execution row decodes, and its first delta writes every part.
func TestStatePartsWhole(t *testing.T) {
	old := `{"status":"RUNNING","last_event_id":9,"next_frame":3,"next_task":2,"frames":{
		"0":{"id":0,"parent":-1,"index":0,"state":"M","input":[1,2],"entered":2,"entered_at":"2026-01-01T00:00:00Z","wait":"kids",
			"kids":{"map":true,"inputs":[null,2],"results":[10,null],"next":2,"running":[2],"tol_count":-1,"tol_pct":-1}},
		"2":{"id":2,"parent":0,"index":1,"loc":[{"s":"M","b":-1}],"state":"T","input":2,"entered":8,"entered_at":"2026-01-01T00:00:00Z",
			"wait":"task","token":"tok","resource":"arn:aws:states:::lambda:invoke"}}}`
	st, err := decodeState([]byte(old), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &partStore{parts: map[partKey]string{}}
	s.write(st)
	if strings.Contains(string(s.head), "frames") {
		t.Errorf("row JSON after the first delta holds the frames: %s", s.head)
	}
	back := s.load(t)
	k := back.Frames[0].Kids
	if len(back.Frames) != 2 || k == nil || statelang.MarshalString(k.Results[0].V) != "10" || len(k.Running) != 1 || k.Running[0] != 2 ||
		back.Frames[2].Token != "tok" || back.NextTask != 2 {
		t.Errorf("read back from parts: %v", s.parts)
	}
}

// TestDistributedInputsText: a distributed Map's items read back from
// their part stay JSON text, each as MarshalJSON writes it (json.Marshal's
// escapes of <, > and & undone), and an inline Map's are parsed.
func TestDistributedInputsText(t *testing.T) {
	items := []any{map[string]any{"id": int64(1)}, "a<b&c>", []any{1.5, nil}, int64(7)}
	for _, distributed := range []bool{true, false} {
		k := &frameKids{Map: true, Distributed: distributed, Inputs: itemTexts(items)}
		st := &execState{Frames: map[int64]*frame{0: {ID: 0, Parent: -1, State: "M", Wait: waitKids, Kids: k}}}
		_, parts := encodeState(st)
		got, err := decodeState(nil, parts)
		if err != nil {
			t.Fatal(err)
		}
		in := got.Frames[0].Kids.Inputs
		if len(in) != len(items) {
			t.Fatalf("distributed %v: %d inputs; want %d", distributed, len(in), len(items))
		}
		for i, v := range in {
			want := statelang.MarshalString(items[i])
			if text, ok := v.V.(statelang.JSONText); ok != distributed || statelang.MarshalString(v.V) != want ||
				ok && string(text) != want {
				t.Errorf("distributed %v: input %d = %#v; want %s (as text: %v)", distributed, i, v.V, want, distributed)
			}
		}
	}
}
