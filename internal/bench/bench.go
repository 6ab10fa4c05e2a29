// Package bench measures Stepwise: it runs one of a few fixed workloads
// (state machines under bench/workloads) against an engine, with no-op
// workers, and reports throughput, latency, engine overhead per Task step,
// CPU per transition, Postgres commits per execution and, for waiting
// executions, memory. `stepwise bench` is its command line.
//
// A run drives a Target: Local (an engine, the NATS dispatcher, an
// embedded nats-server and no-op workers in this process, on the Postgres
// database given) or Remote (a running `stepwise server` over gRPC, with
// the workers in this process connected to the server's NATS). Clients
// are closed-loop: each of Concurrency goroutines starts an execution,
// waits for it to end, and starts the next one, for Duration or Count
// executions.
//
// Definitions, as reported:
//   - a transition is a state entered, counting every state of every Map
//     iteration (sequence: 10, fanout: 52, hello: 1, pass: 20,
//     callback: 1 per execution);
//   - latency is from just before StartExecution to the moment the bench
//     learns the execution ended: Local hears it right after the terminal
//     commit; Remote polls DescribeExecution (1 ms, backing off to 20 ms),
//     which adds up to the poll interval;
//   - engine overhead per Task step is (latency − time spent in handlers)
//     / Task steps, per execution; for sequence and hello the steps are
//     serial, so it is the engine's cost around one step (result over NATS,
//     its transaction, the next task's commit and publish, delivery); for
//     fanout the steps overlap and the figure is amortised;
//   - CPU is getrusage of this process (engine, workers, NATS and the
//     bench client together when Local) plus, when readable from /proc,
//     the CPU of the machine's postgres processes;
//   - Postgres commits are the delta of pg_stat_database.xact_commit for
//     the database, read after the engine's pool is closed (so every
//     backend flushed its statistics); other activity on that database
//     counts too.
//
// bench is a tool and may import every Stepwise package except cmd.
package bench

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	arnpkg "github.com/stepwise-dev/stepwise/internal/arn"
)

//go:embed workloads/*.asl.json
var workloadFS embed.FS

// Workload is one benchmark: a state machine and how to count its work.
type Workload struct {
	// Name is the workload's name and its file's: workloads/NAME.asl.json.
	Name string
	// Definition is the ASL text.
	Definition string
	// Transitions is the number of states one execution enters.
	Transitions int
	// Tasks is the number of Task steps one execution runs.
	Tasks int
	// Callback: its task waits for a token the bench client answers.
	Callback bool
	// Park: executions never end during the run (the wait workload).
	Park bool
	// Input is the execution input.
	Input string
	// Express: the machine is EXPRESS, its executions run in memory
	// (StartSyncExecution); only an ExpressTarget runs it.
	Express bool
}

var workloadShape = map[string]Workload{
	"sequence": {Transitions: 10, Tasks: 10},
	"fanout":   {Transitions: 52, Tasks: 50},
	"hello":    {Transitions: 1, Tasks: 1},
	"pass":     {Transitions: 20},
	"callback": {Transitions: 1, Tasks: 1, Callback: true},
	"wait":     {Transitions: 1, Park: true},
}

// WorkloadNames lists the workloads in a stable order.
func WorkloadNames() []string {
	return []string{"sequence", "fanout", "hello", "pass", "callback", "wait", "express-hello", "express-pass", "express-sequence"}
}

// expressPrefix names the EXPRESS variant of a workload: express-hello is
// hello's machine as an EXPRESS machine.
const expressPrefix = "express-"

// WideMap is the widemap workload of items items: an inline Map of a
// no-op Task per item, all items at once (MaxConcurrency 0). Run at a few
// sizes, it shows whether the cost of a Map step grows with the Map's
// width: time and DB bytes per item should stay flat.
func WideMap(items int) Workload {
	def := fmt.Sprintf(`{"Comment":"bench widemap: an inline Map over the %d items of the input, each a no-op Task.","StartAt":"FanOut",
 "States":{"FanOut":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":0,"ResultPath":null,"End":true,
   "ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"Work",
    "States":{"Work":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:noop","End":true}}}}}}`, items)
	var in strings.Builder
	in.WriteString(`{"items":[`)
	for i := range items {
		if i > 0 {
			in.WriteByte(',')
		}
		in.WriteString(strconv.Itoa(i))
	}
	in.WriteString(`]}`)
	return Workload{Name: fmt.Sprintf("widemap-%d", items), Definition: def, Transitions: items + 1, Tasks: items, Input: in.String()}
}

