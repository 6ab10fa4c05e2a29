package telemetry

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// Metrics holds the Prometheus collectors of one Stepwise process, in a
// registry of its own (not the global one), and serves them with
// [Metrics.Handler]. Its methods are safe for concurrent use. Every
// metric is listed in docs/observability.md.
type Metrics struct {
	reg *prometheus.Registry

	started     *prometheus.CounterVec   // state_machine, machine_type
	finished    *prometheus.CounterVec   // state_machine, machine_type, status
	duration    *prometheus.HistogramVec // state_machine, machine_type, status
	transitions *prometheus.CounterVec   // state_machine, machine_type, state_type
	scheduled   *prometheus.CounterVec   // resource
	taskLatency *prometheus.HistogramVec // resource, status
	timerLag    prometheus.Histogram
	batchSize   prometheus.Histogram
	commitTime  *prometheus.HistogramVec // result
	redelivered *prometheus.CounterVec   // stream
	unserved    *prometheus.GaugeVec     // name
	unservedErr *prometheus.CounterVec   // name
	httpReqs    *prometheus.CounterVec   // handler, method, code
	httpTime    *prometheus.HistogramVec // handler, method
	http5xx     prometheus.Counter
	grpcReqs    *prometheus.CounterVec   // grpc_service, grpc_method, grpc_type, grpc_code
	grpcTime    *prometheus.HistogramVec // grpc_service, grpc_method, grpc_type

	tasks taskClock
}

// latencyBuckets are the buckets of request and commit latencies, in
// seconds: 0.5 ms to 10 s.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// longBuckets are the buckets of task and execution durations and timer
// lag, in seconds: 1 ms to an hour.
var longBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}

// NewMetrics returns the metrics of a process, with the Go runtime's and
// the process's collectors (go_*, process_*) registered beside them.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.started = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stepwise_executions_started_total",
		Help: "Executions started, by state machine and its type (STANDARD, EXPRESS)."}, []string{"state_machine", "machine_type"})
	m.finished = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stepwise_executions_finished_total",
		Help: "Executions that ended, by state machine, its type and status (SUCCEEDED, FAILED, TIMED_OUT, ABORTED)."},
		[]string{"state_machine", "machine_type", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "stepwise_execution_duration_seconds",
		Help: "Time from an execution's start to its end, by state machine, its type and status.", Buckets: longBuckets},
		[]string{"state_machine", "machine_type", "status"})
	m.transitions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stepwise_state_transitions_total",
		Help: "States entered, by state machine, its type and state type (Task, Pass, Choice, ...)."},
		[]string{"state_machine", "machine_type", "state_type"})
	m.scheduled = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stepwise_tasks_scheduled_total",
		Help: "Task attempts scheduled for a worker, by resource."}, []string{"resource"})
	m.taskLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "stepwise_task_duration_seconds",
		Help:    "Time from a task attempt's commit (its dispatch) to the commit of its result, by resource and outcome (SUCCEEDED, FAILED, TIMED_OUT, CANCELLED).",
		Buckets: longBuckets}, []string{"resource", "status"})
	m.timerLag = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "stepwise_timer_lag_seconds",
		Help: "How late a due timer (Wait, Retry backoff, timeouts) was when the engine claimed it.", Buckets: longBuckets})
	m.batchSize = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "stepwise_commit_batch_size",
		Help:    "Writes per group commit: executions changed plus task bookkeeping rows (confirmations, deliveries, heartbeats).",
		Buckets: prometheus.ExponentialBuckets(1, 2, 11)})
	m.commitTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "stepwise_commit_duration_seconds",
		Help: "Time of one group commit's transaction, decision included, by result (ok, conflict, error).", Buckets: latencyBuckets}, []string{"result"})
	m.redelivered = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stepwise_nats_redeliveries_total",
		Help: "NATS JetStream messages the engine received more than once, by stream (results)."}, []string{"stream"})
	m.unserved = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "stepwise_tasks_unserved",
		Help: "Tasks waiting in NATS for a worker name no worker serves, by worker name, as this engine replica last saw them."}, []string{"name"})
	m.unservedErr = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stepwise_tasks_unserved_failed_total",
		Help: "Tasks failed because no worker served their name for the unserved task timeout, by worker name."}, []string{"name"})
	m.httpReqs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stepwise_http_requests_total",
		Help: "HTTP requests served, by handler (rest, aws, scheduler, ui, metrics, healthz), method and status code."}, []string{"handler", "method", "code"})
	m.httpTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "stepwise_http_request_duration_seconds",
		Help: "Time to serve an HTTP request, by handler and method.", Buckets: latencyBuckets}, []string{"handler", "method"})
	m.http5xx = prometheus.NewCounter(prometheus.CounterOpts{Name: "stepwise_http_server_errors_total",
		Help: "HTTP requests answered with a 5xx status."})
	m.grpcReqs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "grpc_server_handled_total",
		Help: "gRPC requests completed on the server, by service, method, type and code."}, []string{"grpc_service", "grpc_method", "grpc_type", "grpc_code"})
	m.grpcTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "grpc_server_handling_seconds",
		Help: "Time to handle a gRPC request, by service, method and type.", Buckets: latencyBuckets}, []string{"grpc_service", "grpc_method", "grpc_type"})
	m.reg.MustRegister(m.started, m.finished, m.duration, m.transitions, m.scheduled, m.taskLatency, m.timerLag,
		m.batchSize, m.commitTime, m.redelivered, m.unserved, m.unservedErr, m.httpReqs, m.httpTime, m.http5xx, m.grpcReqs, m.grpcTime,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format (or
// OpenMetrics, when the scraper asks for it).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// Register adds more collectors to the process's registry.
func (m *Metrics) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Backlog is what a store may implement for the gauges of open tasks and
// running executions (stepwise_tasks_open, stepwise_executions_running):
// two counts read at each scrape. [BacklogCollector] reads them.
type Backlog interface {
	Backlog(ctx context.Context) (openTasks, runningExecutions int64, err error)
}

// BacklogCollector returns a collector of the gauges b counts, reading
// them at each scrape (within 5 s; a failed read leaves them out).
func BacklogCollector(b Backlog) prometheus.Collector { return backlogCollector{b} }

type backlogCollector struct{ b Backlog }

var (
	openTasksDesc = prometheus.NewDesc("stepwise_tasks_open", "Tasks scheduled or started and not yet answered, in the whole installation.", nil, nil)
	runningDesc   = prometheus.NewDesc("stepwise_executions_running", "Executions running (waiting on a task, a timer or a child), in the whole installation.", nil, nil)
)

func (c backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- openTasksDesc
	ch <- runningDesc
}

func (c backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tasks, running, err := c.b.Backlog(ctx)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(openTasksDesc, prometheus.GaugeValue, float64(tasks))
	ch <- prometheus.MustNewConstMetric(runningDesc, prometheus.GaugeValue, float64(running))
}

// Redelivered counts a NATS message of stream received more than once.
func (m *Metrics) Redelivered(stream string) { m.redelivered.WithLabelValues(stream).Inc() }

// UnservedTasks sets the gauge of the tasks waiting for name, which no
// worker serves; n = 0 removes name's series.
func (m *Metrics) UnservedTasks(name string, n int) {
	if n == 0 {
		m.unserved.DeleteLabelValues(name)
		return
	}
	m.unserved.WithLabelValues(name).Set(float64(n))
}

// UnservedFailed counts a task failed because no worker served name.
func (m *Metrics) UnservedFailed(name string) { m.unservedErr.WithLabelValues(name).Inc() }

// HTTP returns h counting and timing its requests, each under the handler
// name route gives it (a small fixed set: it is a label).
func (m *Metrics) HTTP(h http.Handler, route func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(rec, r)
		name, method := route(r), methodLabel(r.Method)
		m.httpReqs.WithLabelValues(name, method, strconv.Itoa(rec.code)).Inc()
		m.httpTime.WithLabelValues(name, method).Observe(time.Since(start).Seconds())
		if rec.code >= 500 {
			m.http5xx.Inc()
		}
	})
}

