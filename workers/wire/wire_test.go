package wire_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stepwise-dev/stepwise/workers/natstest"
	"github.com/stepwise-dev/stepwise/workers/wire"
)

func TestEncodeName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"ValidateOrder", "ValidateOrder"},
		{"my-func_2", "my-func_2"},
		{"sqs:sendMessage", "sqs:sendMessage"},
		{"a.b", "a%2Eb"},
		{"a b*c>d", "a%20b%2Ac%3Ed"},
		{"100%", "100%25"},
		{"é", "%C3%A9"},
	}
	for _, tc := range tests {
		if got := wire.EncodeName(tc.in); got != tc.want {
			t.Errorf("EncodeName(%q) = %q; want %q", tc.in, got, tc.want)
		}
		if got, err := wire.DecodeName(tc.want); err != nil || got != tc.in {
			t.Errorf("DecodeName(%q) = %q, %v; want %q", tc.want, got, err, tc.in)
		}
	}
	for _, bad := range []string{"a.b", "%2", "%zz", "%2e", "a b"} {
		if got, err := wire.DecodeName(bad); err == nil {
			t.Errorf("DecodeName(%q) = %q, nil; want an error", bad, got)
		}
	}
}

func FuzzEncodeName(f *testing.F) {
	for _, s := range []string{"", "ValidateOrder", "sqs:sendMessage", "a.b%c", "é*>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := wire.EncodeName(s)
		if strings.ContainsAny(enc, " \t\r\n.*>/\\") {
			t.Fatalf("EncodeName(%q) = %q; not a subject token", s, enc)
		}
		if dec, err := wire.DecodeName(enc); err != nil || dec != s {
			t.Fatalf("DecodeName(EncodeName(%q)) = %q, %v", s, dec, err)
		}
	})
}

func TestSubjectsAndConsumerNames(t *testing.T) {
	t.Parallel()
	ns := wire.Namespace("pg-1a2b")
	if got, want := ns.TaskSubject("sqs:sendMessage"), "stepwise.pg-1a2b.tasks.sqs:sendMessage"; got != want {
		t.Errorf("TaskSubject = %q; want %q", got, want)
	}
	if got, want := ns.CancelSubject("ab.c"), "stepwise.pg-1a2b.cancel.ab%2Ec"; got != want {
		t.Errorf("CancelSubject = %q; want %q", got, want)
	}
	if got, err := ns.TokenFromCancelSubject(ns.CancelSubject("ab.c")); err != nil || got != "ab.c" {
		t.Errorf("TokenFromCancelSubject = %q, %v; want %q", got, err, "ab.c")
	}
	if got, err := wire.DefaultNamespace.TokenFromCancelSubject(ns.CancelSubject("x")); err == nil {
		t.Errorf("TokenFromCancelSubject(other namespace) = %q, nil; want an error", got)
	}
	if got, want := ns.TaskStream()+" "+ns.ResultStream()+" "+ns.ResultSubject(), "STEPWISE_TASKS_pg-1a2b STEPWISE_RESULTS_pg-1a2b stepwise.pg-1a2b.results"; got != want {
		t.Errorf("streams and result subject = %q; want %q", got, want)
	}
	if got, want := wire.TaskConsumerName("sqs:sendMessage"), "stepwise-task-sqs%3AsendMessage"; got != want {
		t.Errorf("TaskConsumerName = %q; want %q", got, want)
	}
	long := strings.Repeat("é", 200)
	if got := wire.TaskConsumerName(long); len(got) > 255 || got == wire.TaskConsumerName(long+"x") {
		t.Errorf("TaskConsumerName(long) = %q (%d chars); want <= 255 and distinct", got, len(got))
	}
}