// DMap is the dmap workload: a distributed Map whose ItemReader reads
// items JSONL lines from bucket/key in the object store, each item a
// child execution of one no-op Task, at most maxConcurrency at once; its
// ResultWriter writes the children's results under DMapResults(items) in
// bucket (the results of 100,000 children are far over the 256 KiB a
// state's output may hold). The children are STANDARD executions, or
// EXPRESS ones when express is set (its name is then dmap-express-<items>).
func DMap(items, maxConcurrency int, bucket, key string, express bool) Workload {
	typ, name := "STANDARD", fmt.Sprintf("dmap-%d", items)
	if express {
		typ, name = "EXPRESS", fmt.Sprintf("dmap-express-%d", items)
	}
	def := fmt.Sprintf(`{"Comment":"bench dmap: a distributed Map over the %d JSONL items of s3://%s/%s, each a child execution of a no-op Task.","StartAt":"FanOut",
 "States":{"FanOut":{"Type":"Map","MaxConcurrency":%d,"ResultPath":null,"End":true,
   "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":%q,"Key":%q},"ReaderConfig":{"InputType":"JSONL"}},
   "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":%q,"Prefix":%q}},
   "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":%q},"StartAt":"Work",
    "States":{"Work":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:noop","End":true}}}}}}`,
		items, bucket, key, maxConcurrency, bucket, key, bucket, DMapResults(items), typ)
	return Workload{Name: name, Definition: def, Transitions: items + 1, Tasks: items, Input: `{}`}
}

// DMapResults is the prefix of the dmap workload's results.
func DMapResults(items int) string { return fmt.Sprintf("results/dmap-%d", items) }

// DMapItems is the JSONL file of the dmap workload's items.
func DMapItems(items int) string {
	var b strings.Builder
	for i := range items {
		fmt.Fprintf(&b, "{\"id\":%d}\n", i)
	}
	return b.String()
}

// LoadWorkload returns a workload by name.
func LoadWorkload(name string) (Workload, error) {
	base, express := strings.CutPrefix(name, expressPrefix)
	w, ok := workloadShape[base]
	if !ok || (express && (w.Park || w.Callback)) {
		return Workload{}, fmt.Errorf("unknown workload %q (one of %s)", name, strings.Join(WorkloadNames(), ", "))
	}
	def, err := workloadFS.ReadFile("workloads/" + base + ".asl.json")
	if err != nil {
		return Workload{}, err
	}
	w.Name, w.Definition, w.Input, w.Express = name, string(def), `{"bench":true}`, express
	return w, nil
}

// ExpressTarget is a Target that runs EXPRESS machines (Local): StartExecution
// of one of its EXPRESS machines returns once the execution ended.
type ExpressTarget interface {
	CreateExpressStateMachine(ctx context.Context, name, definition string) error
}

// createMachine creates w's machine on t.
func createMachine(ctx context.Context, t Target, name string, w Workload) error {
	if !w.Express {
		return t.CreateStateMachine(ctx, name, w.Definition)
	}
	et, ok := t.(ExpressTarget)
	if !ok {
		return fmt.Errorf("workload %s: this target runs no EXPRESS machines (use the local target)", w.Name)
	}
	return et.CreateExpressStateMachine(ctx, name, w.Definition)
}

// Outcome is how an execution ended.
type Outcome struct {
	Status string // SUCCEEDED, FAILED, TIMED_OUT, ABORTED
	Output string
	Error  string
	Cause  string
}

// Target is what a benchmark drives: an engine in this process or a server.
type Target interface {
	// CreateStateMachine creates (or finds, when identical) a machine.
	CreateStateMachine(ctx context.Context, name, definition string) error
	// StartExecution starts an execution and returns a handle to wait on.
	StartExecution(ctx context.Context, machine, name, input string) (Started, error)
	// Wait blocks until the execution ended.
	Wait(ctx context.Context, s Started) (Outcome, error)
	// SendTaskSuccess answers a callback task.
	SendTaskSuccess(ctx context.Context, token, output string) error
}

// Storager is a Target that can tell how much its database holds (Local).
type Storager interface {
	// Storage returns the number of history events and the bytes of the
	// engine's tables.
	Storage(ctx context.Context) (events, bytes int64, err error)
}

