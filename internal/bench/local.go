package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/store/postgres"
	"github.com/stepwise-dev/stepwise/telemetry"
	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/wire"
)

// LocalConfig configures a Local stack. Zero values take the documented
// defaults.
type LocalConfig struct {
	// DB is the PostgreSQL URL. Required.
	DB string
	// Schema to run in. Defaults to a new schema stepwise_bench_<random>,
	// dropped by Close unless Keep.
	Schema string
	// Keep leaves the schema (and its executions) in place.
	Keep bool
	// MaxConns is the engine pool's size. Defaults to 32.
	MaxConns int
	// WorkerConcurrency is how many tasks the no-op worker runs at once.
	// Defaults to 256.
	WorkerConcurrency int
	// PollInterval is the engine's maintenance interval. Defaults to 1s.
	PollInterval time.Duration
	// Metrics and Tracer, when set, observe the engine as `stepwise
	// server` does (package telemetry), for measuring their cost; the
	// tracer's task context reaches the worker, whose handler spans go to
	// WorkerTracing. Default to none.
	Metrics       *telemetry.Metrics
	Tracer        *telemetry.Tracer
	WorkerTracing trace.TracerProvider
	// Logger defaults to a logger that drops everything below WARN.
	Logger *slog.Logger
	// Services are the engine's built-in services (the dmap workload's
	// item reader).
	Services []engine.Service
	// NATS is the URL of a NATS server with JetStream to dispatch through
	// instead of an embedded one, whose memory is then not this
	// process's; the run's streams (and its workers' bucket) are in a
	// namespace of their own ("bench-<random>"), deleted by Close.
	// Defaults to "" (embedded).
	NATS string
}

// Local is an engine with the NATS dispatcher, an embedded nats-server
// and the bench's no-op workers, all in this process, on Postgres. It is a
// Target.
type Local struct {
	cfg      LocalConfig
	pool     *pgxpool.Pool
	ns       *natsserver.Server
	natsDir  string
	natsNS   wire.Namespace // the run's own namespace on an external NATS (LocalConfig.NATS)
	nc, wnc  *nats.Conn
	eng      *engine.Engine
	worker   *workers.Worker
	done     *Mailbox[Outcome]
	cancel   context.CancelFunc
	stopped  chan error
	handlers *HandlerClock
	tokens   *Mailbox[string]
	dsn      string
	express  sync.Map // names of the EXPRESS machines made by CreateExpressStateMachine
}

// StartLocal migrates a schema and starts the stack. Close it.
func StartLocal(ctx context.Context, cfg LocalConfig) (l *Local, err error) {
	if cfg.DB == "" {
		return nil, errors.New("bench: no database URL")
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 32
	}
	if cfg.WorkerConcurrency <= 0 {
		cfg.WorkerConcurrency = 256
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if cfg.Schema == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		cfg.Schema = "stepwise_bench_" + hex.EncodeToString(b[:])
	}
	l = &Local{cfg: cfg, done: NewMailbox[Outcome](), handlers: &HandlerClock{}, tokens: NewMailbox[string](), stopped: make(chan error, 3)}
	defer func() {
		if err != nil {
			l.Close()
		}
	}()
	admin, err := pgx.Connect(ctx, cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("connect to the database: %w", err)
	}
	_, err = admin.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{cfg.Schema}.Sanitize())
	admin.Close(ctx)
	if err != nil {
		return nil, fmt.Errorf("create schema: %w", err)
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DB)
	if err != nil {
		return nil, err
	}
	pcfg.ConnConfig.RuntimeParams["search_path"] = cfg.Schema
	pcfg.MaxConns = int32(cfg.MaxConns)
	if l.pool, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
		return nil, err
	}
	l.dsn = pcfg.ConnString()
	st := postgres.New(l.pool)
	if err := st.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}

	natsURL, ns := cfg.NATS, wire.DefaultNamespace
	if natsURL != "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		ns = wire.Namespace("bench-" + hex.EncodeToString(b[:]))
	} else {
		if l.natsDir, err = os.MkdirTemp("", "stepwise-bench-nats-"); err != nil {
			return nil, err
		}
		l.ns, err = natsserver.NewServer(&natsserver.Options{
			Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, JetStream: true, StoreDir: l.natsDir, NoSigs: true, NoLog: true,
		})
		if err != nil {
			return nil, fmt.Errorf("embedded NATS: %w", err)
		}
		l.ns.Start()
		if !l.ns.ReadyForConnections(10 * time.Second) {
			return nil, errors.New("embedded NATS: not ready after 10s")
		}
		natsURL = l.ns.ClientURL()
	}
	if l.nc, err = nats.Connect(natsURL, nats.Name("stepwise bench engine")); err != nil {
		return nil, err
	}
	if cfg.NATS != "" {
		l.natsNS = ns // its streams are deleted by Close
	}
	dcfg := natsdispatch.Config{Logger: cfg.Logger, Store: st, Namespace: string(ns)}
	if cfg.Metrics != nil {
		dcfg.Observer = cfg.Metrics
	}
	if cfg.Tracer != nil {
		dcfg.Tracer = cfg.Tracer
	}
	d, err := natsdispatch.New(ctx, l.nc, dcfg)
	if err != nil {
		return nil, err
	}
	l.eng, err = engine.New(engine.Config{Store: telemetry.Observe(&observedStore{Store: st, done: l.done}, cfg.Metrics, cfg.Tracer),
		Dispatcher: d, PollInterval: cfg.PollInterval, Logger: cfg.Logger, Services: cfg.Services})
	if err != nil {
		return nil, err
	}
	if l.wnc, err = nats.Connect(natsURL, nats.Name("stepwise bench workers")); err != nil {
		return nil, err
	}
	if l.worker, err = NoopWorker(l.wnc, string(ns), cfg.WorkerConcurrency, cfg.Logger, l.handlers, l.tokens, cfg.WorkerTracing); err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go func() { l.stopped <- l.eng.Run(rctx) }()
	go func() { l.stopped <- d.Run(rctx, l.eng) }()
	go func() { l.stopped <- l.worker.Run(rctx) }()
	return l, nil
}

