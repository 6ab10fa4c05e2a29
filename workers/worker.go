package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/stepwise-dev/stepwise/workers/wire"
)

// Worker pulls tasks for its registered names from JetStream, runs their
// handlers and publishes their results. Create one with New, register
// handlers, then Run (or Start and Stop).
//
// Lock order: Worker.mu is the only mutex; nothing is called with it held
// except map, list and channel operations.
type Worker struct {
	nc  *nats.Conn
	js  jetstream.JetStream
	ns  wire.Namespace
	cfg Config
	log *slog.Logger
	// tracer makes the handler spans (of cfg.TracerProvider, got once:
	// a provider's Tracer takes a lock), and workerAttr is their
	// stepwise.worker attribute.
	tracer     trace.Tracer
	workerAttr attribute.KeyValue

	// slots is the concurrency semaphore: a poller puts a token in before
	// it pulls, the task's goroutine takes it out when it ends.
	slots chan struct{}
	// stop is closed by Stop: pollers finish their pull and exit.
	stop chan struct{}
	// done is closed when the pollers and every task have ended.
	done chan struct{}

	pollers sync.WaitGroup
	tasks   sync.WaitGroup

	mu       sync.Mutex
	handlers map[string]Handler
	running  map[string]map[*task]struct{} // by task token
	results  *resultCache                  // recent final results, by token and attempt
	started  bool
	stopping bool
	sub      *nats.Subscription
}

// task is one task message being handled.
type task struct {
	wire   wire.Task
	msg    jetstream.Msg
	cancel context.CancelCauseFunc
}

// New returns a Worker that uses nc. nc should reconnect forever
// (nats.MaxReconnects(-1)): the worker rides out NATS restarts but stops
// pulling once nc is closed. A nil cfg means all defaults. Close nc only
// after Stop or Run returns.
func New(nc *nats.Conn, cfg *Config) (*Worker, error) {
	if nc == nil {
		return nil, errors.New("workers: nil NATS connection")
	}
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("workers: %w", err)
	}
	return &Worker{
		nc:         nc,
		js:         js,
		ns:         wire.Namespace(c.Namespace),
		cfg:        c,
		tracer:     c.TracerProvider.Tracer("github.com/stepwise-dev/stepwise/workers"),
		workerAttr: attribute.String("stepwise.worker", c.ID),
		log:        c.Logger.With("worker_id", c.ID, "namespace", c.Namespace),
		slots:      make(chan struct{}, c.MaxConcurrency),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
		handlers:   make(map[string]Handler),
		running:    make(map[string]map[*task]struct{}),
		results:    newResultCache(c.ResultCacheBytes),
	}, nil
}

// Register makes w serve tasks for name: a Lambda function name (for
// arn:aws:lambda:...:function:NAME and lambda:invoke), an activity name
// (arn:aws:states:...:activity:NAME) or a service integration name such as
// "sqs:sendMessage" (arn:aws:states:::sqs:sendMessage). See
// wire.NameFromResource. Like http.Handle, it panics if name is empty, h
// is nil, name is already registered, or w has started.
func (w *Worker) Register(name string, h Handler) {
	if name == "" {
		panic("workers: Register with an empty name")
	}
	if h == nil {
		panic("workers: Register with a nil handler for " + name)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		panic("workers: Register(" + name + ") after Start")
	}
	if _, dup := w.handlers[name]; dup {
		panic("workers: " + name + " registered twice")
	}
	w.handlers[name] = h
}

