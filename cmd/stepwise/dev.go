package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/stepwise-dev/stepwise/api/cwlogs"
	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/store/memory"
	"github.com/stepwise-dev/stepwise/store/sqlite"
	"github.com/stepwise-dev/stepwise/workers"
)

// memoryDB is the --db of `stepwise dev` that keeps everything in the
// process's memory (store/memory).
const memoryDB = "memory"

// devConfig is every setting of `stepwise dev`.
type devConfig struct {
	DataDir    string
	HTTPAddr   string
	GRPCAddr   string
	NATSListen string
	DB         string // "": SQLite in DataDir; memoryDB: store/memory
	NATS       string // "": an embedded nats-server
	Namespace  string // "": see natsNamespace
	Workers    bool
	Region     string
	Account    string
	Poll       time.Duration
	Unserved   time.Duration
	LogLevel   string
	FrontDoor  frontDoorConfig
	HTTPTask   httpTaskConfig
	Objects    objectsConfig
}

// devFlags defines dev mode's flags on fs, each defaulting to its
// STEPWISE_* variable.
func devFlags(fs *flag.FlagSet) *devConfig {
	c := &devConfig{}
	fs.StringVar(&c.DataDir, "data-dir", env("STEPWISE_DATA_DIR", ".stepwise"), "directory of the SQLite database and the embedded NATS's JetStream storage (STEPWISE_DATA_DIR)")
	fs.StringVar(&c.HTTPAddr, "http", env("STEPWISE_HTTP_ADDR", "localhost:8080"), "HTTP address: REST /v1/, AWS endpoint, UI (STEPWISE_HTTP_ADDR)")
	fs.StringVar(&c.GRPCAddr, "grpc", env("STEPWISE_GRPC_ADDR", "localhost:9090"), "gRPC address (STEPWISE_GRPC_ADDR)")
	fs.StringVar(&c.NATSListen, "nats-listen", env("STEPWISE_NATS_LISTEN", "localhost:4222"), "address of the embedded NATS server, for workers in other processes (STEPWISE_NATS_LISTEN)")
	fs.StringVar(&c.DB, "db", env("STEPWISE_DEV_DB", ""), "a postgres:// URL to use PostgreSQL instead of SQLite in the data dir, or \"memory\" to keep everything in this process's memory: nothing is kept, every execution is lost on exit (STEPWISE_DEV_DB)")
	fs.StringVar(&c.NATS, "nats", env("STEPWISE_DEV_NATS_URL", ""), "a nats:// URL to use that NATS (with JetStream) instead of the embedded one (STEPWISE_DEV_NATS_URL)")
	fs.StringVar(&c.Namespace, "namespace", env("STEPWISE_NAMESPACE", ""), "namespace of this installation on NATS, given to its workers as STEPWISE_NAMESPACE; default: \"default\" on the embedded NATS, else derived from the database (STEPWISE_NAMESPACE)")
	fs.BoolVar(&c.Workers, "workers", envBool("STEPWISE_DEV_WORKERS", true), "run the example workers in this process (STEPWISE_DEV_WORKERS)")
	fs.StringVar(&c.Region, "region", env("STEPWISE_REGION", "us-east-1"), "region in ARNs (STEPWISE_REGION)")
	fs.StringVar(&c.Account, "account", env("STEPWISE_ACCOUNT", "111111111111"), "account id in ARNs (STEPWISE_ACCOUNT)")
	fs.DurationVar(&c.Poll, "poll", envDuration("STEPWISE_POLL_INTERVAL", 200*time.Millisecond), "how often due timers and lost tasks are looked for (STEPWISE_POLL_INTERVAL)")
	unservedFlag(fs, &c.Unserved, 10*time.Second)
	fs.StringVar(&c.LogLevel, "log-level", env("STEPWISE_LOG_LEVEL", "warn"), "debug, info, warn or error (STEPWISE_LOG_LEVEL)")
	frontDoorFlags(fs, &c.FrontDoor, false)
	httpTaskFlags(fs, &c.HTTPTask)
	objectsFlags(fs, &c.Objects, true)
	return c
}