// methodLabel keeps the method label to the standard methods.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

type statusRecorder struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// UnaryInterceptor counts and times unary gRPC requests
// (grpc_server_handled_total, grpc_server_handling_seconds).
func (m *Metrics) UnaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := h(ctx, req)
	m.grpcDone(info.FullMethod, "unary", start, err)
	return resp, err
}

// StreamInterceptor counts and times streaming gRPC requests.
func (m *Metrics) StreamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	start := time.Now()
	err := h(srv, ss)
	typ := "bidi_stream"
	switch {
	case info.IsClientStream && !info.IsServerStream:
		typ = "client_stream"
	case !info.IsClientStream && info.IsServerStream:
		typ = "server_stream"
	}
	m.grpcDone(info.FullMethod, typ, start, err)
	return err
}

func (m *Metrics) grpcDone(full, typ string, start time.Time, err error) {
	service, method := splitMethod(full)
	m.grpcReqs.WithLabelValues(service, method, typ, status.Code(err).String()).Inc()
	m.grpcTime.WithLabelValues(service, method, typ).Observe(time.Since(start).Seconds())
}

// splitMethod splits "/package.Service/Method".
func splitMethod(full string) (service, method string) {
	full = strings.TrimPrefix(full, "/")
	if i := strings.LastIndexByte(full, '/'); i >= 0 {
		return full[:i], full[i+1:]
	}
	return "unknown", full
}

// taskClock remembers when this process committed each open task attempt
// and its resource, so the commit of its result can observe the latency.
// It keeps two generations of at most taskClockMax/2 entries each: an
// attempt whose result another replica commits is forgotten after two
// generations, so the memory stays bounded.
type taskClock struct {
	mu        sync.Mutex
	cur, prev map[string]taskStart
}

type taskStart struct {
	resource string
	at       time.Time
}

const taskClockMax = 1 << 17

func (c *taskClock) add(token string, s taskStart) {
	if c.cur == nil {
		c.cur = map[string]taskStart{}
	}
	if len(c.cur) >= taskClockMax/2 {
		c.prev, c.cur = c.cur, make(map[string]taskStart, len(c.cur))
	}
	c.cur[token] = s
}

func (c *taskClock) take(token string) (taskStart, bool) {
	if s, ok := c.cur[token]; ok {
		delete(c.cur, token)
		return s, true
	}
	if s, ok := c.prev[token]; ok {
		delete(c.prev, token)
		return s, true
	}
	return taskStart{}, false
}