func storage(ctx context.Context, t Target) (events, bytes int64, ok bool) {
	s, isStorager := t.(Storager)
	if !isStorager {
		return 0, 0, false
	}
	events, bytes, err := s.Storage(ctx)
	return events, bytes, err == nil
}

// Started identifies a started execution.
type Started struct {
	ARN string
	ID  int64 // the engine's id when Local; 0 when Remote
}

// Config configures one run. Zero values take the documented defaults.
type Config struct {
	// Workload to run. Required.
	Workload Workload
	// Concurrency is how many executions run at once (closed loop).
	// Defaults to 16.
	Concurrency int
	// Duration bounds the measured run. Defaults to 20s unless Count is
	// set.
	Duration time.Duration
	// Count bounds the measured run by executions started (the wait
	// workload: the number of parked executions). 0: no bound.
	Count int
	// ExecutionTimeout bounds the wait for one execution's end; one that
	// takes longer counts as an error. Defaults to 5m.
	ExecutionTimeout time.Duration
	// Warmup runs executions before measuring (connections, caches,
	// JetStream consumers). Defaults to 20 (0 for wait); negative: none.
	Warmup int
	// WaitCheckpoints are the numbers of parked executions at which the
	// wait workload measures memory. Defaults to 0, 1k, 10k, 100k capped
	// at Count.
	WaitCheckpoints []int
	// Progress receives a live progress line (\r-terminated) every
	// ProgressEvery. nil: none.
	Progress io.Writer
	// ProgressEvery defaults to 1s.
	ProgressEvery time.Duration
	// Probe reads resource usage. Defaults to this process only.
	Probe *Probe
	// Handlers records when no-op handlers run, per execution, for the
	// overhead figures (Local and Remote both run the workers here).
	Handlers *HandlerClock
	// Tokens carries callback task tokens from the callback worker to
	// the bench client (the callback workload).
	Tokens *Mailbox[string]
}

func (c *Config) setDefaults() error {
	if c.Workload.Name == "" {
		return errors.New("bench: no workload")
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 16
	}
	if c.Duration <= 0 && c.Count <= 0 {
		c.Duration = 20 * time.Second
	}
	if c.Warmup == 0 && !c.Workload.Park {
		c.Warmup = 20
	}
	if c.Warmup < 0 || c.Workload.Park {
		c.Warmup = 0
	}
	if c.ExecutionTimeout <= 0 {
		c.ExecutionTimeout = 5 * time.Minute
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = time.Second
	}
	if c.Probe == nil {
		c.Probe = &Probe{}
	}
	if c.Workload.Park && len(c.WaitCheckpoints) == 0 {
		n := c.Count
		if n <= 0 {
			n = 10000
			c.Count = n
		}
		for _, k := range []int{0, 1000, 10000, 100000, 1000000} {
			if k < n {
				c.WaitCheckpoints = append(c.WaitCheckpoints, k)
			}
		}
		c.WaitCheckpoints = append(c.WaitCheckpoints, n)
	}
	if c.Workload.Callback && c.Tokens == nil {
		return errors.New("bench: the callback workload needs Config.Tokens")
	}
	return nil
}

