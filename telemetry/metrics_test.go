package telemetry_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/engine"
)

// TestMetrics runs one execution (a Pass, a Task whose first attempt
// fails and is retried, a Wait, a Succeed) started through the AWS
// endpoint and described over gRPC, then scrapes /metrics and checks the
// values it shows.
func TestMetrics(t *testing.T) {
	s := newStack(t, nil, nil)
	s.aws(t, "StartExecution", `{"stateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:flow","name":"one"}`)
	arn := "arn:aws:states:us-east-1:111111111111:execution:flow:one"
	if x := s.wait(t, arn); x.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s; history %s", x.Status, x.Error, historyTypes(t, s.eng, arn))
	}
	if _, err := stepwisev1.NewExecutionServiceClient(s.grpc).DescribeExecution(context.Background(),
		&stepwisev1.DescribeExecutionRequest{Arn: arn}); err != nil {
		t.Fatal(err)
	}

	// The observers run after the commit DescribeExecution may already
	// see: wait for the one that ended the execution.
	fams := scrape(t, s.http.URL+"/metrics")
	for {
		if n, _ := value(fams, "stepwise_executions_finished_total", nil); n > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
		fams = scrape(t, s.http.URL+"/metrics")
	}
	work := fnARN + "work"
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"stepwise_executions_started_total", map[string]string{"state_machine": "flow", "machine_type": "STANDARD"}, 1},
		{"stepwise_executions_finished_total", map[string]string{"state_machine": "flow", "machine_type": "STANDARD", "status": "SUCCEEDED"}, 1},
		{"stepwise_execution_duration_seconds", map[string]string{"state_machine": "flow", "machine_type": "STANDARD", "status": "SUCCEEDED"}, 1},
		{"stepwise_state_transitions_total", map[string]string{"state_machine": "flow", "machine_type": "STANDARD", "state_type": "Pass"}, 1},
		{"stepwise_state_transitions_total", map[string]string{"state_machine": "flow", "machine_type": "STANDARD", "state_type": "Task"}, 1},
		{"stepwise_state_transitions_total", map[string]string{"state_machine": "flow", "machine_type": "STANDARD", "state_type": "Wait"}, 1},
		{"stepwise_state_transitions_total", map[string]string{"state_machine": "flow", "machine_type": "STANDARD", "state_type": "Succeed"}, 1},
		{"stepwise_tasks_scheduled_total", map[string]string{"resource": work}, 2},
		{"stepwise_task_duration_seconds", map[string]string{"resource": work, "status": "FAILED"}, 1},
		{"stepwise_task_duration_seconds", map[string]string{"resource": work, "status": "SUCCEEDED"}, 1},
		{"stepwise_http_requests_total", map[string]string{"handler": "aws", "method": "POST", "code": "200"}, 1},
		{"grpc_server_handled_total", map[string]string{"grpc_service": "stepwise.v1.ExecutionService",
			"grpc_method": "DescribeExecution", "grpc_type": "unary", "grpc_code": "OK"}, 1},
		{"grpc_server_handling_seconds", map[string]string{"grpc_service": "stepwise.v1.ExecutionService",
			"grpc_method": "DescribeExecution", "grpc_type": "unary"}, 1},
	} {
		if got, ok := value(fams, c.name, c.labels); !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v); want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	// At least the retry's backoff and the Wait: both timers.
	if got, _ := value(fams, "stepwise_timer_lag_seconds", nil); got < 2 {
		t.Errorf("stepwise_timer_lag_seconds count = %v; want >= 2", got)
	}
	// The start, two results, two timers: at least five commits.
	if got, _ := value(fams, "stepwise_commit_batch_size", nil); got < 5 {
		t.Errorf("stepwise_commit_batch_size count = %v; want >= 5", got)
	}
	if got, _ := value(fams, "stepwise_commit_duration_seconds", map[string]string{"result": "ok"}); got < 5 {
		t.Errorf("stepwise_commit_duration_seconds{result=ok} count = %v; want >= 5", got)
	}
	if got, _ := value(fams, "stepwise_http_server_errors_total", nil); got != 0 {
		t.Errorf("stepwise_http_server_errors_total = %v; want 0", got)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("/metrics has no %s", name)
		}
	}
	s.metrics.Redelivered("results")
	if got, _ := value(scrape(t, s.http.URL+"/metrics"), "stepwise_nats_redeliveries_total", map[string]string{"stream": "results"}); got != 1 {
		t.Errorf("stepwise_nats_redeliveries_total{stream=results} = %v; want 1", got)
	}
	s.metrics.UnservedTasks("chargeCard", 2)
	s.metrics.UnservedTasks("gone", 1)
	s.metrics.UnservedTasks("gone", 0)
	s.metrics.UnservedFailed("chargeCard")
	fams = scrape(t, s.http.URL+"/metrics")
	if got, _ := value(fams, "stepwise_tasks_unserved", map[string]string{"name": "chargeCard"}); got != 2 {
		t.Errorf("stepwise_tasks_unserved{name=chargeCard} = %v; want 2", got)
	}
	if _, ok := value(fams, "stepwise_tasks_unserved", map[string]string{"name": "gone"}); ok {
		t.Errorf("stepwise_tasks_unserved{name=gone} is still served after UnservedTasks(gone, 0)")
	}
	if got, _ := value(fams, "stepwise_tasks_unserved_failed_total", map[string]string{"name": "chargeCard"}); got != 1 {
		t.Errorf("stepwise_tasks_unserved_failed_total{name=chargeCard} = %v; want 1", got)
	}
}

