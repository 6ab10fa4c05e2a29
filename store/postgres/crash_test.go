package postgres_test

import (
	"github.com/stepwise-dev/stepwise/internal/pgtest"

	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

const crashMachine = `{"StartAt":"Prep","States":{
  "Prep":{"Type":"Pass","Parameters":{"x.$":"$.x","items.$":"$.items"},"Next":"Check"},
  "Check":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericGreaterThanEquals":0,"Next":"Pause"}],"Default":"Bad"},
  "Bad":{"Type":"Fail","Error":"Negative"},
  "Pause":{"Type":"Wait","Seconds":1,"Next":"Fan"},
  "Fan":{"Type":"Parallel","Next":"Shape","Branches":[
    {"StartAt":"DoubleX","States":{"DoubleX":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:double","InputPath":"$.x","End":true}}},
    {"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,"End":true,
      "ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:double","End":true}}}}}}]},
  "Shape":{"Type":"Pass","Parameters":{"x2.$":"$[0]","items2.$":"$[1]"},"End":true}}}`

// TestCrash builds a real engine binary, runs it against Postgres, starts
// 200 executions, SIGKILLs the engine at random moments and restarts it,
// then checks every execution and its history.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test is slow")
	}
	h := newHarness(t, nil, func(c *engine.Config) { c.DispatchTimeout = time.Second })
	var schema string
	if err := h.pool.QueryRow(context.Background(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	startChild := crashEngine(t, schema)
	// The test's own engine only starts executions: no dispatcher, no loops.
	starter, err := engine.New(engine.Config{Store: h.store, DispatchTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := starter.CreateStateMachine(ctx, "crash", crashMachine, ""); err != nil {
		t.Fatal(err)
	}
	child := startChild()
	const n = 200
	started := make(chan []string)
	go func() {
		var arns []string
		for i := range n {
			x, err := starter.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "crash", Name: fmt.Sprintf("e%03d", i),
				Input: fmt.Sprintf(`{"x":%d,"items":[%d,%d,%d]}`, i, i, i+1, i+2)})
			if err != nil {
				t.Error(err)
				break
			}
			arns = append(arns, x.ARN)
			time.Sleep(10 * time.Millisecond)
		}
		started <- arns
	}()
	kills := 0
	for ; kills < 6; kills++ {
		time.Sleep(time.Duration(300+rand.IntN(1200)) * time.Millisecond)
		_ = child.Process.Signal(syscall.SIGKILL)
		_ = child.Wait()
		child = startChild()
	}
	arns := <-started
	defer func() { _ = child.Process.Signal(syscall.SIGKILL); _ = child.Wait() }()
	t.Logf("SIGKILLed the engine %d times", kills)
	for i, arn := range arns {
		x := h.wait(arn, 120*time.Second)
		want := fmt.Sprintf(`{"items2":[%d,%d,%d],"x2":%d}`, 2*i, 2*(i+1), 2*(i+2), 2*i)
		if x.Status != engine.StatusSucceeded || x.Output != want {
			t.Errorf("%s: %s %s %s %s; want SUCCEEDED %s", arn, x.Status, x.Error, x.Cause, x.Output, want)
			continue
		}
		evs := h.history(arn)
		checkHistory(t, evs)
		seen := map[string]bool{}
		scheduled, answered := 0, 0
		for _, e := range evs {
			switch e.Type {
			case "TaskScheduled", "ActivityScheduled", "LambdaFunctionScheduled":
				scheduled++
			case "TaskSucceeded", "TaskFailed", "TaskTimedOut", "ActivitySucceeded", "ActivityFailed", "ActivityTimedOut",
				"LambdaFunctionSucceeded", "LambdaFunctionFailed", "LambdaFunctionTimedOut":
				answered++
			}
			key := e.Type + " " + fmt.Sprint(e.Details)
			if strings.HasSuffix(e.Type, "Entered") && seen[key] && !strings.Contains(key, "Map") {
				// The same state entered twice with the same input is a duplicate
				// in this machine (only the Map's iterations repeat a state).
				if e.Type != "TaskStateEntered" {
					t.Errorf("%s: duplicate event %s", arn, key)
				}
			}
			seen[key] = true
		}
		if scheduled != 4 || answered != 4 {
			t.Errorf("%s: %d tasks scheduled, %d answered; want 4 and 4", arn, scheduled, answered)
		}
	}
	var twice int
	if err := h.pool.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE status <> 'SUCCEEDED'`).Scan(&twice); err != nil || twice != 0 {
		t.Errorf("%d tasks not SUCCEEDED exactly once (%v)", twice, err)
	}
	var done int
	if err := h.pool.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE status = 'SUCCEEDED'`).Scan(&done); err != nil || done != 4*len(arns) {
		t.Errorf("%d tasks SUCCEEDED; want %d (%v)", done, 4*len(arns), err)
	}
}