// Result is what a run measured. Durations are in milliseconds in JSON.
type Result struct {
	Workload    string    `json:"workload"`
	Target      string    `json:"target"`
	Concurrency int       `json:"concurrency"`
	StartedAt   time.Time `json:"started_at"`
	Seconds     float64   `json:"seconds"`

	Executions  int `json:"executions"`
	Succeeded   int `json:"succeeded"`
	Failed      int `json:"failed"`
	Errors      int `json:"errors"`
	Transitions int `json:"transitions"`
	TaskSteps   int `json:"task_steps"`

	ExecutionsPerSec  float64 `json:"executions_per_sec"`
	TransitionsPerSec float64 `json:"transitions_per_sec"`
	TaskStepsPerSec   float64 `json:"task_steps_per_sec"`

	LatencyMs         Quantiles  `json:"latency_ms"`
	OverheadPerStepMs *Quantiles `json:"engine_overhead_per_task_step_ms,omitempty"`
	// ToFirstTaskMs is from StartExecution to the first handler's start;
	// FromLastTaskMs from the last handler's end to the execution's end
	// (Task workloads but callback).
	ToFirstTaskMs      *Quantiles `json:"start_to_first_task_ms,omitempty"`
	FromLastTaskMs     *Quantiles `json:"last_task_to_end_ms,omitempty"`
	CallbackMs         *Quantiles `json:"callback_ms,omitempty"`
	CPUSeconds         float64    `json:"cpu_seconds"`
	PostgresCPUSeconds float64    `json:"postgres_cpu_seconds"`
	CPUPer1kTrans      float64    `json:"cpu_seconds_per_1k_transitions"`
	PgCPUPer1kTrans    float64    `json:"postgres_cpu_seconds_per_1k_transitions"`
	PgCommits          int64      `json:"postgres_commits"`
	PgCommitsPerExec   float64    `json:"postgres_commits_per_execution"`
	// EventsPerExec and BytesPerExec are the history events and the
	// database bytes (tables, indexes, TOAST) one execution added (Local
	// only; 0 when unknown).
	EventsPerExec float64 `json:"history_events_per_execution,omitempty"`
	BytesPerExec  float64 `json:"db_bytes_per_execution,omitempty"`
	FirstError    string  `json:"first_error,omitempty"`

	// Wait is set for the wait workload.
	Wait []WaitPoint `json:"wait,omitempty"`

	// Timeline is executions finished per second of the run.
	Timeline []int `json:"timeline"`
	// Latencies are every measured latency in ms (for plots); not in JSON.
	Latencies []float64 `json:"-"`
}