func TestNameFromResource(t *testing.T) {
	t.Parallel()
	tests := []struct{ resource, want string }{
		{"arn:aws:lambda:us-east-1:123456789012:function:ValidateOrder", "ValidateOrder"},
		{"arn:aws:lambda:us-east-1:123456789012:function:ValidateOrder:prod", "ValidateOrder"},
		{"arn:aws:lambda:us-east-1:123456789012:function:ValidateOrder:$LATEST", "ValidateOrder"},
		{"arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:F", "F"},
		{"arn:aws:states:us-east-1:123456789012:activity:approve-order", "approve-order"},
		{"arn:aws:states:::sqs:sendMessage", "sqs:sendMessage"},
		{"arn:aws:states:::sqs:sendMessage.waitForTaskToken", "sqs:sendMessage"},
		{"arn:aws:states:::ecs:runTask.sync", "ecs:runTask"},
		{"arn:aws:states:::states:startExecution.sync:2", "states:startExecution"},
		{"arn:aws:states:::aws-sdk:s3:getObject", "aws-sdk:s3:getObject"},
	}
	for _, tc := range tests {
		if got, err := wire.NameFromResource(tc.resource); err != nil || got != tc.want {
			t.Errorf("NameFromResource(%q) = %q, %v; want %q", tc.resource, got, err, tc.want)
		}
	}
	if _, err := wire.NameFromResource("arn:aws:states:::lambda:invoke.waitForTaskToken"); !errors.Is(err, wire.ErrNoName) {
		t.Errorf("NameFromResource(lambda:invoke) = %v; want ErrNoName", err)
	}
	for _, bad := range []string{"", "ValidateOrder", "arn:aws:lambda:us-east-1:1:layer:x", "arn:aws:states:::nocolon"} {
		if got, err := wire.NameFromResource(bad); err == nil {
			t.Errorf("NameFromResource(%q) = %q, nil; want an error", bad, got)
		}
	}
}

