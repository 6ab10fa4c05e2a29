package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/store/sqlite"
	"github.com/stepwise-dev/stepwise/store/storetest"
)

const crashMachine = `{"StartAt":"Prep","States":{
  "Prep":{"Type":"Pass","Parameters":{"x.$":"$.x","items.$":"$.items"},"Next":"Check"},
  "Check":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericGreaterThanEquals":0,"Next":"Pause"}],"Default":"Bad"},
  "Bad":{"Type":"Fail","Error":"Negative"},
  "Pause":{"Type":"Wait","Seconds":1,"Next":"Fan"},
  "Fan":{"Type":"Parallel","Next":"Shape","Branches":[
    {"StartAt":"DoubleX","States":{"DoubleX":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:double","InputPath":"$.x","End":true}}},
    {"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,"End":true,
      "ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:double","End":true}}}}}}]},
  "Shape":{"Type":"Pass","Parameters":{"x2.$":"$[0]","items2.$":"$[1]"},"End":true}}}`

// TestCrash builds a real engine binary on a SQLite file, starts 150
// executions from this process (a second writer on the same file), SIGKILLs
// the engine at random moments at least five times and restarts it, then
// checks every execution's output and history and every task row.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test is slow")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "crash.db")
	st, err := sqlite.Open(sqlite.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "crashengine")
	if out, err := exec.Command("go", "build", "-o", bin, "./internal/crashengine").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	startChild := func() *exec.Cmd {
		cmd := exec.Command(bin, "-db", path)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	// This process's engine only starts executions: no dispatcher, no loops.
	starter, err := engine.New(engine.Config{Store: st, DispatchTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := starter.CreateStateMachine(ctx, "crash", crashMachine, ""); err != nil {
		t.Fatal(err)
	}
	child := startChild()
	const n = 150
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
	if len(arns) != n {
		t.Fatalf("started %d executions; want %d", len(arns), n)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for i, arn := range arns {
		var x *engine.Execution
		for {
			if x, err = starter.DescribeExecution(ctx, arn); err != nil {
				t.Fatal(err)
			}
			if x.Status != engine.StatusRunning || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		want := fmt.Sprintf(`{"items2":[%d,%d,%d],"x2":%d}`, 2*i, 2*(i+1), 2*(i+2), 2*i)
		if x.Status != engine.StatusSucceeded || x.Output != want {
			t.Errorf("%s: %s %s %s %s; want SUCCEEDED %s", arn, x.Status, x.Error, x.Cause, x.Output, want)
			continue
		}
		evs, _, err := starter.GetExecutionHistory(ctx, arn, engine.HistoryInput{})
		if err != nil {
			t.Fatal(err)
		}
		storetest.CheckHistory(t, arn, evs)
		counts := map[string]int{}
		for _, e := range evs {
			counts[e.Type]++
		}
		if counts["ExecutionSucceeded"] != 1 || counts["LambdaFunctionScheduled"] != 4 || counts["LambdaFunctionSucceeded"] != 4 {
			t.Errorf("%s: %d ExecutionSucceeded, %d tasks scheduled, %d succeeded; want 1, 4, 4",
				arn, counts["ExecutionSucceeded"], counts["LambdaFunctionScheduled"], counts["LambdaFunctionSucceeded"])
		}
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var notDone, done int
	if err := db.QueryRow(`SELECT count(*) FILTER (WHERE status <> 'SUCCEEDED'), count(*) FILTER (WHERE status = 'SUCCEEDED') FROM tasks`).Scan(&notDone, &done); err != nil {
		t.Fatal(err)
	}
	if notDone != 0 || done != 4*n {
		t.Errorf("tasks: %d SUCCEEDED and %d not; want %d and 0", done, notDone, 4*n)
	}
}