// Quantiles summarises a distribution.
type Quantiles struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func quantiles(xs []float64) Quantiles {
	if len(xs) == 0 {
		return Quantiles{}
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	at := func(p float64) float64 { return s[min(len(s)-1, int(float64(len(s))*p))] }
	var sum float64
	for _, x := range s {
		sum += x
	}
	return Quantiles{P50: at(0.5), P90: at(0.9), P99: at(0.99), Max: s[len(s)-1], Mean: sum / float64(len(s))}
}

// WaitPoint is the memory measured with Parked executions waiting.
type WaitPoint struct {
	Parked int `json:"parked"`
	// RSSBytes is the engine process's resident set after a GC and
	// returning freed memory to the OS.
	RSSBytes int64 `json:"rss_bytes"`
	// HeapBytes is the Go heap in use (Local only).
	HeapBytes int64 `json:"heap_bytes"`
	// Goroutines (Local only).
	Goroutines int `json:"goroutines"`
}

// HandlerClock records, per execution ARN, the time handlers spent and
// when the first handler started and the last one ended.
type HandlerClock struct{ m sync.Map } // ARN → *handlerSpan

type handlerSpan struct {
	mu          sync.Mutex
	busy        time.Duration
	first, last time.Time
}

// Add records a handler of execution arn that ran from start to end. A
// distributed Map's child (its machine is <machine>/<label>) is skipped:
// the bench waits on its parent, so nothing would take its span, and a
// dmap run would keep one for every item.
func (h *HandlerClock) Add(arn string, start, end time.Time) {
	if h == nil {
		return
	}
	if x, err := arnpkg.ParseExecution(arn); err == nil && strings.Contains(x.Machine, "/") {
		return
	}
	v, _ := h.m.LoadOrStore(arn, &handlerSpan{})
	sp := v.(*handlerSpan)
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.busy += end.Sub(start)
	if sp.first.IsZero() || start.Before(sp.first) {
		sp.first = start
	}
	if end.After(sp.last) {
		sp.last = end
	}
}

func (h *HandlerClock) take(arn string) (busy time.Duration, first, last time.Time) {
	if h == nil {
		return 0, time.Time{}, time.Time{}
	}
	v, ok := h.m.LoadAndDelete(arn)
	if !ok {
		return 0, time.Time{}, time.Time{}
	}
	sp := v.(*handlerSpan)
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.busy, sp.first, sp.last
}

// Mailbox hands one value per key from a producer to a consumer, in
// either order: Put before Take keeps the value until it is taken.
type Mailbox[V any] struct {
	mu      sync.Mutex
	waiting map[string]chan V
	kept    map[string]V
}

// NewMailbox returns an empty Mailbox.
func NewMailbox[V any]() *Mailbox[V] {
	return &Mailbox[V]{waiting: map[string]chan V{}, kept: map[string]V{}}
}

// Put delivers v under key.
func (m *Mailbox[V]) Put(key string, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ch, ok := m.waiting[key]; ok {
		delete(m.waiting, key)
		ch <- v
		return
	}
	m.kept[key] = v
}

// Take waits for the value under key.
func (m *Mailbox[V]) Take(ctx context.Context, key string) (V, error) {
	m.mu.Lock()
	if v, ok := m.kept[key]; ok {
		delete(m.kept, key)
		m.mu.Unlock()
		return v, nil
	}
	ch := make(chan V, 1)
	m.waiting[key] = ch
	m.mu.Unlock()
	select {
	case v := <-ch:
		return v, nil
	case <-ctx.Done():
		m.mu.Lock()
		delete(m.waiting, key)
		m.mu.Unlock()
		var zero V
		return zero, ctx.Err()
	}
}

// Run creates the workload's machine on t and runs it as cfg says.
func Run(ctx context.Context, t Target, cfg Config) (*Result, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	w := cfg.Workload
	machine := "bench-" + w.Name
	if err := createMachine(ctx, t, machine, w); err != nil {
		return nil, fmt.Errorf("create state machine: %w", err)
	}
	if w.Park {
		return runPark(ctx, t, machine, cfg)
	}
	r := &runner{t: t, cfg: cfg, machine: machine, prefix: fmt.Sprintf("b%x-", rand.Uint32())}
	// Warm up, unmeasured.
	for i := 0; i < cfg.Warmup; i++ {
		if _, _, err := r.one(ctx, false); err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
	}
	return r.measure(ctx)
}

type runner struct {
	t       Target
	cfg     Config
	machine string
	prefix  string
	seq     atomic.Int64

	mu        sync.Mutex
	lat       []float64
	overhead  []float64
	callback  []float64
	toFirst   []float64 // start → first handler starts
	fromLast  []float64 // last handler ends → the bench learns the end
	finished  []time.Time
	succeeded int
	failed    int
	errs      int
	firstErr  error
}

// one runs one execution to its end and returns its latency and, for a
// callback, the time from SendTaskSuccess to the end.
func (r *runner) one(ctx context.Context, measured bool) (time.Duration, time.Duration, error) {
	name := r.prefix + fmt.Sprint(r.seq.Add(1))
	t0 := time.Now()
	s, err := r.t.StartExecution(ctx, r.machine, name, r.cfg.Workload.Input)
	if err != nil {
		return 0, 0, err
	}
	wctx, cancel := context.WithTimeout(ctx, r.cfg.ExecutionTimeout)
	defer cancel()
	var cb time.Time
	if r.cfg.Workload.Callback {
		tok, err := r.cfg.Tokens.Take(wctx, s.ARN)
		if err != nil {
			return 0, 0, fmt.Errorf("waiting for the callback token: %w", err)
		}
		cb = time.Now()
		if err := r.t.SendTaskSuccess(wctx, tok, `{"answered":true}`); err != nil {
			return 0, 0, fmt.Errorf("SendTaskSuccess: %w", err)
		}
	}
	o, err := r.t.Wait(wctx, s)
	if err != nil {
		return 0, 0, fmt.Errorf("execution %s: %w", s.ARN, err)
	}
	end := time.Now()
	lat := end.Sub(t0)
	var cbLat time.Duration
	if !cb.IsZero() {
		cbLat = end.Sub(cb)
	}
	if !measured {
		r.cfg.Handlers.take(s.ARN)
		if o.Status != "SUCCEEDED" {
			return 0, 0, fmt.Errorf("execution %s: %s %s %s", s.ARN, o.Status, o.Error, o.Cause)
		}
		return lat, cbLat, nil
	}
	handler, first, last := r.cfg.Handlers.take(s.ARN)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finished = append(r.finished, end)
	if o.Status != "SUCCEEDED" {
		r.failed++
		if r.firstErr == nil {
			r.firstErr = fmt.Errorf("execution %s: %s %s %s", s.ARN, o.Status, o.Error, o.Cause)
		}
		return lat, cbLat, nil
	}
	r.succeeded++
	r.lat = append(r.lat, ms(lat))
	if n := r.cfg.Workload.Tasks; n > 0 && !r.cfg.Workload.Callback {
		r.overhead = append(r.overhead, ms(lat-handler)/float64(n))
	}
	if !first.IsZero() && !r.cfg.Workload.Callback {
		r.toFirst = append(r.toFirst, ms(first.Sub(t0)))
		r.fromLast = append(r.fromLast, ms(end.Sub(last)))
	}
	if !cb.IsZero() {
		r.callback = append(r.callback, ms(cbLat))
	}
	return lat, cbLat, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (r *runner) measure(ctx context.Context) (*Result, error) {
	cfg := r.cfg
	ev0, by0, stored := storage(ctx, r.t)
	before, err := cfg.Probe.Read(ctx)
	if err != nil {
		return nil, err
	}
	runCtx := ctx
	var cancel context.CancelFunc = func() {}
	if cfg.Duration > 0 {
		runCtx, cancel = context.WithTimeout(ctx, cfg.Duration)
	}
	defer cancel()
	start := time.Now()
	var started atomic.Int64
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Go(func() {
			for runCtx.Err() == nil {
				if cfg.Count > 0 && started.Add(1) > int64(cfg.Count) {
					return
				}
				// An execution started is waited for even when the
				// duration ends meanwhile (ctx, not runCtx), so that
				// its work is counted and nothing is left running.
				if _, _, err := r.oneUntil(ctx, runCtx); err != nil {
					r.mu.Lock()
					r.errs++
					if r.firstErr == nil {
						r.firstErr = err
					}
					r.mu.Unlock()
					if ctx.Err() != nil {
						return
					}
				}
			}
		})
	}
	stopProgress := r.progress(start)
	wg.Wait()
	elapsed := time.Since(start)
	stopProgress()
	after, err := cfg.Probe.Read(ctx)
	if err != nil {
		return nil, err
	}
	res := r.result(start, elapsed, before, after)
	if ev1, by1, ok := storage(ctx, r.t); ok && stored && res.Executions > 0 {
		res.EventsPerExec = float64(ev1-ev0) / float64(res.Executions)
		res.BytesPerExec = float64(by1-by0) / float64(res.Executions)
	}
	return res, nil
}

// oneUntil starts an execution unless runCtx ended, then waits for it
// with ctx.
func (r *runner) oneUntil(ctx, runCtx context.Context) (time.Duration, time.Duration, error) {
	if runCtx.Err() != nil {
		return 0, 0, nil
	}
	return r.one(ctx, true)
}

func (r *runner) progress(start time.Time) func() {
	if r.cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(r.cfg.ProgressEvery)
		defer tick.Stop()
		last, lastT := 0, start
		for {
			select {
			case <-done:
				fmt.Fprint(r.cfg.Progress, "\r\033[K")
				return
			case now := <-tick.C:
				r.mu.Lock()
				n := len(r.finished)
				var recent []float64
				if k := len(r.lat); k > 0 {
					recent = r.lat[max(0, k-2000):]
				}
				q := quantiles(recent)
				errs := r.errs + r.failed
				r.mu.Unlock()
				rate := float64(n-last) / now.Sub(lastT).Seconds()
				fmt.Fprintf(r.cfg.Progress, "\r\033[K%6.1fs  %s  %8d done  %8.1f exec/s  %8.0f transitions/s  p50 %.1f ms  p99 %.1f ms  errors %d",
					now.Sub(start).Seconds(), r.cfg.Workload.Name, n, rate, rate*float64(r.cfg.Workload.Transitions), q.P50, q.P99, errs)
				last, lastT = n, now
			}
		}
	}()
	return func() { close(done); <-stopped }
}