func TestFunctionName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"ProcessPayment", "ProcessPayment"},
		{"ProcessPayment:live", "ProcessPayment"},
		{"123456789012:function:ProcessPayment", "ProcessPayment"},
		{"arn:aws:lambda:us-east-1:123456789012:function:ProcessPayment:1", "ProcessPayment"},
	}
	for _, tc := range tests {
		if got, err := wire.FunctionName(tc.in); err != nil || got != tc.want {
			t.Errorf("FunctionName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if got, err := wire.FunctionName(""); err == nil {
		t.Errorf("FunctionName(\"\") = %q, nil; want an error", got)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	good := wire.Task{Token: "t", Attempt: 1, Name: "F", Input: []byte(`{}`)}
	if err := good.Validate(); err != nil {
		t.Errorf("Validate(%+v) = %v; want nil", good, err)
	}
	bad := wire.Task{Attempt: 0, Input: []byte(`{`)}
	if err := bad.Validate(); err == nil || strings.Count(err.Error(), "\n") < 3 {
		t.Errorf("Validate(%+v) = %v; want every problem reported", bad, err)
	}
	for _, r := range []wire.Result{
		{Token: "t", Kind: wire.KindSuccess},
		{Token: "t", Kind: "done"},
		{Kind: wire.KindHeartbeat},
	} {
		if err := r.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil; want an error", r)
		}
	}
}

func TestStreamsAndPublish(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	nc := srv.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ns := wire.DefaultNamespace
	// Idempotent: the engine and every worker call it.
	for range 2 {
		if err := ns.EnsureStreams(ctx, js); err != nil {
			t.Fatalf("EnsureStreams = %v", err)
		}
	}
	s, err := js.Stream(ctx, ns.TaskStream())
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.Retention; got != jetstream.WorkQueuePolicy {
		t.Errorf("task stream retention = %v; want work queue", got)
	}
	if _, err := ns.EnsureTaskConsumer(ctx, js, "sqs:sendMessage", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := ns.EnsureResultConsumer(ctx, js); err != nil {
		t.Fatal(err)
	}

	task := &wire.Task{Token: "tok", Attempt: 1, Name: "sqs:sendMessage", Input: []byte(`{}`)}
	first, err := ns.PublishTask(ctx, js, task)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ns.PublishTask(ctx, js, task)
	if err != nil {
		t.Fatal(err)
	}
	if first.Duplicate || !again.Duplicate || again.Sequence != first.Sequence {
		t.Errorf("PublishTask twice = %+v, %+v; want the second a duplicate of the first", first, again)
	}
	if _, err := ns.PublishTask(ctx, js, &wire.Task{}); err == nil {
		t.Error("PublishTask(invalid) = nil; want an error")
	}
	res := &wire.Result{Token: "tok", Attempt: 1, Kind: wire.KindSuccess, Output: []byte(`1`)}
	r1, err := ns.PublishResult(ctx, js, res)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := ns.PublishResult(ctx, js, &wire.Result{Token: "tok", Attempt: 1, Kind: wire.KindFailure, Error: "E"})
	if err != nil {
		t.Fatal(err)
	}
	if r1.Duplicate || !r2.Duplicate {
		t.Errorf("two final results for one attempt: duplicate = %v, %v; want false, true", r1.Duplicate, r2.Duplicate)
	}
	for range 2 {
		hb, err := ns.PublishResult(ctx, js, &wire.Result{Token: "tok", Attempt: 1, Kind: wire.KindHeartbeat})
		if err != nil || hb.Duplicate {
			t.Errorf("PublishResult(heartbeat) = %+v, %v; want stored", hb, err)
		}
	}
}

func TestParseNamespace(t *testing.T) {
	t.Parallel()
	for _, good := range []string{"default", "pg-3fa1c2d4e5f6", "a", "test_run-7", strings.Repeat("x", wire.MaxNamespaceLen)} {
		if got, err := wire.ParseNamespace(good); err != nil || string(got) != good {
			t.Errorf("ParseNamespace(%q) = %q, %v; want it back", good, got, err)
		}
	}
	for _, bad := range []string{"", "Prod", "a.b", "a*", "a>", "a b", "tasks", "results", "cancel", "é", strings.Repeat("x", wire.MaxNamespaceLen+1)} {
		if got, err := wire.ParseNamespace(bad); err == nil {
			t.Errorf("ParseNamespace(%q) = %q, nil; want an error", bad, got)
		}
	}
}

// Two namespaces on one server: each result stream takes only its own
// results, a result for a namespace without streams is refused, and
// HasEngine and EngineNamespaces see only namespaces with an engine.
func TestNamespacesIsolated(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	js, err := jetstream.New(srv.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, b := wire.Namespace("a"), wire.Namespace("b")
	for _, ns := range []wire.Namespace{a, b} {
		if err := ns.EnsureStreams(ctx, js); err != nil {
			t.Fatalf("%s.EnsureStreams = %v", ns, err)
		}
	}
	if _, err := a.EnsureResultConsumer(ctx, js); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PublishResult(ctx, js, &wire.Result{Token: "tok", Attempt: 1, Kind: wire.KindSuccess, Output: []byte(`1`)}); err != nil {
		t.Fatal(err)
	}
	_, err = wire.Namespace("nobody").PublishResult(ctx, js, &wire.Result{Token: "tok", Attempt: 1, Kind: wire.KindSuccess, Output: []byte(`1`)})
	if !wire.IsMissing(err) {
		t.Errorf("PublishResult(namespace without streams) = %v; want a missing-stream error", err)
	}
	for ns, want := range map[wire.Namespace]uint64{a: 1, b: 0} {
		s, err := js.Stream(ctx, ns.ResultStream())
		if err != nil {
			t.Fatal(err)
		}
		if info, err := s.Info(ctx); err != nil || info.State.Msgs != want {
			t.Errorf("%s result stream holds %v messages (%v); want %d", ns, info.State.Msgs, err, want)
		}
	}
	if ok, err := a.HasEngine(ctx, js); !ok || err != nil {
		t.Errorf("a.HasEngine = %v, %v; want true", ok, err)
	}
	if ok, err := b.HasEngine(ctx, js); ok || err != nil {
		t.Errorf("b.HasEngine = %v, %v; want false", ok, err)
	}
	if got, err := wire.EngineNamespaces(ctx, js); err != nil || len(got) != 1 || got[0] != a {
		t.Errorf("EngineNamespaces = %v, %v; want [a]", got, err)
	}
	if _, err := js.Stream(ctx, wire.Namespace("gone").TaskStream()); !wire.IsMissing(err) {
		t.Errorf("js.Stream(missing) = %v; want IsMissing", err)
	}
}

// TestEnsureSendsNoNeedlessUpdate: EnsureStreams and EnsureWorkerBucket on
// streams that already have their configuration send no update (an update
// races with consumer creation inside nats-server), and put back a
// configuration someone changed.
func TestEnsureSendsNoNeedlessUpdate(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	nc := srv.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ns := wire.DefaultNamespace
	if err := ns.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	if _, err := ns.EnsureWorkerBucket(ctx, js); err != nil {
		t.Fatal(err)
	}
	// The stream update requests, as the server receives them.
	obs := srv.Connect(t)
	updates := make(chan *nats.Msg, 64)
	if _, err := obs.ChanSubscribe("$JS.API.STREAM.UPDATE.>", updates); err != nil {
		t.Fatal(err)
	}
	if err := obs.Flush(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := ns.EnsureStreams(ctx, js); err != nil {
			t.Fatal(err)
		}
		if _, err := ns.EnsureWorkerBucket(ctx, js); err != nil {
			t.Fatal(err)
		}
	}
	cfg := ns.TaskStreamConfig()
	cfg.Description = "changed by hand"
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := ns.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	if err := obs.Flush(); err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, ns.TaskStream())
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.Description; got != ns.TaskStreamConfig().Description {
		t.Errorf("task stream description after EnsureStreams = %q; want %q back", got, ns.TaskStreamConfig().Description)
	}
	// The hand update and EnsureStreams' repair: two.
	if n := len(updates); n != 2 {
		t.Errorf("stream updates sent = %d; want 2 (the hand change and its repair, none for the unchanged ensures)", n)
	}
}
