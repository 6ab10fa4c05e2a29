package bench_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stepwise-dev/stepwise/internal/bench"
	"github.com/stepwise-dev/stepwise/statelang"
)

func TestWorkloadsParse(t *testing.T) {
	t.Parallel()
	for _, name := range bench.WorkloadNames() {
		w, err := bench.LoadWorkload(name)
		if err != nil {
			t.Fatalf("LoadWorkload(%q) = %v", name, err)
		}
		if _, err := statelang.Parse([]byte(w.Definition)); err != nil {
			t.Errorf("Parse(%s) = %v", name, err)
		}
	}
	if _, err := bench.LoadWorkload("nope"); err == nil {
		t.Errorf("LoadWorkload(%q) = nil error; want one", "nope")
	}
}

func TestMailbox(t *testing.T) {
	t.Parallel()
	m := bench.NewMailbox[int]()
	m.Put("a", 1) // before Take
	if v, err := m.Take(context.Background(), "a"); v != 1 || err != nil {
		t.Errorf("Take(a) = %v, %v; want 1, nil", v, err)
	}
	go func() { time.Sleep(10 * time.Millisecond); m.Put("b", 2) }()
	if v, err := m.Take(context.Background(), "b"); v != 2 || err != nil {
		t.Errorf("Take(b) = %v, %v; want 2, nil", v, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Take(ctx, "c"); err == nil {
		t.Errorf("Take(c) with a cancelled ctx = nil error; want one")
	}
}

func dsn() string {
	if s := os.Getenv("STEPWISE_TEST_DATABASE_URL"); s != "" {
		return s
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// TestRunEveryWorkload runs each workload a few times in process, with
// the JSON and plot outputs. It checks results, never timings.
func TestRunEveryWorkload(t *testing.T) {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn())
	if err != nil {
		if os.Getenv("STEPWISE_REQUIRE_DB") == "1" {
			t.Fatalf("database unreachable: %v", err)
		}
		t.Skipf("database unreachable: %v", err)
	}
	c.Close(ctx)
	l, err := bench.StartLocal(ctx, bench.LocalConfig{DB: dsn(), MaxConns: 8, PollInterval: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	probe := &bench.Probe{DB: l.DSN(), FlushWait: time.Millisecond}
	var results []*bench.Result
	for _, name := range bench.WorkloadNames() {
		w, err := bench.LoadWorkload(name)
		if err != nil {
			t.Fatal(err)
		}
		cfg := bench.Config{Workload: w, Concurrency: 4, Count: 8, Warmup: 2, Probe: probe, Handlers: l.Handlers(), Tokens: l.Tokens()}
		if w.Park {
			cfg.WaitCheckpoints = []int{0, 10, 20}
		}
		r, err := bench.Run(ctx, l, cfg)
		if err != nil {
			t.Fatalf("Run(%s) = %v", name, err)
		}
		if w.Park {
			if len(r.Wait) != 3 || r.Wait[2].Parked != 20 || r.Wait[2].RSSBytes <= 0 {
				t.Errorf("Run(wait).Wait = %+v; want 3 points up to 20 parked", r.Wait)
			}
			continue
		}
		if r.Succeeded != 8 || r.Failed != 0 || r.Errors != 0 {
			t.Errorf("Run(%s) = %d succeeded, %d failed, %d errors (%s); want 8, 0, 0", name, r.Succeeded, r.Failed, r.Errors, r.FirstError)
		}
		if r.Transitions != 8*w.Transitions || len(r.Latencies) != 8 {
			t.Errorf("Run(%s): %d transitions, %d latencies; want %d, 8", name, r.Transitions, len(r.Latencies), 8*w.Transitions)
		}
		if w.Callback && r.CallbackMs == nil {
			t.Errorf("Run(%s): no callback latency", name)
		}
		results = append(results, r)
	}
	dir := t.TempDir()
	bench.WriteSummary(io.Discard, results)
	if err := bench.WriteJSON(filepath.Join(dir, "out.json"), results); err != nil {
		t.Errorf("WriteJSON = %v", err)
	}
	for _, f := range []string{"out.png", "out.svg"} {
		if err := bench.WritePlot(filepath.Join(dir, f), results); err != nil {
			t.Errorf("WritePlot(%s) = %v", f, err)
		}
	}
}