// Start creates the streams and one durable consumer per registered name
// when missing, subscribes to cancel messages and starts pulling tasks. It
// returns once pulling has started. Handlers' contexts derive from ctx:
// cancelling ctx cancels every running handler (hard stop) and stops
// pulling; use Stop to drain instead. Start may be called once.
func (w *Worker) Start(ctx context.Context) error {
	w.mu.Lock()
	if w.started {
		w.mu.Unlock()
		return errors.New("workers: Start called twice")
	}
	w.started = true
	names := make([]string, 0, len(w.handlers))
	for name := range w.handlers {
		names = append(names, name)
	}
	w.mu.Unlock()
	ok := false
	defer func() {
		if !ok { // let a later Start try again
			w.mu.Lock()
			w.started = false
			w.mu.Unlock()
		}
	}()
	if len(names) == 0 {
		return errors.New("workers: no handler registered")
	}

	if err := w.ns.EnsureStreams(ctx, w.js); err != nil {
		return fmt.Errorf("workers: %w", err)
	}
	consumers := make(map[string]jetstream.Consumer, len(names))
	for _, name := range names {
		c, err := w.ns.EnsureTaskConsumer(ctx, w.js, name, w.cfg.AckWait)
		if err != nil {
			return fmt.Errorf("workers: %w", err)
		}
		consumers[name] = c
	}
	sub, err := w.nc.Subscribe(w.ns.CancelSubjects(), w.onCancel)
	if err != nil {
		return fmt.Errorf("workers: subscribe to cancels: %w", err)
	}
	// Be subscribed before the first task arrives.
	fctx, cancel := context.WithTimeout(ctx, w.cfg.PublishTimeout)
	err = w.nc.FlushWithContext(fctx)
	cancel()
	if err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("workers: subscribe to cancels: %w", err)
	}
	w.mu.Lock()
	w.sub = sub
	w.mu.Unlock()
	an := w.newAnnouncer(names)
	an.put(ctx)

	for _, name := range names {
		w.pollers.Add(1)
		go w.poll(ctx, name, consumers[name])
	}
	w.pollers.Add(1)
	go w.watchEngine(ctx)
	w.pollers.Add(1)
	go an.run(ctx)
	go func() {
		w.pollers.Wait()
		w.tasks.Wait()
		w.mu.Lock()
		sub := w.sub
		w.mu.Unlock()
		_ = sub.Unsubscribe()
		close(w.done)
	}()
	ok = true
	w.log.Info("worker started", "names", names, "max_concurrency", w.cfg.MaxConcurrency)
	return nil
}

// Stop stops pulling tasks and waits for running handlers to finish and
// their results to be published. If ctx ends first, Stop cancels the
// handlers still running (cause ErrWorkerStopped; their tasks go back to
// the queue unless they still succeed) and returns ctx's error without
// waiting further. Stop may be called more than once; it returns nil at
// once if w never started.
func (w *Worker) Stop(ctx context.Context) error {
	w.mu.Lock()
	if !w.started {
		w.mu.Unlock()
		return nil
	}
	if !w.stopping {
		w.stopping = true
		close(w.stop)
		w.log.Info("worker stopping: draining in-flight tasks")
	}
	w.mu.Unlock()

	select {
	case <-w.done:
		w.log.Info("worker stopped")
		return nil
	case <-ctx.Done():
		w.cancelAll(ErrWorkerStopped)
		w.log.Warn("worker stop timed out: cancelled running handlers")
		return ctx.Err()
	}
}

// Run starts w and blocks until ctx is done, then drains: it stops
// pulling and lets running handlers finish for up to
// Config.ShutdownTimeout before cancelling them. It returns nil after a
// clean drain. To drain on SIGTERM, pass a ctx from signal.NotifyContext.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.cfg.ShutdownTimeout)
	defer cancel()
	return w.Stop(sctx)
}

// stopped reports whether Stop was called.
func (w *Worker) stopped() bool {
	select {
	case <-w.stop:
		return true
	default:
		return false
	}
}

// maxPull bounds the tasks one pull request asks for.
const maxPull = 16

