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
	bin := filepath.Join(t.TempDir(), "crashengine")
	build := exec.Command("go", "build", "-o", bin, "./internal/crashengine")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	startChild := func() *exec.Cmd {
		cmd := exec.Command(bin, "-dsn", pgtest.DSN(), "-schema", schema)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
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
