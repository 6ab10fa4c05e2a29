package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

func testCommitConflict(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	h.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnDouble+`","End":true}}}`)
	x := h.start("m", "c", `7`)
	tk := h.q.take()[0]
	cur, err := h.store.GetExecution(ctx, x.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Version != 1 {
		t.Errorf("version after the first transition = %d; want 1", cur.Version)
	}
	same := func() *engine.Mutation {
		return &engine.Mutation{ExecutionID: cur.ID, Version: cur.Version, Status: cur.Status, LastEventID: cur.LastEventID, State: cur.State}
	}
	if err := h.store.Commit(ctx, same()); err != nil {
		t.Fatalf("Commit(at the current version) = %v", err)
	}
	// A stale writer's whole mutation is refused: no event, no task, no timer.
	stale := same()
	stale.Events = []statelang.HistoryEvent{{ID: cur.LastEventID + 1, PreviousEventID: cur.LastEventID, Type: "PassStateEntered", Timestamp: h.clock.Now()}}
	stale.NewTasks = []engine.Task{{Token: "stale-token", ExecutionID: cur.ID, StateName: "T", Resource: fnDouble, Input: "1", CreatedAt: h.clock.Now(), DispatchAfter: h.clock.Now()}}
	stale.NewTimers = []engine.Timer{{ExecutionID: cur.ID, Key: "stale", FireAt: h.clock.Now()}}
	if err := h.store.Commit(ctx, stale); !errors.Is(err, engine.ErrConflict) {
		t.Fatalf("Commit(at a stale version) = %v; want ErrConflict", err)
	}
	if _, _, err := h.store.GetTask(ctx, "stale-token"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("GetTask(task of a refused commit) = %v; want ErrNotFound", err)
	}
	if ts, _ := h.store.ClaimDueTimers(ctx, h.clock.Now(), time.Second, 10); len(ts) != 0 {
		t.Errorf("timers of a refused commit: %v", ts)
	}
	if now, _ := h.store.GetExecution(ctx, x.ID); now.Version != 2 || now.LastEventID != cur.LastEventID {
		t.Errorf("after a refused commit: version %d, last event %d; want 2, %d", now.Version, now.LastEventID, cur.LastEventID)
	}
	if err := h.eng.SendTaskSuccess(ctx, tk.Token, `14`); err != nil {
		t.Fatal(err)
	}
	if got := h.describe(x.ARN); got.Status != engine.StatusSucceeded || got.Output != "14" || got.Version != 3 {
		t.Errorf("execution = %s %s version %d; want SUCCEEDED 14 version 3", got.Status, got.Output, got.Version)
	}
	CheckHistory(t, x.ARN, h.history(x.ARN))
	if _, err := h.store.GetExecution(ctx, x.ID+1000); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("GetExecution(unknown) = %v; want ErrNotFound", err)
	}
}

// asyncDispatcher answers tasks in goroutines through one of several
// engines, as workers would through any replica.
type asyncDispatcher struct {
	engines func() []*engine.Engine
	hung    chan string // tokens of fnHang tasks, left unanswered
	mu      sync.Mutex
	n       int
}

func (d *asyncDispatcher) Dispatch(_ context.Context, t engine.Task) (held bool, err error) {
	d.mu.Lock()
	d.n++
	engs := d.engines()
	eng := engs[d.n%len(engs)]
	d.mu.Unlock()
	if t.Resource == fnHang {
		select {
		case d.hung <- t.Token:
		default:
		}
		return false, nil
	}
	go func() {
		in, _ := statelang.ParseJSON([]byte(t.Input))
		out, fail, _ := double(t, in)
		if fail != nil {
			_ = eng.SendTaskFailure(context.Background(), t.Token, fail.Name, fail.Cause)
			return
		}
		_ = eng.SendTaskSuccess(context.Background(), t.Token, statelang.MarshalString(out))
	}()
	return false, nil
}