// crashEngine builds the crash test's engine binary and returns a function
// that starts it on schema.
func crashEngine(t *testing.T, schema string) func() *exec.Cmd {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "crashengine")
	build := exec.Command("go", "build", "-o", bin, "./internal/crashengine")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return func() *exec.Cmd {
		cmd := exec.Command(bin, "-dsn", pgtest.DSN(), "-schema", schema)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
}

// TestCrashChildren runs parents whose Map iterations each wait for a
// child execution (states:startExecution.sync:2) while the engine is
// SIGKILLed and restarted: every parent sees each child's result exactly
// once, and no child is started twice.
func TestCrashChildren(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test is slow")
	}
	h := newHarness(t, nil, nil)
	var schema string
	if err := h.pool.QueryRow(context.Background(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	start := crashEngine(t, schema)
	starter, err := engine.New(engine.Config{Store: h.store, DispatchTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	kid, err := starter.CreateStateMachine(ctx, "kid", `{"StartAt":"W","States":{
		"W":{"Type":"Wait","Seconds":1,"Next":"T"},
		"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:double","End":true}}}`, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := starter.CreateStateMachine(ctx, "mom", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
		"ItemProcessor":{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
		"Parameters":{"StateMachineArn":"`+kid.ARN+`","Input.$":"$"},"OutputPath":"$.Output","End":true}}}}}}`, ""); err != nil {
		t.Fatal(err)
	}
	engineProc := start()
	const n = 60
	started := make(chan []string)
	go func() {
		var arns []string
		for i := range n {
			x, err := starter.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "mom", Name: fmt.Sprintf("p%03d", i),
				Input: fmt.Sprintf(`[%d,%d,%d]`, 3*i, 3*i+1, 3*i+2)})
			if err != nil {
				t.Error(err)
				break
			}
			arns = append(arns, x.ARN)
			time.Sleep(20 * time.Millisecond)
		}
		started <- arns
	}()
	kills := 0
	for ; kills < 5; kills++ {
		time.Sleep(time.Duration(300+rand.IntN(900)) * time.Millisecond)
		_ = engineProc.Process.Signal(syscall.SIGKILL)
		_ = engineProc.Wait()
		engineProc = start()
	}
	arns := <-started
	defer func() { _ = engineProc.Process.Signal(syscall.SIGKILL); _ = engineProc.Wait() }()
	t.Logf("SIGKILLed the engine %d times", kills)
	for i, arn := range arns {
		x := h.wait(arn, 120*time.Second)
		want := fmt.Sprintf(`[%d,%d,%d]`, 6*i, 2*(3*i+1), 2*(3*i+2))
		if x.Status != engine.StatusSucceeded || x.Output != want {
			t.Errorf("%s: %s %s %s %s; want SUCCEEDED %s", arn, x.Status, x.Error, x.Cause, x.Output, want)
			continue
		}
		evs := h.history(arn)
		checkHistory(t, evs)
		answered := 0
		for _, e := range evs {
			if e.Type == "TaskSucceeded" || e.Type == "TaskFailed" {
				answered++
			}
		}
		if answered != 3 {
			t.Errorf("%s: %d child results in the history; want 3", arn, answered)
		}
	}
	var kids, parented int
	if err := h.pool.QueryRow(ctx, `SELECT count(*), count(parent_token) FROM executions WHERE state_machine = 'kid'`).Scan(&kids, &parented); err != nil {
		t.Fatal(err)
	}
	if kids != 3*len(arns) || parented != kids {
		t.Errorf("%d child executions (%d with a parent); want %d", kids, parented, 3*len(arns))
	}
	var twice int
	if err := h.pool.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE status <> 'SUCCEEDED'`).Scan(&twice); err != nil || twice != 0 {
		t.Errorf("%d tasks not SUCCEEDED exactly once (%v)", twice, err)
	}
}