// cmdDev runs `stepwise dev` until SIGINT or SIGTERM.
func cmdDev(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := devFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop) // a second signal ends the process at once
	if err := runDev(ctx, cfg, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "stepwise dev: %v\n", err)
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// runDev wires dev mode: the data dir's lock, the ports, store, NATS,
// dispatcher, engine, APIs, workers. Everything it starts stops when ctx
// ends, within shutdownBudget; the data dir keeps the executions for the
// next run (but for --db memory: they end with the process).
func runDev(ctx context.Context, cfg *devConfig, stdout, stderr io.Writer) error {
	log := newLogger(stderr, cfg.LogLevel)
	if cfg.DB != "" && cfg.DB != memoryDB && !strings.HasPrefix(cfg.DB, "postgres://") && !strings.HasPrefix(cfg.DB, "postgresql://") {
		return fmt.Errorf("--db %q: want a postgres:// URL, or %q (leave it empty for SQLite)", cfg.DB, memoryDB)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var cl closers
	defer func() { cl.close(time.Now().Add(shutdownBudget)) }()

	// Ownership first: nothing in the data dir (the SQLite file, the
	// embedded NATS's JetStream store) is opened before its lock is held.
	// A second nats-server on the same store dir removes the first one's
	// open message blocks while it recovers the streams, before it even
	// tries its port; the first one's publishes then time out.
	var lock *fileLock
	if cfg.DB == "" || cfg.NATS == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return err
		}
		var err error
		lock, err = lockFile(filepath.Join(cfg.DataDir, lockName))
		var inUse *inUseError
		switch {
		case errors.As(err, &inUse):
			return fmt.Errorf("data dir %s is in use: %w; stop that process or choose another --data-dir", cfg.DataDir, err)
		case errors.Is(err, errNoLock):
			log.Warn("the data dir is not locked: never run two stepwise dev on it at once", "data_dir", cfg.DataDir, "error", err)
		case err != nil:
			return err
		default:
			cl.add("data dir lock", lock.Close)
		}
	}

	// The ports, before anything long-running starts: a clash is reported
	// at once, with the flag that changes the port.
	httpLn, grpcLn, err := listenAPIs(cfg.HTTPAddr, cfg.GRPCAddr, &cl)
	if err != nil {
		return err
	}
	if cfg.NATS == "" {
		if err := checkFree(cfg.NATSListen, "--nats-listen"); err != nil {
			return err
		}
	}
	httpURL := "http://" + hostPort(httpLn.Addr(), cfg.HTTPAddr)
	if lock != nil {
		if err := lock.describe(httpURL); err != nil {
			return err
		}
	}

	// The store: SQLite in the data dir, Postgres, or memory.
	var st engine.Store
	storeDesc := ""
	switch {
	case cfg.DB == memoryDB:
		st, storeDesc = memory.New(), "memory (not durable: every execution is lost when this process exits)"
	case cfg.DB != "":
		pg, pool, err := openStore(ctx, cfg.DB, true)
		if err != nil {
			return err
		}
		cl.add("database pool", pool.Close)
		st, storeDesc = pg, "PostgreSQL "+redactURL(cfg.DB)
	default:
		path := filepath.Join(cfg.DataDir, "stepwise.db")
		lite, err := sqlite.Open(sqlite.Config{Path: path})
		if err != nil {
			return err
		}
		cl.add("SQLite store", func() { _ = lite.Close() })
		if err := lite.Migrate(ctx); err != nil {
			return err
		}
		st, storeDesc = lite, "SQLite "+path
	}

	// NATS: embedded (JetStream in the data dir), or external. With the
	// memory store the embedded JetStream is as short-lived as the store,
	// in a temporary directory: tasks kept from an earlier run would name
	// executions this one never had.
	natsURL, natsDesc := cfg.NATS, ""
	if natsURL == "" {
		jsDir := filepath.Join(cfg.DataDir, "nats")
		if cfg.DB == memoryDB {
			tmp, err := os.MkdirTemp("", "stepwise-dev-nats-")
			if err != nil {
				return err
			}
			cl.add("temporary JetStream store", func() { _ = os.RemoveAll(tmp) })
			jsDir = tmp
		}
		ns, err := startEmbeddedNATS(cfg.NATSListen, jsDir, log)
		if err != nil {
			return err
		}
		cl.add("embedded NATS", func() { ns.Shutdown(); ns.WaitForShutdown() })
		natsURL = ns.ClientURL()
		natsDesc = natsURL + " (embedded, JetStream in " + jsDir + ")"
	} else {
		natsDesc = redactURL(natsURL)
	}
	nc, err := nats.Connect(natsURL, nats.Name("stepwise dev"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("connect to NATS %s: %w", redactURL(natsURL), err)
	}
	cl.add("NATS connection", nc.Close)

	ns, err := natsNamespace(ctx, cfg.Namespace, cfg.NATS == "", cfg.DB, filepath.Join(cfg.DataDir, "stepwise.db"))
	if err != nil {
		return err
	}
	obs, err := newObservability(ctx, &cl)
	if err != nil {
		return err
	}
	s3h, s3Desc, err := cfg.Objects.devObjects(cfg.DataDir, httpURL)
	if err != nil {
		return err
	}
	logs := cwlogs.New(cwlogs.Config{Region: cfg.Region, Account: cfg.Account}) // express executions' logs
	ecfg, err := withHTTPTask(engine.Config{Store: st, Region: cfg.Region, Account: cfg.Account, PollInterval: cfg.Poll, Logger: log, Logs: logs}, cfg.HTTPTask)
	if err != nil {
		return err
	}
	ecfg.Services = append(ecfg.Services, cfg.Objects.services()...)
	eng, runDispatch, err := newNATSEngine(ctx, nc, ns, cfg.Unserved, ecfg, obs)
	if err != nil {
		return err
	}

	var runWorkers func(context.Context) error
	var names []string
	if cfg.Workers {
		wnc, err := nats.Connect(natsURL, nats.Name("stepwise dev workers"), nats.MaxReconnects(-1))
		if err != nil {
			return err
		}
		cl.add("workers' NATS connection", wnc.Close)
		w, err := workers.New(wnc, &workers.Config{Namespace: ns, MaxConcurrency: 32, ShutdownTimeout: workerDrain, Logger: log, TracerProvider: obs.workerTracing()})
		if err != nil {
			return err
		}
		if names, err = registerDevWorkers(ctx, w, wnc, log); err != nil {
			return err
		}
		runWorkers = func(ctx context.Context) error {
			err := w.Run(ctx)
			if errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("handlers still running after %s were cancelled, their tasks left to be delivered again: %w", workerDrain, err)
			}
			return err
		}
	}

	return serve(ctx, serveConfig{
		Log: log, Store: st, Engine: eng, Obs: obs, Dispatch: runDispatch, Workers: runWorkers, Logs: logs.Handler(),
		Region: cfg.Region, Account: cfg.Account, FrontDoor: cfg.FrontDoor,
		HTTP: httpLn, GRPC: grpcLn, Objects: s3h,
		Ready: func(_, grpcAddr net.Addr) {
			fmt.Fprintf(stdout, "stepwise dev\n")
			fmt.Fprintf(stdout, "  HTTP:    %s/  (UI; REST %s/v1/; AWS endpoint: aws stepfunctions --endpoint-url %s)\n", httpURL, httpURL, httpURL)
			fmt.Fprintf(stdout, "  gRPC:    %s\n", hostPort(grpcAddr, cfg.GRPCAddr))
			fmt.Fprintf(stdout, "  NATS:    %s\n", natsDesc)
			fmt.Fprintf(stdout, "  namespace: %s  (workers in other processes: STEPWISE_NAMESPACE=%s)\n", ns, ns)
			fmt.Fprintf(stdout, "  store:   %s\n", storeDesc)
			fmt.Fprintf(stdout, "  S3:      %s\n", s3Desc)
			if cfg.Workers {
				fmt.Fprintf(stdout, "  workers: %s\n", strings.Join(names, ", "))
			} else {
				fmt.Fprintf(stdout, "  workers: none (--workers=false)\n")
			}
			fmt.Fprintf(stdout, "ready\n")
		},
	}, &cl, stdout)
}

