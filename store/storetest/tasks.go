package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

func testTasksRetryCatch(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	h.machine("retry", `{"StartAt":"T","States":{
	  "T":{"Type":"Task","Resource":"`+fnFlaky+`","Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":2,"MaxAttempts":3,"BackoffRate":2}],
	       "Catch":[{"ErrorEquals":["Fatal"],"ResultPath":"$.err","Next":"Caught"}],"ResultPath":"$.r","Next":"D"},
	  "D":{"Type":"Task","Resource":"`+fnDouble+`","InputPath":"$.r","End":true},
	  "Caught":{"Type":"Pass","End":true}}}`)
	attempts := map[string]int{}
	var tokens []string
	flaky := func(failWith string, times int) answer {
		return func(tk engine.Task, in any) (any, *statelang.Failure, bool) {
			if tk.Resource == fnDouble {
				return double(tk, in)
			}
			tokens = append(tokens, tk.Token)
			m := in.(map[string]any)
			key := m["id"].(string)
			attempts[key]++
			if tk.Attempt != int64(attempts[key]-1) {
				t.Errorf("task attempt = %d; want %d", tk.Attempt, attempts[key]-1)
			}
			if attempts[key] <= times {
				return nil, &statelang.Failure{Name: failWith, Cause: "try again"}, true
			}
			return m["n"], nil, true
		}
	}
	x := h.start("retry", "ok", `{"id":"ok","n":21}`)
	if got := h.drive(x.ARN, flaky("Flaky", 2)); got.Status != engine.StatusSucceeded || got.Output != "42" {
		t.Errorf("retried execution = %s %s %s; want SUCCEEDED 42", got.Status, got.Output, got.Cause)
	}
	evs := h.history(x.ARN)
	CheckHistory(t, x.ARN, evs)
	if n := count(evs, "LambdaFunctionFailed"); n != 2 {
		t.Errorf("%d LambdaFunctionFailed events; want 2: %v", n, types(evs))
	}
	for i, tok := range tokens {
		_, status, err := h.store.GetTask(ctx, tok)
		want := engine.TaskFailed
		if i == len(tokens)-1 {
			want = engine.TaskSucceeded
		}
		if err != nil || status != want {
			t.Errorf("GetTask(attempt %d) = %s, %v; want %s", i, status, err, want)
		}
	}
	if err := h.eng.SendTaskSuccess(ctx, tokens[0], `1`); !errors.Is(err, engine.ErrTaskClosed) {
		t.Errorf("SendTaskSuccess(a failed attempt's token) = %v; want ErrTaskClosed", err)
	}
	if got := h.describe(x.ARN); got.Output != "42" {
		t.Errorf("a late result changed the output to %s", got.Output)
	}
	y := h.start("retry", "caught", `{"id":"caught","n":1}`)
	if got := h.drive(y.ARN, flaky("Fatal", 1)); got.Status != engine.StatusSucceeded ||
		got.Output != `{"err":{"Cause":"try again","Error":"Fatal"},"id":"caught","n":1}` {
		t.Errorf("caught execution = %s %s; want SUCCEEDED with $.err", got.Status, got.Output)
	}
	z := h.start("retry", "exhausted", `{"id":"exhausted","n":1}`)
	if got := h.drive(z.ARN, flaky("Flaky", 100)); got.Status != engine.StatusFailed || got.Error != "Flaky" || got.Cause != "try again" {
		t.Errorf("exhausted execution = %s %s %s; want FAILED Flaky", got.Status, got.Error, got.Cause)
	}
	if attempts["exhausted"] != 4 {
		t.Errorf("%d attempts; want 4 (1 + MaxAttempts 3)", attempts["exhausted"])
	}
}

func testParallelAndMap(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	h.machine("fan", `{"StartAt":"Fan","States":{
	  "Fan":{"Type":"Parallel","Next":"Shape","Branches":[
	    {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"`+fnDouble+`","InputPath":"$.x","End":true}}},
	    {"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,"End":true,
	      "ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"`+fnDouble+`","End":true}}}}}}]},
	  "Shape":{"Type":"Pass","Parameters":{"x2.$":"$[0]","items2.$":"$[1]"},"End":true}}}`)
	x := h.start("fan", "f", `{"x":5,"items":[1,2,3,4,5]}`)
	got := h.drive(x.ARN, double)
	if got.Status != engine.StatusSucceeded || got.Output != `{"items2":[2,4,6,8,10],"x2":10}` {
		t.Errorf("execution = %s %s; want SUCCEEDED {\"items2\":[2,4,6,8,10],\"x2\":10}", got.Status, got.Output)
	}
	evs := h.history(x.ARN)
	CheckHistory(t, x.ARN, evs)
	for typ, want := range map[statelang.EventType]int{"ParallelStateExited": 1, "MapStateSucceeded": 1, "MapIterationSucceeded": 5, "LambdaFunctionSucceeded": 6} {
		if n := count(evs, typ); n != want {
			t.Errorf("%d %s events; want %d: %v", n, typ, want, types(evs))
		}
	}
	// A failing Map iteration fails the whole Map and cancels the others.
	y := h.start("fan", "g", `{"x":5,"items":[1,"two",3]}`)
	got = h.drive(y.ARN, double)
	if got.Status != engine.StatusFailed || got.Error != "BadInput" {
		t.Errorf("execution with a bad item = %s %s; want FAILED BadInput", got.Status, got.Error)
	}
	CheckHistory(t, y.ARN, h.history(y.ARN))
}

func testRedispatch(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, func(c *engine.Config) { c.DispatchTimeout = 5 * time.Second })
	ctx := h.ctx
	h.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnDouble+`","End":true}}}`)
	x := h.start("m", "r", `3`)
	tk := h.q.take()[0]
	h.clock.Add(4 * time.Second)
	h.tick()
	if n := h.q.count(tk.Token); n != 1 {
		t.Errorf("before the dispatch deadline: dispatched %d times; want 1", n)
	}
	h.clock.Add(2 * time.Second)
	h.tick()
	if n := h.q.count(tk.Token); n != 2 {
		t.Errorf("after the dispatch deadline: dispatched %d times; want 2", n)
	}
	h.tick()
	if n := h.q.count(tk.Token); n != 2 {
		t.Errorf("within the new lease: dispatched %d times; want 2", n)
	}
	// A heartbeat (the worker has it) stops re-dispatching.
	if err := h.eng.SendTaskHeartbeat(ctx, tk.Token); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(time.Minute)
	h.tick()
	if n := h.q.count(tk.Token); n != 2 {
		t.Errorf("after a heartbeat: dispatched %d times; want 2", n)
	}
	if err := h.eng.SendTaskSuccess(ctx, tk.Token, `6`); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.SendTaskSuccess(ctx, tk.Token, `6`); !errors.Is(err, engine.ErrTaskClosed) {
		t.Errorf("SendTaskSuccess(twice) = %v; want ErrTaskClosed", err)
	}
	if got := h.describe(x.ARN); got.Status != engine.StatusSucceeded || got.Output != "6" {
		t.Errorf("execution = %s %s; want SUCCEEDED 6", got.Status, got.Output)
	}
	if err := h.eng.SendTaskSuccess(ctx, "1-1-00000000000000000000000000000000", `1`); !errors.Is(err, engine.ErrInvalidToken) && !errors.Is(err, engine.ErrTaskClosed) {
		t.Errorf("SendTaskSuccess(forged token) = %v; want ErrInvalidToken", err)
	}
}