func (r *runner) result(start time.Time, elapsed time.Duration, before, after Usage) *Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.cfg.Workload
	res := &Result{
		Workload: w.Name, Concurrency: r.cfg.Concurrency, StartedAt: start, Seconds: elapsed.Seconds(),
		Executions: r.succeeded + r.failed, Succeeded: r.succeeded, Failed: r.failed, Errors: r.errs,
		LatencyMs: quantiles(r.lat), Latencies: r.lat,
	}
	res.Transitions = res.Executions * w.Transitions
	res.TaskSteps = res.Executions * w.Tasks
	secs := elapsed.Seconds()
	res.ExecutionsPerSec = float64(res.Executions) / secs
	res.TransitionsPerSec = float64(res.Transitions) / secs
	res.TaskStepsPerSec = float64(res.TaskSteps) / secs
	if len(r.overhead) > 0 {
		q := quantiles(r.overhead)
		res.OverheadPerStepMs = &q
	}
	if len(r.callback) > 0 {
		q := quantiles(r.callback)
		res.CallbackMs = &q
	}
	if len(r.toFirst) > 0 {
		a, b := quantiles(r.toFirst), quantiles(r.fromLast)
		res.ToFirstTaskMs, res.FromLastTaskMs = &a, &b
	}
	res.CPUSeconds = after.CPU - before.CPU
	res.PostgresCPUSeconds = after.PostgresCPU - before.PostgresCPU
	if res.Transitions > 0 {
		res.CPUPer1kTrans = res.CPUSeconds / float64(res.Transitions) * 1000
		res.PgCPUPer1kTrans = res.PostgresCPUSeconds / float64(res.Transitions) * 1000
	}
	if after.Commits >= 0 && before.Commits >= 0 {
		res.PgCommits = after.Commits - before.Commits
		if res.Executions > 0 {
			res.PgCommitsPerExec = float64(res.PgCommits) / float64(res.Executions)
		}
	} else {
		res.PgCommits = -1
	}
	if r.firstErr != nil {
		res.FirstError = r.firstErr.Error()
	}
	res.Timeline = make([]int, int(secs)+1)
	for _, t := range r.finished {
		res.Timeline[min(len(res.Timeline)-1, int(t.Sub(start).Seconds()))]++
	}
	return res
}

