package postgres_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/store/postgres"
)

// newStore returns a migrated store in a fresh schema dropped after the
// test. It skips when the database is unreachable, unless
// STEPWISE_REQUIRE_DB=1.
func newStore(t testing.TB) (*postgres.Store, *pgxpool.Pool) { return pgtest.Store(t) }

// TaskFunc answers a task in tests: a result, or a failure.
type TaskFunc func(t engine.Task, input any) (any, *statelang.Failure)

// funcDispatcher is the in-process test dispatcher: it answers each task
// with a Go function in a goroutine.
type funcDispatcher struct {
	mu    sync.Mutex
	eng   *engine.Engine
	fns   map[string]TaskFunc
	count map[string]int
}

func (d *funcDispatcher) Dispatch(ctx context.Context, t engine.Task) (held bool, err error) {
	d.mu.Lock()
	fn := lookup(d.fns, t.Resource)
	eng := d.eng
	if d.count == nil {
		d.count = map[string]int{}
	}
	d.count[t.Token]++
	d.mu.Unlock()
	if fn == nil {
		return false, nil // nobody answers: the task times out
	}
	go func() {
		in, _ := statelang.ParseJSON([]byte(t.Input))
		out, f := fn(t, in)
		if f != nil {
			_ = eng.SendTaskFailure(context.Background(), t.Token, f.Name, f.Cause)
			return
		}
		_ = eng.SendTaskSuccess(context.Background(), t.Token, statelang.MarshalString(out))
	}()
	return false, nil
}

type harness struct {
	t     testing.TB
	eng   *engine.Engine
	store *postgres.Store
	pool  *pgxpool.Pool
	disp  *funcDispatcher
}

func newHarness(t testing.TB, fns map[string]TaskFunc, tweak func(*engine.Config)) *harness {
	s, pool := newStore(t)
	d := &funcDispatcher{fns: fns}
	cfg := engine.Config{Store: s, Dispatcher: d, PollInterval: 20 * time.Millisecond, DispatchTimeout: 5 * time.Second}
	if tweak != nil {
		tweak(&cfg)
	}
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d.eng = eng
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return &harness{t: t, eng: eng, store: s, pool: pool, disp: d}
}

func (h *harness) machine(name, def string) {
	h.t.Helper()
	if _, err := h.eng.CreateStateMachine(context.Background(), name, def, "arn:aws:iam::111111111111:role/test"); err != nil {
		h.t.Fatalf("CreateStateMachine(%s): %v", name, err)
	}
}

func (h *harness) start(machine, name, input string) *engine.Execution {
	h.t.Helper()
	x, err := h.eng.StartExecution(context.Background(), engine.StartExecutionInput{StateMachine: machine, Name: name, Input: input})
	if err != nil {
		h.t.Fatalf("StartExecution(%s): %v", name, err)
	}
	return x
}

// wait polls until the execution is no longer RUNNING.
func (h *harness) wait(arn string, timeout time.Duration) *engine.Execution {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		x, err := h.eng.DescribeExecution(context.Background(), arn)
		if err != nil {
			h.t.Fatal(err)
		}
		if x.Status != engine.StatusRunning {
			return x
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("execution %s still RUNNING after %v", arn, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *harness) history(arn string) []statelang.HistoryEvent {
	h.t.Helper()
	var all []statelang.HistoryEvent
	tok := ""
	for {
		evs, next, err := h.eng.GetExecutionHistory(context.Background(), arn, engine.HistoryInput{NextToken: tok, MaxResults: 1000})
		if err != nil {
			h.t.Fatal(err)
		}
		all = append(all, evs...)
		if next == "" {
			return all
		}
		tok = next
	}
}

func types(evs []statelang.HistoryEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = string(e.Type)
	}
	return out
}

// lookup finds a task function by resource ARN or by its last segment.
func lookup(fns map[string]TaskFunc, resource string) TaskFunc {
	if fn, ok := fns[resource]; ok {
		return fn
	}
	return fns[resource[strings.LastIndex(resource, ":")+1:]]
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
