package nats_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/natstest"
)

const chainDef = `{"StartAt":"A","States":{` +
	`"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:step","Next":"B"},` +
	`"B":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:step","Next":"C"},` +
	`"C":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:step","End":true}}}`

// runs counts handler runs per (token, attempt), to find a task run twice.
type runs struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *runs) add(ctx context.Context) {
	info, _ := workers.TaskInfoFromContext(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = make(map[string]int)
	}
	r.n[fmt.Sprintf("%s:%d", info.Token, info.Attempt)]++
}

func (r *runs) twice(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, n := range r.n {
		if n != 1 {
			t.Errorf("task %s ran %d times; want 1", k, n)
		}
	}
}

// stepWorker serves "step" in ns: it increments $.n and appends tag to
// $.by, so an output shows which installation's
// worker ran every step.
func stepWorker(s *stack, cfg workers.Config, tag string, r *runs) {
	s.worker(cfg, func(w *workers.Worker) {
		workers.HandleFunc(w, "step", func(ctx context.Context, in struct {
			N  int    `json:"n"`
			By string `json:"by"`
		}) (any, error) {
			r.add(ctx)
			time.Sleep(5 * time.Millisecond)
			return map[string]any{"n": in.N + 1, "by": in.By + tag}, nil
		})
	})
}

// startMany starts n chain executions and returns their ARNs.
func startMany(s *stack, n int) []string {
	arns := make([]string, n)
	for i := range arns {
		arns[i] = s.start("chain", fmt.Sprintf(`{"n":%d,"by":""}`, i)).ARN
	}
	return arns
}

func checkChains(t *testing.T, s *stack, arns []string, tag string) {
	t.Helper()
	for i, arn := range arns {
		x := s.wait(arn, 2*time.Minute)
		want := fmt.Sprintf(`{"by":"%s%s%s","n":%d}`, tag, tag, tag, i+3)
		var got, wantV any
		_ = json.Unmarshal([]byte(x.Output), &got)
		_ = json.Unmarshal([]byte(want), &wantV)
		if x.Status != engine.StatusSucceeded || fmt.Sprint(got) != fmt.Sprint(wantV) {
			t.Errorf("execution %d: %s %s; want SUCCEEDED %s", i, x.Status, x.Output, want)
		}
		checkHistory(t, s.history(arn))
	}
}

// Two installations (two schemas, two engines, two namespaces) on one NATS,
// both under load, with workers of the same name: every execution of both
// finishes, each step run by its own installation's worker.
func TestTwoInstallationsShareNATS(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	a := newStackOn(t, srv, natsdispatch.Config{Namespace: "inst-a"}, nil)
	b := newStackOn(t, srv, natsdispatch.Config{Namespace: "inst-b"}, nil)
	var ra, rb runs
	stepWorker(a, workers.Config{Namespace: "inst-a", MaxConcurrency: 16}, "a", &ra)
	stepWorker(b, workers.Config{Namespace: "inst-b", MaxConcurrency: 16}, "b", &rb)
	a.machine("chain", chainDef)
	b.machine("chain", chainDef)
	var arnsA, arnsB []string
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); arnsA = startMany(a, 60) }()
	go func() { defer wg.Done(); arnsB = startMany(b, 60) }()
	wg.Wait()
	checkChains(t, a, arnsA, "a")
	checkChains(t, b, arnsB, "b")
	ra.twice(t)
	rb.twice(t)
}

// The JetStream store is wiped under load, with a backlog of published
// (confirmed) tasks waiting in the stream: the streams and consumers are
// made again, every task the lost stream held is published again, and a
// worker deduplicating by token runs no task twice.
func TestStoreWipeRecovered(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	s := newStackOn(t, srv, natsdispatch.Config{CheckInterval: 100 * time.Millisecond}, nil)
	s.machine("chain", chainDef)
	arns := startMany(s, 60)
	// Every first task is in the stream and its publish confirmed.
	for {
		var n int
		err := s.pool.QueryRow(context.Background(),
			`SELECT count(*) FROM tasks WHERE status = 'SCHEDULED' AND dispatch_after > now() + interval '1 year'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == len(arns) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	var r runs
	stepWorker(s, workers.Config{MaxConcurrency: 4}, "x", &r)
	// Wipe while the worker is busy and most tasks still wait.
	for {
		r.mu.Lock()
		n := len(r.n)
		r.mu.Unlock()
		if n >= 10 {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := srv.WipeStore(); err != nil {
		t.Fatal(err)
	}
	more := startMany(s, 20)
	checkChains(t, s, arns, "x")
	for i, arn := range more {
		if x := s.wait(arn, 2*time.Minute); x.Status != engine.StatusSucceeded {
			t.Errorf("execution %d started after the wipe: %s; want SUCCEEDED", i, x.Status)
		}
	}
	r.twice(t)
}
