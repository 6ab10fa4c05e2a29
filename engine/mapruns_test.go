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

// TestDecideMapRunRunning: a Map Run of EXPRESS children has how many run
// in its row (MapRun.Running), written by the decisions that change that
// number only (launched, a result taken, UpdateMapRun, a redrive; 0 once
// the run ends); a Map Run of STANDARD children writes its rows as before,
// with Running 0. The state stays in memory between decisions, as the
// engine's cache keeps it, except after the run failed (read again).
func TestDecideMapRunRunning(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	env := &statelang.Env{Random: func() float64 { return 0.5 }, UUID: func() string { return "4f9c1b7e-2d3a-4c5b-8e6f-000000000000" }}
	x := execFacts{ID: 7, ARN: "arn:aws:states:us-east-1:111111111111:execution:m:x", Name: "x",
		Input: []any{int64(0), int64(1), int64(2), int64(3)}, StartTime: t0, StateMachineName: "m", Region: "us-east-1"}
	for _, typ := range []string{TypeExpress, TypeStandard} {
		t.Run(typ, func(t *testing.T) {
			m, err := statelang.Parse([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","Label":"L","MaxConcurrency":2,"ToleratedFailureCount":0,
				"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"` + typ + `"},"StartAt":"W","States":{"W":{"Type":"Pass","End":true}}},
				"End":true}}}`))
			if err != nil {
				t.Fatal(err)
			}
			st, at := &execState{}, t0
			step := func(ev event) *decision {
				t.Helper()
				at = at.Add(time.Second)
				d, err := decideEvent(m, x, st, ev, at, env, decisionLimits{})
				if err != nil {
					t.Fatal(err)
				}
				return d
			}
			express := typ == TypeExpress
			// rows checks d's Map Run rows: one with status and running
			// (0 for STANDARD children) when row (or STANDARD children
			// write one there too: std), none otherwise.
			rows := func(when string, d *decision, row, std bool, status string, running int64) {
				t.Helper()
				if !row || !express && !std {
					if len(d.MapRuns) != 0 {
						t.Errorf("%s: rows %+v; want none", when, d.MapRuns)
					}
					return
				}
				if !express {
					running = 0
				}
				if len(d.MapRuns) != 1 || d.MapRuns[0].Status != status || d.MapRuns[0].Running != running {
					t.Errorf("%s: rows %+v; want one, %s running %d", when, d.MapRuns, status, running)
				}
			}
			tokens := map[int64]string{}
			launched := func(d *decision) {
				for _, k := range d.NewTasks {
					v, _ := statelang.ParseJSON([]byte(k.Input))
					in, _ := statelang.ParseJSON([]byte(v.(map[string]any)["Input"].(string)))
					tokens[in.(int64)] = k.Token
				}
			}
			d := step(event{Kind: evStart})
			launched(d)
			rows("start", d, true, true, MapRunRunning, 2)
			d = step(event{Kind: evTaskSucceeded, Token: tokens[0], Output: map[string]any{"Output": "zero"}})
			launched(d)
			rows("item 0 done, item 2 launched", d, false, false, "", 0)
			three := int64(3)
			d = step(event{Kind: evUpdateMapRun, Run: d.State.Frames[0].Kids.Run, MapRun: &MapRunUpdate{MaxConcurrency: &three}})
			launched(d)
			rows("UpdateMapRun, item 3 launched", d, true, true, MapRunRunning, 3)
			d = step(event{Kind: evTaskFailed, Token: tokens[1], Error: statelang.ErrTaskFailed, Cause: `{"Status":"FAILED","Error":"E"}`})
			rows("item 1 failed", d, true, true, MapRunFailed, 0)
			if d.Status != StatusFailed {
				t.Fatalf("item 1 failed: %s; want FAILED", d.Status)
			}
			if st, err = decodeState(encodeState(d.State)); err != nil {
				t.Fatal(err)
			}
			d = step(event{Kind: evRedrive})
			launched(d)
			rows("redrive, items 1 to 3 launched again", d, true, true, MapRunRunning, 3)
			d = step(event{Kind: evTaskSucceeded, Token: tokens[1], Output: map[string]any{"Output": "one"}})
			rows("item 1 done", d, true, false, MapRunRunning, 2)
			d = step(event{Kind: evStop})
			rows("stop", d, true, true, MapRunAborted, 0)
		})
	}
}

// TestCountRunning: DescribeMapRun adds a running run's EXPRESS children
// (MapRun.Running) to those its rows count; what passes the run's Total
// is rows of items that run again (a redrive: the unsuccessful ones) or
// whose result the parent has yet to take (the running).
func TestCountRunning(t *testing.T) {
	for _, c := range []struct {
		name    string
		r       MapRun
		want    map[string]int64
		pending int64
	}{
		{"none running", MapRun{Total: 5, Children: map[string]int64{StatusSucceeded: 2}},
			map[string]int64{StatusSucceeded: 2}, 3},
		{"three running", MapRun{Total: 5, Running: 3, Children: map[string]int64{}},
			map[string]int64{StatusRunning: 3}, 2},
		{"beside rows", MapRun{Total: 5, Running: 2, Children: map[string]int64{StatusSucceeded: 2, StatusFailed: 1}},
			map[string]int64{StatusRunning: 2, StatusSucceeded: 2, StatusFailed: 1}, 0},
		{"a row written, its result not taken", MapRun{Total: 3, Running: 2, Children: map[string]int64{StatusSucceeded: 1, StatusFailed: 1}},
			map[string]int64{StatusRunning: 1, StatusSucceeded: 1, StatusFailed: 1}, 0},
		{"a redrive runs the failed again", MapRun{Total: 4, Running: 2, RedriveCount: 1,
			Children: map[string]int64{StatusSucceeded: 1, StatusFailed: 2, StatusAborted: 1}},
			map[string]int64{StatusRunning: 2, StatusSucceeded: 1, StatusFailed: 1}, 0},
	} {
		r := c.r
		countRunning(&r)
		if !reflect.DeepEqual(r.Children, c.want) || r.Counts().Pending != c.pending || r.Counts().Total != c.r.Total {
			t.Errorf("%s: countRunning = %v, %+v; want %v, pending %d, total %d", c.name, r.Children, r.Counts(), c.want, c.pending, c.r.Total)
		}
	}
}