// poll pulls tasks for name while a concurrency slot is free, until Stop
// or ctx ends. When more slots are free it first asks, without waiting,
// for as many tasks as there are (up to maxPull), so that under load one
// request brings several tasks; when none is there it waits for one.
func (w *Worker) poll(ctx context.Context, name string, cons jetstream.Consumer) {
	defer w.pollers.Done()
	log := w.log.With("task_name", name)
	// pctx ends pending pulls when Stop is called. The server then drops
	// the pull request (it checks for interest before it delivers), so no
	// task is sent to a poller that has gone.
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-w.stop:
		case <-pctx.Done():
		}
		cancel()
	}()
	backoff := newBackoff()
	for {
		select {
		case w.slots <- struct{}{}:
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		}
		held := 1 + w.moreSlots(maxPull-1)
		var msgs []jetstream.Msg
		var err error
		if held > 1 {
			msgs, err = w.fetchNoWait(pctx, name, &cons, held)
		}
		for ; held > max(len(msgs), 1); held-- { // keep one slot per task, or one to wait with
			<-w.slots
		}
		if len(msgs) == 0 && err == nil {
			var msg jetstream.Msg
			if msg, err = w.fetch(pctx, name, &cons); msg != nil {
				msgs = append(msgs, msg)
			}
		}
		if len(msgs) > 0 {
			backoff.reset()
			if w.stopped() || ctx.Err() != nil {
				for _, msg := range msgs { // brought in while stopping: hand them back at once
					_ = msg.Nak()
					<-w.slots
				}
				return
			}
			for _, msg := range msgs {
				w.tasks.Add(1)
				go w.run(ctx, name, msg)
			}
			continue
		}
		<-w.slots
		if w.stopped() || ctx.Err() != nil {
			return
		}
		if err == nil {
			continue
		}
		if w.nc.IsClosed() {
			log.Error("worker stops pulling: NATS connection closed")
			return
		}
		log.Warn("pull tasks failed; retrying", "err", err)
		select {
		case <-time.After(backoff.next()):
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		}
	}
}

// moreSlots takes up to n more free concurrency slots without waiting and
// returns how many it took.
func (w *Worker) moreSlots(n int) int {
	for i := 0; i < n; i++ {
		select {
		case w.slots <- struct{}{}:
		default:
			return i
		}
	}
	return n
}

// consumer returns the task consumer for name, creating it (and the
// streams, when the JetStream store lost them) when *cons is nil.
func (w *Worker) consumer(ctx context.Context, name string, cons *jetstream.Consumer) error {
	if *cons != nil {
		return nil
	}
	c, err := w.ns.EnsureTaskConsumer(ctx, w.js, name, w.cfg.AckWait)
	if wire.IsMissing(err) {
		if err := w.ns.EnsureStreams(ctx, w.js); err != nil {
			return err
		}
		w.log.Warn("recreated the streams: NATS had lost them", "task_name", name)
		c, err = w.ns.EnsureTaskConsumer(ctx, w.js, name, w.cfg.AckWait)
	}
	if err != nil {
		return err
	}
	*cons = c
	return nil
}

// fetchNoWait pulls up to n messages that are there now, without waiting
// for more. On an error it recreates the consumer on the next call.
func (w *Worker) fetchNoWait(ctx context.Context, name string, cons *jetstream.Consumer, n int) ([]jetstream.Msg, error) {
	if err := w.consumer(ctx, name, cons); err != nil {
		return nil, err
	}
	batch, err := (*cons).FetchNoWait(n)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil
		}
		*cons = nil
		return nil, err
	}
	var msgs []jetstream.Msg
	for m := range batch.Messages() {
		msgs = append(msgs, m)
	}
	err = batch.Error()
	if len(msgs) > 0 || err == nil || ctx.Err() != nil ||
		errors.Is(err, jetstream.ErrNoMessages) || errors.Is(err, nats.ErrTimeout) {
		return msgs, nil
	}
	*cons = nil
	return nil, err
}

// fetch pulls at most one message, waiting up to PollTimeout or until ctx
// ends. It returns (nil, nil) when none came. On an error it recreates the
// consumer on the next call, in case the server lost it, and the streams
// too when they are gone (the JetStream store was lost).
func (w *Worker) fetch(ctx context.Context, name string, cons *jetstream.Consumer) (jetstream.Msg, error) {
	if err := w.consumer(ctx, name, cons); err != nil {
		return nil, err
	}
	fctx, cancel := context.WithTimeout(ctx, w.cfg.PollTimeout)
	defer cancel()
	batch, err := (*cons).Fetch(1, jetstream.FetchContext(fctx))
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil
		}
		*cons = nil
		return nil, err
	}
	var msg jetstream.Msg
	for m := range batch.Messages() {
		msg = m
	}
	err = batch.Error()
	if msg != nil || err == nil || fctx.Err() != nil ||
		errors.Is(err, jetstream.ErrNoMessages) || errors.Is(err, nats.ErrTimeout) {
		return msg, nil
	}
	*cons = nil
	return nil, err
}

