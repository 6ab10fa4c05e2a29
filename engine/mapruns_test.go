package engine

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statelang"
)

// TestDecideMapRunRows: the decider writes a Map Run's row when the run
// starts, when UpdateMapRun changes it (launching the children a higher
// MaxConcurrency allows) and when it ends, ABORTED (with a MapRunAborted
// event) when the execution stops or a sibling branch fails; rows of one
// decision merge into one per run that keeps the run's start date.
func TestDecideMapRunRows(t *testing.T) {
	m, err := statelang.Parse([]byte(`{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":1,
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"W","States":{"W":{"Type":"Pass","End":true}}},
			"End":true}}},
		{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.fail","BooleanEquals":true,"Next":"F"}],"Default":"D"},
			"F":{"Type":"Fail","Error":"Sibling"},"D":{"Type":"Pass","End":true}}}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	env := &statelang.Env{Random: func() float64 { return 0.5 }, UUID: func() string { return "4f9c1b7e-2d3a-4c5b-8e6f-000000000000" }}
	run := func(input map[string]any) func(event, time.Time) *decision {
		x := execFacts{ID: 7, ARN: "arn:aws:states:us-east-1:111111111111:execution:m:x", Name: "x", Input: input, StartTime: t0,
			StateMachineName: "m", Region: "us-east-1"}
		return stepper(t, m, x, env)
	}
	t1, t2 := t0.Add(time.Second), t0.Add(2*time.Second)
	one := func(d *decision) MapRun {
		t.Helper()
		if len(d.MapRuns) != 1 {
			t.Fatalf("MapRuns = %+v; want one row", d.MapRuns)
		}
		return d.MapRuns[0]
	}

	// No items: the run starts and succeeds in one decision, one row.
	r := one(run(map[string]any{"items": []any{}, "fail": false})(event{Kind: evStart}, t1))
	if r.Status != MapRunSucceeded || !r.StartDate.Equal(t1) || !r.StopDate.Equal(t1) || r.StateName != "M" || r.ExecutionID != 7 {
		t.Errorf("empty Map's row = %+v; want SUCCEEDED, started and stopped at %v", r, t1)
	}

	// A running run: updated live, then aborted with the execution.
	step := run(map[string]any{"items": []any{int64(1), int64(2)}, "fail": false})
	d := step(event{Kind: evStart}, t1)
	r = one(d)
	if r.Status != MapRunRunning || r.MaxConcurrency != 1 || r.Total != 2 || !r.StartDate.Equal(t1) || !r.StopDate.IsZero() || len(d.NewTasks) != 1 {
		t.Fatalf("started run = %+v, %d tasks; want RUNNING, 1 of 2 children started", r, len(d.NewTasks))
	}
	arn := r.ARN
	if d := step(event{Kind: evUpdateMapRun, Run: arn + "x", MapRun: &MapRunUpdate{}}, t2); d.Changed || len(d.MapRuns) != 0 {
		t.Errorf("UpdateMapRun(unknown run) changed the execution: %+v", d)
	}
	five, half := int64(5), 50.0
	d = step(event{Kind: evUpdateMapRun, Run: arn, MapRun: &MapRunUpdate{MaxConcurrency: &five, ToleratedFailurePercentage: &half}}, t2)
	if r := one(d); !d.Changed || r.MaxConcurrency != 5 || r.ToleratedFailurePercentage != 50 || r.Status != MapRunRunning || len(d.NewTasks) != 1 {
		t.Errorf("UpdateMapRun = %+v, %d tasks; want MaxConcurrency 5 and the second child started", r, len(d.NewTasks))
	}
	d = step(event{Kind: evStop}, t2)
	if r := one(d); r.Status != MapRunAborted || !r.StopDate.Equal(t2) || len(d.CloseTasks) != 2 {
		t.Errorf("stopped execution's run = %+v, %d tasks closed; want ABORTED at %v, 2 children's tasks closed", r, len(d.CloseTasks), t2)
	}
	if got := eventTypes(d); len(got) != 2 || got[0] != statelang.EventTypeMapRunAborted || got[1] != statelang.EventTypeExecutionAborted {
		t.Errorf("stop's events = %v; want MapRunAborted, ExecutionAborted", got)
	}

	// A sibling branch fails: the run is aborted in the decision that
	// started it.
	d = run(map[string]any{"items": []any{int64(1)}, "fail": true})(event{Kind: evStart}, t1)
	if r := one(d); r.Status != MapRunAborted || !r.StartDate.Equal(t1) || !d.Terminal {
		t.Errorf("run beside a failed branch = %+v, terminal %v; want ABORTED, started at %v", r, d.Terminal, t1)
	}
	if got := eventTypes(d); !slices.Contains(got, statelang.EventTypeMapRunAborted) {
		t.Errorf("events beside a failed branch = %v; want a MapRunAborted", got)
	}
}

func eventTypes(d *decision) []statelang.EventType {
	var ts []statelang.EventType
	for _, e := range d.Events {
		ts = append(ts, e.Type)
	}
	return ts
}

// TestItemsOf: the reader's answer is split into its items' texts, parsed
// only for a Map whose ItemSelector needs their values.
func TestItemsOf(t *testing.T) {
	v, err := itemsOf(`[{"a": 1}, "x<y", [1.5, null]]`)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{statelang.JSONText(`{"a":1}`), statelang.JSONText(`"x<y"`), statelang.JSONText(`[1.5,null]`)}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("itemsOf = %#v; want %#v", v, want)
	}
	if v, err := itemsOf(`{"a":1}`); err != nil || !reflect.DeepEqual(v, map[string]any{"a": int64(1)}) {
		t.Errorf("itemsOf(object) = %#v, %v; want it parsed", v, err)
	}
	for _, c := range []struct {
		selector string
		parsed   bool
	}{{``, false}, {`"ItemSelector":{"v.$":"$$.Map.Item.Value"},`, true}} {
		m, err := statelang.Parse([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map",` + c.selector + `"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`))
		if err != nil {
			t.Fatal(err)
		}
		items := []any{statelang.JSONText(`{"a":1}`)}
		if !parseItems(m.States["M"], items) {
			t.Fatalf("parseItems(%s) = false", c.selector)
		}
		if _, text := items[0].(statelang.JSONText); text == c.parsed {
			t.Errorf("parseItems(%s): item %#v; want parsed: %v", c.selector, items[0], c.parsed)
		}
	}
}