// newNATSEngine returns an engine whose tasks go to workers over NATS
// (dispatch/nats), and the function that applies the workers' results
// until its ctx ends, in the NATS namespace ns (see natsNamespace), failing
// tasks no worker serves after unserved (0: never).
// `stepwise dev` and `stepwise server --nats` share it.
func newNATSEngine(ctx context.Context, nc *nats.Conn, ns string, unserved time.Duration, cfg engine.Config, obs *observability) (*engine.Engine, func(context.Context) error, error) {
	d, err := natsdispatch.New(ctx, nc, obs.dispatchConfig(natsdispatch.Config{Logger: cfg.Logger, Namespace: ns, Store: cfg.Store, UnservedTimeout: unserved}))
	if err != nil {
		return nil, nil, err
	}
	cfg.Dispatcher = d
	eng, err := engine.New(obs.engineConfig(cfg))
	if err != nil {
		return nil, nil, err
	}
	return eng, func(ctx context.Context) error { return d.Run(ctx, eng) }, nil
}

// startEmbeddedNATS starts a nats-server with JetStream storing in dir,
// listening on listen (the value of --nats-listen).
func startEmbeddedNATS(listen, dir string, log *slog.Logger) (*natsserver.Server, error) {
	host, portText, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("--nats-listen %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("--nats-listen %q: bad port", listen)
	}
	if port == 0 {
		port = natsserver.RANDOM_PORT
	}
	if host == "" {
		host = "0.0.0.0"
	}
	ns, err := natsserver.NewServer(&natsserver.Options{
		ServerName: "stepwise-dev", Host: host, Port: port,
		JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	nl := &natsLog{log: log, fatal: make(chan string, 1)}
	ns.SetLogger(nl, false, false)
	ns.Start()
	// nats-server reports a port it cannot listen on only to its logger,
	// and then is never ready: watch for both.
	deadline := time.Now().Add(10 * time.Second)
	for !ns.ReadyForConnections(50 * time.Millisecond) {
		select {
		case msg := <-nl.fatal:
			ns.Shutdown()
			if strings.Contains(msg, "address already in use") {
				return nil, listenError(listen, "--nats-listen", syscall.EADDRINUSE)
			}
			return nil, fmt.Errorf("embedded NATS on %s (--nats-listen): %s", listen, msg)
		default:
		}
		if time.Now().After(deadline) {
			ns.Shutdown()
			return nil, fmt.Errorf("embedded NATS: not ready after 10s (is %s free? --nats-listen changes it)", listen)
		}
	}
	return ns, nil
}

// checkFree reports whether addr, the value of the flag named flagName,
// can be listened on now, with the flag in the error if it cannot.
func checkFree(addr, flagName string) error {
	ln, err := listen(addr, flagName)
	if err != nil {
		return err
	}
	return ln.Close()
}

// natsLog is the embedded nats-server's logger: fatal errors (such as
// a port it cannot listen on) go to fatal, errors and warnings to the
// process's log.
type natsLog struct {
	log   *slog.Logger
	fatal chan string
}

func (l *natsLog) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	select {
	case l.fatal <- msg:
	default:
	}
	l.log.Error("embedded nats", "error", msg)
}

func (l *natsLog) Errorf(format string, v ...any) {
	l.log.Warn("embedded nats", "error", fmt.Sprintf(format, v...))
}

func (l *natsLog) Warnf(format string, v ...any) {
	l.log.Info("embedded nats", "warning", fmt.Sprintf(format, v...))
}

func (l *natsLog) Noticef(format string, v ...any) {
	l.log.Debug("embedded nats", "notice", fmt.Sprintf(format, v...))
}

func (l *natsLog) Debugf(string, ...any) {}
func (l *natsLog) Tracef(string, ...any) {}

// hostPort prints a listener's address with the host the user asked for
// (so "localhost:8080" stays readable) and the real port.
func hostPort(a net.Addr, asked string) string {
	host, _, _ := net.SplitHostPort(asked)
	_, port, _ := net.SplitHostPort(a.String())
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// redactURL hides a password in a URL.
func redactURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if at := strings.LastIndex(s, "@"); at > i {
			if colon := strings.Index(s[i+3:at], ":"); colon >= 0 {
				return s[:i+3+colon] + ":xxxxx" + s[at:]
			}
		}
	}
	return s
}

func ignoreClosed(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// cmdHealthcheck runs `stepwise healthcheck [URL]`, for container
// healthchecks in images without a shell: exit 0 when URL answers 200.
func cmdHealthcheck(args []string, stderr io.Writer) int {
	u := "http://localhost:8080/healthz"
	if len(args) > 0 {
		u = args[0]
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		fmt.Fprintf(stderr, "stepwise healthcheck: %v\n", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "stepwise healthcheck: %s answered %s\n", u, resp.Status)
		return 1
	}
	return 0
}
