package engine

import (
	"encoding/json"
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

// TestStatePartsKidsWrittenOnce: a Map of 300 Task iterations launched
// over several decisions (at most 40 states each) writes each iteration's
// frame once, when it first runs, and its results do not rewrite the
// Map's own frame part; every result arrives and the output is in order.
func TestStatePartsKidsWrittenOnce(t *testing.T) {
	m, err := statelang.Parse([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","OutputPath":"$.Payload","End":true}}},"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	env := &statelang.Env{Random: func() float64 { return 0.5 }, UUID: func() string { return "u" }}
	items := make([]any, n)
	for i := range items {
		items[i] = int64(i)
	}
	x := execFacts{ID: 1, ARN: "arn:x", Name: "x", Input: items, StartTime: t0, Region: "us-east-1"}
	lim := decisionLimits{MaxStates: 40, MaxTime: time.Hour}
	st := &execState{}
	writes := map[partKey]int{}
	var tokens []string
	var out any
	pending := []event{{Kind: evStart}}
	for len(pending) > 0 && out == nil {
		ev := pending[0]
		pending = pending[1:]
		d, err := decideEvent(m, x, st, ev, t0, env, lim)
		if err != nil {
			t.Fatal(err)
		}
		_, parts, _ := st.delta()
		for _, p := range parts {
			writes[partKey{p.Frame, p.Slot}]++
		}
		for _, tk := range d.NewTasks {
			tokens = append(tokens, tk.Token)
			pending = append(pending, event{Kind: evTaskSucceeded, Token: tk.Token, Output: fmt.Sprint("r", tk.Input)})
		}
		for _, tm := range d.NewTimers {
			pending = append(pending, event{Kind: evTimer, TimerKey: tm.Key})
		}
		if d.Terminal {
			out = d.Output
		}
	}
	if len(tokens) != n {
		t.Fatalf("%d tasks scheduled; want %d", len(tokens), n)
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("r%d", i))
	}
	if got := statelang.MarshalString(out); got != `["`+strings.Join(want, `","`)+`"]` {
		t.Fatalf("output %.80s…; want every result in order", got)
	}
	mapWrites := 0
	for k, c := range writes {
		switch {
		case k.frame == 0 && k.slot == PartFrame:
			mapWrites = c
		case k.frame > 0 && k.slot == PartFrame && c != 1:
			t.Errorf("iteration frame %d written %d times; want once", k.frame, c)
		}
	}
	if decisions := n/40 + 1; mapWrites > decisions {
		t.Errorf("the Map's frame part written %d times for %d results; want at most one per launching decision (%d)", mapWrites, n, decisions)
	}
}

// TestStateTaskRef: a frame waiting on a task is stored with the task's
// ref, not its token (the MAC is not written), in a whole state and in
// parts; read back, it has its token again, and the task's result is
// taken.
func TestStateTaskRef(t *testing.T) {
	m, err := statelang.Parse([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","OutputPath":"$.Payload","End":true}}},"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	env := &statelang.Env{Random: func() float64 { return 0.5 }, UUID: func() string { return "u" }}
	for _, n := range []int{3, smallState + 1} { // written whole; in parts
		items := make([]any, n)
		for i := range items {
			items[i] = int64(i)
		}
		x := execFacts{ID: 9, ARN: "arn:x", Name: "x", Input: items, StartTime: t0, Region: "us-east-1"}
		st := &execState{}
		d, err := decideEvent(m, x, st, event{Kind: evStart}, t0, env, decisionLimits{})
		if err != nil {
			t.Fatal(err)
		}
		head, parts, _, _ := st.write()
		stored := string(head)
		for _, p := range parts {
			stored += p.Data
		}
		tok := d.NewTasks[0].Token
		mac := tok[strings.LastIndexByte(tok, '-')+1:]
		if strings.Contains(stored, mac) || !strings.Contains(stored, `"task":"`+TaskRef(tok)+`"`) {
			t.Fatalf("n=%d: the stored state has the token's MAC or lacks its ref %q:\n%.400s", n, TaskRef(tok), stored)
		}
		back, err := decodeState(head, parts)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range back.Frames {
			found = found || f.Token == tok
		}
		if !found {
			t.Fatalf("n=%d: no frame has the token %s once read back", n, tok)
		}
		d, err = decideEvent(m, x, back, event{Kind: evTaskSucceeded, Token: tok, Output: "r"}, t0, env, decisionLimits{})
		if err != nil || len(d.Events) == 0 {
			t.Fatalf("n=%d: the task's result on the state read back: %d events, %v", n, len(d.Events), err)
		}
	}
}

// TestDistributedInputsText: a distributed Map's items read back from
// their part stay JSON text, each as MarshalJSON writes it (json.Marshal's
// escapes of <, > and & undone), and an inline Map's are parsed.
func TestDistributedInputsText(t *testing.T) {
	items := []any{map[string]any{"id": int64(1)}, "a<b&c>", []any{1.5, nil}, int64(7)}
	for _, distributed := range []bool{true, false} {
		texts, _ := itemTexts(items)
		k := &frameKids{Map: true, Distributed: distributed, Inputs: texts}
		st := &execState{Frames: map[int64]*frame{0: {ID: 0, Parent: -1, State: "M", Wait: waitKids, Kids: k}}}
		_, parts := encodeState(st)
		got, err := decodeState(nil, parts)
		if err != nil {
			t.Fatal(err)
		}
		in := got.Frames[0].Kids.Inputs
		if in.Len() != len(items) {
			t.Fatalf("distributed %v: %d inputs; want %d", distributed, in.Len(), len(items))
		}
		for i := range in.Len() {
			v, want := in.at(i), statelang.MarshalString(items[i])
			if text, ok := v.(statelang.JSONText); ok != distributed || statelang.MarshalString(v) != want ||
				ok && string(text) != want {
				t.Errorf("distributed %v: input %d = %#v; want %s (as text: %v)", distributed, i, v, want, distributed)
			}
		}
	}
}

// TestKidInputsJSON: a distributed Map's items kept as texts are written
// as the JSON array of their values, whole in the execution row (a small
// state) as in their part; read back whole they are values again, and a
// frame's part never carries them.
func TestKidInputsJSON(t *testing.T) {
	items := []any{map[string]any{"id": int64(1)}, "a<b", []any{1.5, nil}, int64(7), "x"}
	texts, ok := itemTexts(items)
	if !ok {
		t.Fatal("itemTexts failed")
	}
	vals := valueInputs(items)
	for _, in := range []kidInputs{texts, vals} {
		if in.Len() != len(items) {
			t.Fatalf("Len() = %d; want %d", in.Len(), len(items))
		}
		b, err := json.Marshal(&frameKids{Map: true, Distributed: true, Inputs: in})
		if err != nil {
			t.Fatal(err)
		}
		var back frameKids
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if back.Inputs.Len() != len(items) {
			t.Fatalf("read back from %s: %d inputs; want %d", b, back.Inputs.Len(), len(items))
		}
		for i := range items {
			if got, want := statelang.MarshalString(back.Inputs.at(i)), statelang.MarshalString(items[i]); got != want {
				t.Errorf("input %d read back from %s = %s; want %s", i, b, got, want)
			}
		}
		st := &execState{Frames: map[int64]*frame{0: {ID: 0, Parent: -1, State: "M", Wait: waitKids,
			Kids: &frameKids{Map: true, Distributed: true, Inputs: in}}}}
		_, parts := encodeState(st)
		for _, p := range parts {
			if p.Slot == PartFrame && strings.Contains(p.Data, `"inputs"`) {
				t.Errorf("frame part %s carries the inputs", p.Data)
			}
		}
	}
	// Written whole (a small state, or a Map Run kept for a redrive), a
	// distributed Map's items are read back as texts.
	st := &execState{Frames: map[int64]*frame{0: {ID: 0, Parent: -1, State: "M", Wait: waitKids,
		Kids: &frameKids{Map: true, Distributed: true, Inputs: vals}}}}
	back, err := decodeState(mustJSON(st), nil)
	if err != nil {
		t.Fatal(err)
	}
	in := back.Frames[0].Kids.Inputs
	for i := range items {
		if text, ok := in.at(i).(statelang.JSONText); !ok || string(text) != statelang.MarshalString(items[i]) {
			t.Errorf("input %d read back whole = %#v; want the text %s", i, in.at(i), statelang.MarshalString(items[i]))
		}
	}
	b, err := json.Marshal(&frameKids{})
	if err != nil || strings.Contains(string(b), "inputs") {
		t.Errorf("json.Marshal(no inputs) = %s, %v; want no inputs", b, err)
	}
	var k frameKids
	if err := json.Unmarshal([]byte(`{"inputs":{"a":1}}`), &k); err == nil {
		t.Errorf("Unmarshal of inputs that are no array: no error")
	}
}