func testConcurrentEngines(t *testing.T, newStore NewStore) {
	s := newStore(t)
	var engines []*engine.Engine
	d := &asyncDispatcher{engines: func() []*engine.Engine { return engines }, hung: make(chan string, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for range 3 {
		eng, err := engine.New(engine.Config{Store: s, Dispatcher: d, PollInterval: 10 * time.Millisecond, DispatchTimeout: 2 * time.Second, TimerLease: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		engines = append(engines, eng)
	}
	for _, eng := range engines {
		wg.Add(1)
		go func() { defer wg.Done(); _ = eng.Run(ctx) }()
	}
	def := `{"StartAt":"Fan","States":{
	  "Fan":{"Type":"Parallel","Next":"Wait","Branches":[
	    {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + fnDouble + `","InputPath":"$.x","End":true}}},
	    {"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","End":true,
	      "ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"` + fnDouble + `","End":true}}}}}}]},
	  "Wait":{"Type":"Wait","Seconds":0,"Next":"Shape"},
	  "Shape":{"Type":"Pass","Parameters":{"x2.$":"$[0]","items2.$":"$[1]"},"End":true}}}`
	if _, err := engines[0].CreateStateMachine(ctx, "conc", def, role); err != nil {
		t.Fatal(err)
	}
	const n = 24
	arns := make([]string, n)
	var startWG sync.WaitGroup
	for i := range n {
		startWG.Add(1)
		go func() {
			defer startWG.Done()
			x, err := engines[i%3].StartExecution(ctx, engine.StartExecutionInput{StateMachine: "conc", Name: fmt.Sprintf("c%02d", i),
				Input: fmt.Sprintf(`{"x":%d,"items":[%d,%d,%d]}`, i, i, i+1, i+2)})
			if err != nil {
				t.Errorf("StartExecution(c%02d) = %v", i, err)
				return
			}
			arns[i] = x.ARN
		}()
	}
	startWG.Wait()
	deadline := time.Now().Add(2 * time.Minute)
	for i, arn := range arns {
		if arn == "" {
			continue
		}
		var x *engine.Execution
		for {
			var err error
			if x, err = engines[i%3].DescribeExecution(ctx, arn); err != nil {
				t.Fatal(err)
			}
			if x.Status != engine.StatusRunning || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		want := fmt.Sprintf(`{"items2":[%d,%d,%d],"x2":%d}`, 2*i, 2*(i+1), 2*(i+2), 2*i)
		if x.Status != engine.StatusSucceeded || x.Output != want {
			t.Errorf("%s = %s %s %s %s; want SUCCEEDED %s", arn, x.Status, x.Error, x.Cause, x.Output, want)
			continue
		}
		evs, _, err := engines[0].GetExecutionHistory(ctx, arn, engine.HistoryInput{})
		if err != nil {
			t.Fatal(err)
		}
		CheckHistory(t, arn, evs)
		if got := count(evs, "LambdaFunctionSucceeded"); got != 4 {
			t.Errorf("%s: %d LambdaFunctionSucceeded; want 4", arn, got)
		}
	}
	// The same result from every engine at once is applied exactly once.
	if _, err := engines[0].CreateStateMachine(ctx, "race", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnHang+`","End":true}}}`, role); err != nil {
		t.Fatal(err)
	}
	x, err := engines[0].StartExecution(ctx, engine.StartExecutionInput{StateMachine: "race", Name: "r", Input: `{}`})
	if err != nil {
		t.Fatal(err)
	}
	var tok string
	select {
	case tok = <-d.hung:
	case <-time.After(time.Minute):
		t.Fatal("the race task was not dispatched")
	}
	var race sync.WaitGroup
	results := make([]error, 6)
	for i := range results {
		race.Add(1)
		go func() { defer race.Done(); results[i] = engines[i%3].SendTaskSuccess(ctx, tok, fmt.Sprint(i)) }()
	}
	race.Wait()
	applied := 0
	for _, err := range results {
		if err == nil {
			applied++
		} else if !errors.Is(err, engine.ErrTaskClosed) {
			t.Errorf("SendTaskSuccess(racing) = %v", err)
		}
	}
	if applied != 1 {
		t.Errorf("%d of 6 racing SendTaskSuccess applied; want 1", applied)
	}
	evs, _, _ := engines[0].GetExecutionHistory(ctx, x.ARN, engine.HistoryInput{})
	CheckHistory(t, x.ARN, evs)
}
