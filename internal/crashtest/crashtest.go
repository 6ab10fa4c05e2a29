// Package crashtest is the durability rig the stores' crash tests share:
// it builds a real engine process (crashengine), SIGKILLs it at random
// moments or at a chosen one while executions run, restarts it, and then
// checks every execution, history, task, child execution and Map Run.
// Each store's test supplies a Target; the scenarios are the same for
// every store.
//
// It is for tests only. It imports no store: crashengine, the binary it
// builds, opens the one a Target's flags name.
package crashtest

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/store/storetest"
)

// Target is the database a crash test runs on.
type Target struct {
	// Store is a migrated store on the database. The test's own engine
	// uses it to create machines, start and describe executions; it runs
	// no maintenance loop and no dispatcher.
	Store engine.Store
	// Flags point crashengine at the same database: "-dsn", dsn, "-schema",
	// schema for Postgres, "-db", path for SQLite.
	Flags []string
	// Count runs a query that returns one integer on the database (see
	// Counter).
	Count func(ctx context.Context, query string) (int64, error)
}

// Counter is a Target's Count over a database's QueryRow
// (pgxpool.Pool.QueryRow, sql.DB.QueryRowContext).
func Counter[R interface{ Scan(dest ...any) error }](queryRow func(ctx context.Context, query string, args ...any) R) func(context.Context, string) (int64, error) {
	return func(ctx context.Context, query string) (n int64, err error) {
		err = queryRow(ctx, query).Scan(&n)
		return n, err
	}
}

// rig is one crash test: the engine binary, the running engine process
// and the test's own engine.
type rig struct {
	t    *testing.T
	ctx  context.Context
	tgt  Target
	bin  string
	eng  *engine.Engine
	proc *exec.Cmd
	// extra are flags for every start of the engine process.
	extra []string
}

// activity is the ARN prefix of the activities the machines name:
// crashengine answers <activity>double and never <activity>hang.
const activity = "arn:aws:states:us-east-1:111111111111:activity:"

func newRig(t *testing.T, tgt Target) *rig {
	t.Helper()
	if testing.Short() {
		t.Skip("crash test is slow")
	}
	bin := filepath.Join(t.TempDir(), "crashengine")
	build := exec.Command("go", "build", "-o", bin, "github.com/stepwise-dev/stepwise/internal/crashtest/crashengine")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build crashengine: %v\n%s", err, out)
	}
	eng, err := engine.New(engine.Config{Store: tgt.Store, DispatchTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, ctx: context.Background(), tgt: tgt, bin: bin, eng: eng}
	t.Cleanup(r.down)
	return r
}