// onCancel handles a message on wire.CancelSubject(token).
func (w *Worker) onCancel(m *nats.Msg) {
	token, err := w.ns.TokenFromCancelSubject(m.Subject)
	if err != nil {
		w.log.Warn("ignoring cancel with a malformed subject", "subject", m.Subject)
		return
	}
	var c wire.Cancel
	if len(m.Data) > 0 {
		if err := json.Unmarshal(m.Data, &c); err != nil {
			w.log.Warn("ignoring malformed cancel body", "err", err)
			return
		}
	}
	cause := ErrTaskCanceled
	if c.Reason != "" {
		cause = fmt.Errorf("%w: %s", ErrTaskCanceled, c.Reason)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for t := range w.running[token] {
		if c.Attempt == 0 || c.Attempt == t.wire.Attempt {
			t.cancel(cause)
		}
	}
}

// cancelAll cancels every running handler with cause.
func (w *Worker) cancelAll(cause error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, set := range w.running {
		for t := range set {
			t.cancel(cause)
		}
	}
}

// claim tracks t as running, unless this worker already finished its
// (token, attempt), which returns the result it sent, or is running it
// now, which returns busy.
func (w *Worker) claim(t *task) (done *wire.Result, busy bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if r, ok := w.results.get(cacheKey(t.wire.Token, t.wire.Attempt)); ok {
		return &r, false
	}
	for other := range w.running[t.wire.Token] {
		if other.wire.Attempt == t.wire.Attempt {
			return nil, true
		}
	}
	set := w.running[t.wire.Token]
	if set == nil {
		set = make(map[*task]struct{})
		w.running[t.wire.Token] = set
	}
	set[t] = struct{}{}
	return nil, false
}

// remember keeps the final result r for a task that may come again.
func (w *Worker) remember(r *wire.Result) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.results.put(cacheKey(r.Token, r.Attempt), *r)
}

// engineCheckInterval is how often a worker whose namespace has no engine
// looks again (and logs again).
const engineCheckInterval = 30 * time.Second

// watchEngine logs an error, every engineCheckInterval, while no engine
// has connected to the worker's namespace (see wire.Namespace.HasEngine),
// naming the namespaces that have one: a worker given the wrong namespace
// would otherwise wait for tasks that never come.
func (w *Worker) watchEngine(ctx context.Context) {
	defer w.pollers.Done()
	warned := false
	for {
		cctx, cancel := context.WithTimeout(ctx, w.cfg.PublishTimeout)
		ok, err := w.ns.HasEngine(cctx, w.js)
		if err == nil && !ok {
			found, _ := wire.EngineNamespaces(cctx, w.js)
			w.log.Error("no Stepwise engine uses this worker's namespace on this NATS (yet): set Config.Namespace or STEPWISE_NAMESPACE to the namespace the engine prints at start",
				"engine_namespaces", found)
			warned = true
		}
		cancel()
		if ok {
			if warned {
				w.log.Info("an engine uses this worker's namespace now")
			}
			return
		}
		select {
		case <-time.After(engineCheckInterval):
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		}
	}
}

func (w *Worker) untrack(t *task) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.running[t.wire.Token], t)
	if len(w.running[t.wire.Token]) == 0 {
		delete(w.running, t.wire.Token)
	}
}

// backoff is a capped exponential backoff for retries.
type backoff struct{ d time.Duration }

func newBackoff() *backoff { return &backoff{} }

func (b *backoff) reset() { b.d = 0 }

func (b *backoff) next() time.Duration {
	switch {
	case b.d == 0:
		b.d = 50 * time.Millisecond
	case b.d < 5*time.Second:
		b.d *= 2
	}
	return b.d
}
