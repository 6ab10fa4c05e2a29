package telemetry_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/stepwise-dev/stepwise/api"
	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
	"github.com/stepwise-dev/stepwise/telemetry"
	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/natstest"
)

const fnARN = "arn:aws:lambda:us-east-1:111111111111:function:"

// flowMachine passes, runs task "work" (whose first attempt fails and is
// retried after 1 s), waits 1 s and succeeds.
const flowMachine = `{"StartAt":"P","States":{
	"P":{"Type":"Pass","Next":"T"},
	"T":{"Type":"Task","Resource":"` + fnARN + `work","Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1,"MaxAttempts":2}],"Next":"W"},
	"W":{"Type":"Wait","Seconds":1,"Next":"Done"},
	"Done":{"Type":"Succeed"}}}`

// stack is a Stepwise process in the test: an engine on Postgres with
// its store observed, the NATS dispatcher on an embedded server, the API
// server over HTTP and gRPC, and one worker serving "work".
type stack struct {
	eng     *engine.Engine
	metrics *telemetry.Metrics
	http    *httptest.Server
	grpc    *grpc.ClientConn
}

func newStack(t *testing.T, tracer *telemetry.Tracer, workerCfg func(*workers.Config)) *stack {
	t.Helper()
	st, _ := pgtest.Store(t)
	srv := natstest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m := telemetry.NewMetrics()
	dcfg := natsdispatch.Config{Store: st, Observer: m}
	if tracer != nil {
		dcfg.Tracer = tracer
	}
	d, err := natsdispatch.New(ctx, srv.Connect(t), dcfg)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: telemetry.Observe(st, m, tracer), Dispatcher: d,
		PollInterval: 20 * time.Millisecond, DispatchTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 3)
	go func() { _ = eng.Run(ctx); done <- struct{}{} }()
	go func() { _ = d.Run(ctx, eng); done <- struct{}{} }()

	wcfg := workers.Config{AckWait: 2 * time.Second}
	if workerCfg != nil {
		workerCfg(&wcfg)
	}
	w, err := workers.New(srv.Connect(t), &wcfg)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	workers.HandleFunc(w, "work", func(ctx context.Context, in map[string]any) (map[string]any, error) {
		if calls.Add(1) == 1 {
			return nil, workers.Fail("Flaky", "first attempt")
		}
		return map[string]any{"ok": true}, nil
	})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	go func() { _ = w.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done; <-done })

	as, err := api.New(api.Config{Engine: eng, Metrics: m, Tracer: tracer})
	if err != nil {
		t.Fatal(err)
	}
	h, err := as.HTTPHandler(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := as.GRPCServer()
	go func() { _ = gs.Serve(ln) }()
	t.Cleanup(gs.Stop)
	cc, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	if _, err := eng.CreateStateMachine(ctx, "flow", flowMachine, "arn:aws:iam::111111111111:role/test"); err != nil {
		t.Fatal(err)
	}
	return &stack{eng: eng, metrics: m, http: hs, grpc: cc}
}

// wait polls until the execution is no longer RUNNING (the test's own
// deadline bounds it).
func (s *stack) wait(t *testing.T, arn string) *engine.Execution {
	t.Helper()
	for {
		x, err := s.eng.DescribeExecution(context.Background(), arn)
		if err != nil {
			t.Fatal(err)
		}
		if x.Status != engine.StatusRunning {
			return x
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitTraced waits until tr follows no execution: its spans of the
// executions the test saw end are ended (the observers run after the
// commit a DescribeExecution may already see).
func waitTraced(t *testing.T, tr *telemetry.Tracer) {
	t.Helper()
	for tr.Following() > 0 {
		time.Sleep(5 * time.Millisecond)
	}
}

func historyTypes(t *testing.T, eng *engine.Engine, arn string) string {
	evs, _, err := eng.GetExecutionHistory(context.Background(), arn, engine.HistoryInput{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range evs {
		b.WriteString(string(e.Type) + " ")
	}
	return b.String()
}

// aws calls an operation of the AWS endpoint with extra headers (name,
// value pairs) and decodes its answer.
func (s *stack) aws(t *testing.T, op, body string, header ...string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("POST", s.http.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%s = %d %v (%v); want 200", op, resp.StatusCode, out, err)
	}
	return out
}
