package schedule_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
	"github.com/stepwise-dev/stepwise/schedule"
)

// TestCrashReplicas runs a rate(1 second) schedule for 20 ticks on two
// real replica processes (engine and scheduler, one Postgres schema),
// SIGKILLing and restarting one of them 3 times at random moments and the
// other once: every tick starts exactly one execution (none missed:
// a replica's downtime is far below the one minute after which ticks
// count as missed), and every tick is recorded once.
func TestCrashReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test is slow")
	}
	st, pool := pgtest.Store(t)
	ctx := context.Background()
	var schemaName string
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schemaName); err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.CreateStateMachine(ctx, "tick", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, ""); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "crashsched")
	if out, err := exec.Command("go", "build", "-o", bin, "./internal/crashsched").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "-dsn", pgtest.DSN(), "-schema", schemaName)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	kill := func(c *exec.Cmd) { _ = c.Process.Signal(syscall.SIGKILL); _ = c.Wait() }

	const ticks = 20
	now := time.Now().UTC().Truncate(time.Second)
	s := schedule.Schedule{Name: "every-second", Expression: "rate(1 second)", StartDate: now.Add(2 * time.Second),
		EndDate: now.Add((2 + ticks) * time.Second), Target: schedule.Target{Arn: "arn:aws:states:us-east-1:111111111111:stateMachine:tick"}}
	if _, err := (&schedule.Service{Store: st}).Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	a, b := start(), start()
	defer func() { kill(a); kill(b) }()
	for i := range 4 {
		time.Sleep(time.Duration(1500+rand.IntN(2500)) * time.Millisecond)
		if i == 2 {
			kill(b)
			b = start()
		} else {
			kill(a)
			a = start()
		}
	}
	// Wait for the last tick to be recorded: the schedule then has none
	// left.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		r, err := st.GetSchedule(ctx, "default", "every-second")
		if err != nil {
			t.Fatal(err)
		}
		if r.NextTick.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the schedule still has ticks to fire: %+v", r)
		}
	}
	var want, got []string
	for i := range ticks {
		want = append(want, s.ExecutionName(s.StartDate.Add(time.Duration(i)*time.Second)))
	}
	rows, err := pool.Query(ctx, "SELECT name FROM executions WHERE state_machine = 'tick' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("executions:\n%v\nwant one per tick:\n%v", got, want)
	}
	recorded, err := st.ListTicks(ctx, "default", "every-second", 100)
	if err != nil || len(recorded) != ticks {
		t.Fatalf("ListTicks = %d, %v; want %d ticks", len(recorded), err, ticks)
	}
	for _, tk := range recorded {
		if tk.ExecutionARN == "" {
			t.Errorf("tick %s recorded without an execution: %s", tk.Time, tk.Error)
		}
	}
}