// run starts crashengine with extra flags.
func (r *rig) run(extra ...string) *exec.Cmd {
	r.t.Helper()
	cmd := exec.Command(r.bin, append(append([]string(nil), r.tgt.Flags...), extra...)...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	return cmd
}

// up starts the engine process (r.extra, then extra flags for
// crashengine).
func (r *rig) up(extra ...string) {
	r.t.Helper()
	r.proc = r.run(append(append([]string(nil), r.extra...), extra...)...)
}

// down SIGKILLs the engine process, if one runs.
func (r *rig) down() {
	if r.proc == nil {
		return
	}
	_ = r.proc.Process.Signal(syscall.SIGKILL)
	_ = r.proc.Wait()
	r.proc = nil
}

// chaos SIGKILLs and restarts the engine kills times, each after a random
// pause between least and least+spread, and returns when done.
func (r *rig) chaos(kills int, least, spread time.Duration) {
	r.t.Helper()
	for range kills {
		time.Sleep(least + rand.N(spread))
		r.down()
		r.up()
	}
	r.t.Logf("SIGKILLed the engine %d times", kills)
}

func (r *rig) machine(name, def string) engine.StateMachine {
	r.t.Helper()
	sm, err := r.eng.CreateStateMachine(r.ctx, name, def, "")
	if err != nil {
		r.t.Fatalf("CreateStateMachine(%q) = %v", name, err)
	}
	return sm
}

func (r *rig) start(machine, name, input string) *engine.Execution {
	r.t.Helper()
	x, err := r.eng.StartExecution(r.ctx, engine.StartExecutionInput{StateMachine: machine, Name: name, Input: input})
	if err != nil {
		r.t.Fatalf("StartExecution(%q, %q) = %v", machine, name, err)
	}
	return x
}

// startMany starts n executions, the i-th of machine(i) named name(i)
// with input(i), gap apart, in the background; it sends their ARNs when
// done.
func (r *rig) startMany(n int, machine, name, input func(i int) string, gap time.Duration) <-chan []string {
	started := make(chan []string, 1)
	go func() {
		var arns []string
		defer func() { started <- arns }()
		for i := range n {
			x, err := r.eng.StartExecution(r.ctx, engine.StartExecutionInput{StateMachine: machine(i), Name: name(i), Input: input(i)})
			if err != nil {
				r.t.Errorf("StartExecution(%q) = %v", name(i), err)
				return
			}
			arns = append(arns, x.ARN)
			time.Sleep(gap)
		}
	}()
	return started
}

// load is what a chaos run starts: n executions, the i-th of machine(i)
// named name(i) with input(i), gap apart, while the engine is SIGKILLed
// and restarted kills times, each after a random pause between least and
// least+spread.
type load struct {
	n                    int
	machine, name, input func(i int) string
	gap                  time.Duration
	kills                int
	least, spread        time.Duration
}

// survive starts the engine and l, then waits (five minutes at most: the
// machine may be busy) until every execution ended and returns them in
// order.
func (r *rig) survive(l load) []*engine.Execution {
	r.t.Helper()
	r.up()
	started := r.startMany(l.n, l.machine, l.name, l.input, l.gap)
	r.chaos(l.kills, l.least, l.spread)
	arns := <-started
	if len(arns) != l.n {
		r.t.Fatalf("started %d executions; want %d", len(arns), l.n)
	}
	deadline := time.Now().Add(5 * time.Minute)
	xs := make([]*engine.Execution, len(arns))
	for i, arn := range arns {
		xs[i] = r.wait(arn, deadline)
	}
	return xs
}

// succeeded reports whether x succeeded with output want, and says so
// when not.
func (r *rig) succeeded(x *engine.Execution, want string) bool {
	r.t.Helper()
	if x.Status != engine.StatusSucceeded || x.Output != want {
		r.t.Errorf("%s: %s %s %s %s; want SUCCEEDED %s", x.ARN, x.Status, x.Error, x.Cause, x.Output, want)
		return false
	}
	return true
}

func (r *rig) describe(arn string) *engine.Execution {
	r.t.Helper()
	x, err := r.eng.DescribeExecution(r.ctx, arn)
	if err != nil {
		r.t.Fatalf("DescribeExecution(%q) = %v", arn, err)
	}
	return x
}

// wait polls an execution until it is no longer RUNNING, or until the
// deadline (generous: the machine may be busy) passes.
func (r *rig) wait(arn string, deadline time.Time) *engine.Execution {
	r.t.Helper()
	for {
		x := r.describe(arn)
		if x.Status != engine.StatusRunning || time.Now().After(deadline) {
			return x
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// until polls cond every 50ms until it holds or the deadline passes, and
// reports whether it held.
func (r *rig) until(deadline time.Time, cond func() bool) bool {
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// history returns an execution's whole history, checked well-formed.
func (r *rig) history(arn string) []statelang.HistoryEvent {
	r.t.Helper()
	var all []statelang.HistoryEvent
	in := engine.HistoryInput{}
	for {
		evs, next, err := r.eng.GetExecutionHistory(r.ctx, arn, in)
		if err != nil {
			r.t.Fatalf("GetExecutionHistory(%q) = %v", arn, err)
		}
		all = append(all, evs...)
		if next == "" {
			break
		}
		in.NextToken = next
	}
	storetest.CheckHistory(r.t, arn, all)
	return all
}

// count runs a query of one integer.
func (r *rig) count(query string) int64 {
	r.t.Helper()
	n, err := r.tgt.Count(r.ctx, query)
	if err != nil {
		r.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// always is a function of i that is always s.
func always(s string) func(i int) string { return func(int) string { return s } }

// eventCounts counts a history's events by type.
func eventCounts(evs []statelang.HistoryEvent) map[string]int {
	counts := map[string]int{}
	for _, e := range evs {
		counts[string(e.Type)]++
	}
	return counts
}