// NoopWorker returns a worker (not started) with the bench's handlers:
// "noop" returns its input; "callback" hands the token in its payload
// ({"token": ...}) to tokens under the execution's ARN and returns {}.
// Both add their time to clock.
func NoopWorker(nc *nats.Conn, namespace string, concurrency int, log *slog.Logger, clock *HandlerClock, tokens *Mailbox[string], tp trace.TracerProvider) (*workers.Worker, error) {
	w, err := workers.New(nc, &workers.Config{Namespace: namespace, MaxConcurrency: concurrency, Logger: log, ShutdownTimeout: 2 * time.Second, TracerProvider: tp})
	if err != nil {
		return nil, err
	}
	w.Register("noop", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		t0 := time.Now()
		info, _ := workers.TaskInfoFromContext(ctx)
		clock.Add(info.Execution, t0, time.Now())
		return in, nil
	})
	w.Register("callback", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		t0 := time.Now()
		var p struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(in, &p); err != nil || p.Token == "" {
			return nil, workers.Fail("Bench.NoToken", "the callback payload has no token")
		}
		info, _ := workers.TaskInfoFromContext(ctx)
		tokens.Put(info.Execution, p.Token)
		clock.Add(info.Execution, t0, time.Now())
		return json.RawMessage(`{}`), nil
	})
	return w, nil
}

// Engine returns the engine.
func (l *Local) Engine() *engine.Engine { return l.eng }

// Handlers is the clock the no-op workers add their time to.
func (l *Local) Handlers() *HandlerClock { return l.handlers }

// Tokens carries the callback worker's tokens.
func (l *Local) Tokens() *Mailbox[string] { return l.tokens }

// DSN is the connection string of the bench's schema.
func (l *Local) DSN() string { return l.dsn }

// Schema is the schema the stack runs in.
func (l *Local) Schema() string { return l.cfg.Schema }

// Close stops the stack and drops the schema unless Keep.
func (l *Local) Close() {
	if l.cancel != nil {
		l.cancel()
		for range 3 {
			<-l.stopped
		}
	}
	if l.wnc != nil {
		l.wnc.Close()
	}
	if l.nc != nil && l.natsNS != "" {
		if js, err := jetstream.New(l.nc); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = js.DeleteStream(ctx, l.natsNS.TaskStream())
			_ = js.DeleteStream(ctx, l.natsNS.ResultStream())
			_ = js.DeleteKeyValue(ctx, l.natsNS.WorkerBucket())
			cancel()
		}
	}
	if l.nc != nil {
		l.nc.Close()
	}
	if l.ns != nil {
		l.ns.Shutdown()
		l.ns.WaitForShutdown()
	}
	if l.natsDir != "" {
		os.RemoveAll(l.natsDir)
	}
	if l.pool != nil {
		l.pool.Close()
	}
	if !l.cfg.Keep && l.cfg.Schema != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, l.cfg.DB); err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{l.cfg.Schema}.Sanitize()+" CASCADE")
			c.Close(ctx)
		}
	}
}

