package approval_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/examples/approval"
	"github.com/stepwise-dev/stepwise/store/sqlite"
	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/natstest"
)

// TestApproval runs the callback example end to end: an engine on SQLite
// with its REST API, an embedded NATS, the request-approval worker, and the
// approver answering over REST.
func TestApproval(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := sqlite.Open(sqlite.Config{Path: filepath.Join(t.TempDir(), "db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ns := natstest.Start(t)
	nc := ns.Connect(t)
	d, err := natsdispatch.New(ctx, nc, natsdispatch.Config{})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: d, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	h, err := srv.HTTPHandler(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	defer hs.Close()
	inbox, err := approval.OpenInbox(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	w, err := workers.New(ns.Connect(t), &workers.Config{})
	if err != nil {
		t.Fatal(err)
	}
	approval.Register(w, inbox)
	ap := &approval.Approver{API: hs.URL, Limit: 1000}
	done := make(chan struct{}, 4)
	go func() { _ = eng.Run(ctx); done <- struct{}{} }()
	go func() { _ = d.Run(ctx, eng); done <- struct{}{} }()
	go func() { _ = w.Run(ctx); done <- struct{}{} }()
	go func() { _ = ap.Run(ctx, inbox); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done; <-done; <-done }()

	if _, err := eng.CreateStateMachine(ctx, "approval", approval.Definition, ""); err != nil {
		t.Fatal(err)
	}
	start := func(name string, amount float64) string {
		in, _ := json.Marshal(approval.Request{RequestID: name, Requester: "ann", Amount: amount, Reason: "laptop"})
		x, err := eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "approval", Name: name, Input: string(in)})
		if err != nil {
			t.Fatal(err)
		}
		return x.ARN
	}
	wait := func(arn string) *engine.Execution {
		for deadline := time.Now().Add(time.Minute); ; {
			x, err := eng.DescribeExecution(ctx, arn)
			if err != nil {
				t.Fatal(err)
			}
			if x.Status != engine.StatusRunning || time.Now().After(deadline) {
				return x
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	small, big := start("r-small", 250), start("r-big", 5000)
	if x := wait(small); x.Status != engine.StatusSucceeded || x.Output != `{"approved":true,"approver":"policy-approver","requestId":"r-small"}` {
		t.Errorf("small request = %s %s %s; want SUCCEEDED, approved", x.Status, x.Output, x.Cause)
	}
	if x := wait(big); x.Status != engine.StatusFailed || x.Error != "Rejected" {
		t.Errorf("big request = %s %s; want FAILED Rejected", x.Status, x.Error)
	}
	// The approver removed both requests from the inbox.
	for deadline := time.Now().Add(10 * time.Second); ; {
		keys, _ := inbox.Keys(ctx)
		if len(keys) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("inbox still holds %v", keys)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
}