// runPark starts Count executions that park on a 1-hour Wait and measures
// memory at each checkpoint.
func runPark(ctx context.Context, t Target, machine string, cfg Config) (*Result, error) {
	res := &Result{Workload: cfg.Workload.Name, Concurrency: cfg.Concurrency, StartedAt: time.Now()}
	prefix := fmt.Sprintf("p%x-", rand.Uint32())
	parked := 0
	// Warm the engine up at full concurrency (connections, caches) with
	// executions that end at once, so that the 0 checkpoint is a warm
	// engine with nothing waiting.
	const warm = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	if err := t.CreateStateMachine(ctx, machine+"-warmup", warm); err != nil {
		return nil, fmt.Errorf("create state machine: %w", err)
	}
	var wwg sync.WaitGroup
	for c := range cfg.Concurrency {
		wwg.Go(func() {
			for i := range 8 {
				_, _ = t.StartExecution(ctx, machine+"-warmup", fmt.Sprintf("%sw%d-%d", prefix, c, i), "{}")
			}
		})
	}
	wwg.Wait()
	ev0, by0, stored := storage(ctx, t)
	var firstErr error
	for _, cp := range cfg.WaitCheckpoints {
		if n := cp - parked; n > 0 {
			var next atomic.Int64
			var errs atomic.Int64
			var wg sync.WaitGroup
			var emu sync.Mutex
			t0 := time.Now()
			stop := make(chan struct{})
			if cfg.Progress != nil {
				go func() {
					tick := time.NewTicker(cfg.ProgressEvery)
					defer tick.Stop()
					for {
						select {
						case <-stop:
							return
						case <-tick.C:
							k := min(next.Load(), int64(n))
							fmt.Fprintf(cfg.Progress, "\r\033[K%6.1fs  wait  %8d parked  → %d", time.Since(res.StartedAt).Seconds(), parked+int(k), cp)
						}
					}
				}()
			}
			for range cfg.Concurrency {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(n) || ctx.Err() != nil {
							return
						}
						if _, err := t.StartExecution(ctx, machine, fmt.Sprintf("%s%d", prefix, int64(parked)+i), cfg.Workload.Input); err != nil {
							errs.Add(1)
							emu.Lock()
							if firstErr == nil {
								firstErr = err
							}
							emu.Unlock()
						}
					}
				})
			}
			wg.Wait()
			close(stop)
			if cfg.Progress != nil {
				fmt.Fprint(cfg.Progress, "\r\033[K")
			}
			res.Errors += int(errs.Load())
			res.Executions += n - int(errs.Load())
			res.Seconds += time.Since(t0).Seconds()
			parked = cp
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
		m, err := cfg.Probe.Memory()
		if err != nil {
			return nil, err
		}
		m.Parked = parked - res.Errors
		res.Wait = append(res.Wait, m)
	}
	if res.Seconds > 0 {
		res.ExecutionsPerSec = float64(res.Executions) / res.Seconds
	}
	if ev1, by1, ok := storage(ctx, t); ok && stored && res.Executions > 0 {
		res.EventsPerExec = float64(ev1-ev0) / float64(res.Executions)
		res.BytesPerExec = float64(by1-by0) / float64(res.Executions)
	}
	if firstErr != nil {
		res.FirstError = firstErr.Error()
	}
	return res, nil
}