// Storage implements Storager: history events in the schema (the ids its
// chunks cover), and the
// on-disk size of its tables with their indexes and TOAST.
func (l *Local) Storage(ctx context.Context) (events, bytes int64, err error) {
	err = l.pool.QueryRow(ctx, `SELECT (SELECT coalesce(sum(last_id - first_id + 1), 0)::bigint FROM history_chunks),
		(SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
		 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r')`).Scan(&events, &bytes)
	return events, bytes, err
}

// CreateStateMachine implements Target.
func (l *Local) CreateStateMachine(ctx context.Context, name, definition string) error {
	_, err := l.eng.CreateStateMachine(ctx, name, definition, "")
	return err
}

// CreateExpressStateMachine implements ExpressTarget.
func (l *Local) CreateExpressStateMachine(ctx context.Context, name, definition string) error {
	_, err := l.eng.CreateStateMachineWith(ctx, engine.StateMachine{Name: name, Definition: definition, Type: engine.TypeExpress})
	if err == nil {
		l.express.Store(name, true)
	}
	return err
}

// StartExecution implements Target. An EXPRESS machine's execution runs
// to its end here (StartSyncExecution).
func (l *Local) StartExecution(ctx context.Context, machine, name, input string) (Started, error) {
	_, express := l.express.Load(machine)
	x, err := l.eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: machine, Name: name, Input: input, Sync: express})
	if err != nil {
		return Started{}, err
	}
	s := Started{ARN: x.ARN, ID: x.ID}
	if x.Status != engine.StatusRunning { // an express one, or an existing, finished one
		l.done.Put(doneKey(s), Outcome{Status: x.Status, Output: x.Output, Error: x.Error, Cause: x.Cause})
	}
	return s, nil
}

// doneKey is the key of an execution's outcome in Local.done: its id, or
// its ARN for an express execution (which has no id).
func doneKey(s Started) string {
	if s.ID == 0 {
		return s.ARN
	}
	return strconv.FormatInt(s.ID, 10)
}

// Wait implements Target: the store tells when the terminal commit is made.
func (l *Local) Wait(ctx context.Context, s Started) (Outcome, error) {
	return l.done.Take(ctx, doneKey(s))
}

// SendTaskSuccess implements Target.
func (l *Local) SendTaskSuccess(ctx context.Context, token, output string) error {
	return l.eng.SendTaskSuccess(ctx, token, output)
}

// observedStore is the Postgres store, telling the bench when an
// execution's terminal mutation committed. Embedding keeps every optional
// interface of *postgres.Store (engine.TaskStore, ...).
type observedStore struct {
	*postgres.Store
	done *Mailbox[Outcome]
}

func outcomeOf(m *engine.Mutation) Outcome {
	return Outcome{Status: m.Status, Output: m.Output, Error: m.Error, Cause: m.Cause}
}

func (s *observedStore) Commit(ctx context.Context, m *engine.Mutation) error {
	err := s.Store.Commit(ctx, m)
	if err == nil && m.Terminal {
		s.done.Put(strconv.FormatInt(m.ExecutionID, 10), outcomeOf(m))
	}
	return err
}

func (s *observedStore) CommitGroup(ctx context.Context, g *engine.Group, decide func(map[int64]*engine.Execution) (*engine.GroupWrite, error)) (engine.GroupResult, error) {
	var w *engine.GroupWrite
	children := map[int64]bool{} // nobody waits for a child: its outcome would be kept forever
	res, err := s.Store.CommitGroup(ctx, g, func(xs map[int64]*engine.Execution) (*engine.GroupWrite, error) {
		for id, x := range xs {
			if x.ParentID != 0 {
				children[id] = true
			}
		}
		var err error
		w, err = decide(xs)
		return w, err
	})
	if err == nil && w != nil {
		for _, m := range w.Mutations {
			if m.Terminal && !children[m.ExecutionID] {
				s.done.Put(strconv.FormatInt(m.ExecutionID, 10), outcomeOf(m))
			}
		}
	}
	return res, err
}

func (s *observedStore) CreateExecution(ctx context.Context, e *engine.Execution, first func(id int64) (*engine.Mutation, error)) (*engine.Execution, error) {
	var last *engine.Mutation
	got, err := s.Store.CreateExecution(ctx, e, func(id int64) (*engine.Mutation, error) {
		m, err := first(id)
		last = m
		return m, err
	})
	if err == nil && last != nil && last.Terminal {
		s.done.Put(strconv.FormatInt(last.ExecutionID, 10), outcomeOf(last))
	}
	return got, err
}