// TestMetricsExpress runs the flow machine as an EXPRESS one, in memory,
// through StartSyncExecution, then scrapes /metrics: it is counted as a
// standard execution is (started, ended, its duration, its states, its
// tasks), under machine_type EXPRESS.
func TestMetricsExpress(t *testing.T) {
	s := newStack(t, nil, nil)
	if _, err := s.eng.CreateStateMachineWith(context.Background(), engine.StateMachine{Name: "fast", Definition: flowMachine,
		RoleARN: "arn:aws:iam::111111111111:role/test", Type: engine.TypeExpress}); err != nil {
		t.Fatal(err)
	}
	out := s.aws(t, "StartSyncExecution", `{"stateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:fast","name":"one"}`)
	if out["status"] != "SUCCEEDED" {
		t.Fatalf("StartSyncExecution = %v; want SUCCEEDED", out)
	}

	fams := scrape(t, s.http.URL+"/metrics")
	express := func(kv ...string) map[string]string {
		l := map[string]string{"state_machine": "fast", "machine_type": "EXPRESS"}
		for i := 0; i+1 < len(kv); i += 2 {
			l[kv[i]] = kv[i+1]
		}
		return l
	}
	work := fnARN + "work"
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"stepwise_executions_started_total", express(), 1},
		{"stepwise_executions_finished_total", express("status", "SUCCEEDED"), 1},
		{"stepwise_execution_duration_seconds", express("status", "SUCCEEDED"), 1},
		{"stepwise_state_transitions_total", express("state_type", "Pass"), 1},
		{"stepwise_state_transitions_total", express("state_type", "Task"), 1},
		{"stepwise_state_transitions_total", express("state_type", "Wait"), 1},
		{"stepwise_state_transitions_total", express("state_type", "Succeed"), 1},
		{"stepwise_tasks_scheduled_total", map[string]string{"resource": work}, 2},
		{"stepwise_task_duration_seconds", map[string]string{"resource": work, "status": "FAILED"}, 1},
		{"stepwise_task_duration_seconds", map[string]string{"resource": work, "status": "SUCCEEDED"}, 1},
	} {
		if got, ok := value(fams, c.name, c.labels); !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v); want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	standard := map[string]string{"state_machine": "fast", "machine_type": "STANDARD"}
	if got, ok := value(fams, "stepwise_executions_started_total", standard); ok {
		t.Errorf("stepwise_executions_started_total%v = %v; want no such series", standard, got)
	}
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return fams
}

// value is a counter's value or a histogram's count for the series with
// exactly labels (nil: the only series).
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		if labels != nil {
			if len(m.Label) != len(labels) {
				continue
			}
			for _, l := range m.Label {
				if labels[l.GetName()] != l.GetValue() {
					continue next
				}
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		}
	}
	return 0, false
}
