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

	"github.com/stepwise-dev/stepwise/api"
	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/store/sqlite"
	"github.com/stepwise-dev/stepwise/ui"
	"github.com/stepwise-dev/stepwise/workers"
)

// devConfig is every setting of `stepwise dev`.
type devConfig struct {
	DataDir    string
	HTTPAddr   string
	GRPCAddr   string
	NATSListen string
	DB         string // "": SQLite in DataDir
	NATS       string // "": an embedded nats-server
	Namespace  string // "": see natsNamespace
	Workers    bool
	Region     string
	Account    string
	Poll       time.Duration
	LogLevel   string
}

// devFlags defines dev mode's flags on fs, each defaulting to its
// STEPWISE_* variable.
func devFlags(fs *flag.FlagSet) *devConfig {
	c := &devConfig{}
	fs.StringVar(&c.DataDir, "data-dir", env("STEPWISE_DATA_DIR", ".stepwise"), "directory of the SQLite database and the embedded NATS's JetStream storage (STEPWISE_DATA_DIR)")
	fs.StringVar(&c.HTTPAddr, "http", env("STEPWISE_HTTP_ADDR", "localhost:8080"), "HTTP address: REST /v1/, AWS endpoint, UI (STEPWISE_HTTP_ADDR)")
	fs.StringVar(&c.GRPCAddr, "grpc", env("STEPWISE_GRPC_ADDR", "localhost:9090"), "gRPC address (STEPWISE_GRPC_ADDR)")
	fs.StringVar(&c.NATSListen, "nats-listen", env("STEPWISE_NATS_LISTEN", "localhost:4222"), "address of the embedded NATS server, for workers in other processes (STEPWISE_NATS_LISTEN)")
	fs.StringVar(&c.DB, "db", env("STEPWISE_DEV_DB", ""), "a postgres:// URL to use PostgreSQL instead of SQLite in the data dir (STEPWISE_DEV_DB)")
	fs.StringVar(&c.NATS, "nats", env("STEPWISE_DEV_NATS_URL", ""), "a nats:// URL to use that NATS (with JetStream) instead of the embedded one (STEPWISE_DEV_NATS_URL)")
	fs.StringVar(&c.Namespace, "namespace", env("STEPWISE_NAMESPACE", ""), "namespace of this installation on NATS, given to its workers as STEPWISE_NAMESPACE; default: \"default\" on the embedded NATS, else derived from the database (STEPWISE_NAMESPACE)")
	fs.BoolVar(&c.Workers, "workers", envBool("STEPWISE_DEV_WORKERS", true), "run the example workers in this process (STEPWISE_DEV_WORKERS)")
	fs.StringVar(&c.Region, "region", env("STEPWISE_REGION", "us-east-1"), "region in ARNs (STEPWISE_REGION)")
	fs.StringVar(&c.Account, "account", env("STEPWISE_ACCOUNT", "111111111111"), "account id in ARNs (STEPWISE_ACCOUNT)")
	fs.DurationVar(&c.Poll, "poll", envDuration("STEPWISE_POLL_INTERVAL", 200*time.Millisecond), "how often due timers and lost tasks are looked for (STEPWISE_POLL_INTERVAL)")
	fs.StringVar(&c.LogLevel, "log-level", env("STEPWISE_LOG_LEVEL", "warn"), "debug, info, warn or error (STEPWISE_LOG_LEVEL)")
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

// runDev wires dev mode: store, NATS, dispatcher, engine, APIs, workers.
// Everything it starts stops when ctx ends; the data dir keeps the
// executions for the next run.
func runDev(ctx context.Context, cfg *devConfig, stdout, stderr io.Writer) error {
	log := newLogger(stderr, cfg.LogLevel)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return err
	}
	var closers []func()
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}()

	// The store: SQLite in the data dir, or Postgres.
	var st engine.Store
	storeDesc := ""
	if cfg.DB != "" {
		if !strings.HasPrefix(cfg.DB, "postgres://") && !strings.HasPrefix(cfg.DB, "postgresql://") {
			return fmt.Errorf("--db %q: want a postgres:// URL (leave it empty for SQLite)", cfg.DB)
		}
		pg, pool, err := openStore(ctx, cfg.DB, true)
		if err != nil {
			return err
		}
		closers = append(closers, pool.Close)
		st, storeDesc = pg, "PostgreSQL "+redactURL(cfg.DB)
	} else {
		path := filepath.Join(cfg.DataDir, "stepwise.db")
		lite, err := sqlite.Open(sqlite.Config{Path: path})
		if err != nil {
			return err
		}
		closers = append(closers, func() { _ = lite.Close() })
		if err := lite.Migrate(ctx); err != nil {
			return err
		}
		st, storeDesc = lite, "SQLite "+path
	}

	// NATS: embedded (JetStream in the data dir), or external.
	natsURL, natsDesc := cfg.NATS, ""
	if natsURL == "" {
		ns, err := startEmbeddedNATS(cfg.NATSListen, filepath.Join(cfg.DataDir, "nats"))
		if err != nil {
			return err
		}
		closers = append(closers, func() { ns.Shutdown(); ns.WaitForShutdown() })
		natsURL = ns.ClientURL()
		natsDesc = natsURL + " (embedded, JetStream in " + filepath.Join(cfg.DataDir, "nats") + ")"
	} else {
		natsDesc = redactURL(natsURL)
	}
	nc, err := nats.Connect(natsURL, nats.Name("stepwise dev"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("connect to NATS %s: %w", redactURL(natsURL), err)
	}
	closers = append(closers, nc.Close)

	ns, err := natsNamespace(ctx, cfg.Namespace, cfg.NATS == "", cfg.DB, filepath.Join(cfg.DataDir, "stepwise.db"))
	if err != nil {
		return err
	}
	eng, runDispatch, err := newNATSEngine(ctx, nc, ns, engine.Config{Store: st, Region: cfg.Region, Account: cfg.Account, PollInterval: cfg.Poll, Logger: log})
	if err != nil {
		return err
	}

	srv, err := api.New(api.Config{Engine: eng, Region: cfg.Region, Account: cfg.Account, Logger: log, UI: ui.Handler()})
	if err != nil {
		return err
	}
	handler, err := srv.HTTPHandler(ctx)
	if err != nil {
		return err
	}
	httpLn, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return err
	}
	grpcLn, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		httpLn.Close()
		return err
	}
	hs := api.NewHTTPServer(handler)
	gs := srv.GRPCServer()

	// Every goroutine below ends when ctx ends; done counts them.
	errc := make(chan error, 8)
	running := 0
	goRun := func(f func() error) {
		running++
		go func() { errc <- f() }()
	}
	goRun(func() error { return ignoreClosed(hs.Serve(httpLn)) })
	goRun(func() error { return gs.Serve(grpcLn) })
	goRun(func() error { return eng.Run(ctx) })
	goRun(func() error { return runDispatch(ctx) })

	var names []string
	if cfg.Workers {
		wnc, err := nats.Connect(natsURL, nats.Name("stepwise dev workers"), nats.MaxReconnects(-1))
		if err != nil {
			return err
		}
		closers = append(closers, wnc.Close)
		w, err := workers.New(wnc, &workers.Config{Namespace: ns, MaxConcurrency: 32, Logger: log})
		if err != nil {
			return err
		}
		if names, err = registerDevWorkers(ctx, w, wnc, log); err != nil {
			return err
		}
		goRun(func() error { return w.Run(ctx) })
	}

	httpURL := "http://" + hostPort(httpLn.Addr(), cfg.HTTPAddr)
	fmt.Fprintf(stdout, "stepwise dev\n")
	fmt.Fprintf(stdout, "  HTTP:    %s/  (UI; REST %s/v1/; AWS endpoint: aws stepfunctions --endpoint-url %s)\n", httpURL, httpURL, httpURL)
	fmt.Fprintf(stdout, "  gRPC:    %s\n", hostPort(grpcLn.Addr(), cfg.GRPCAddr))
	fmt.Fprintf(stdout, "  NATS:    %s\n", natsDesc)
	fmt.Fprintf(stdout, "  namespace: %s  (workers in other processes: STEPWISE_NAMESPACE=%s)\n", ns, ns)
	fmt.Fprintf(stdout, "  store:   %s\n", storeDesc)
	if cfg.Workers {
		fmt.Fprintf(stdout, "  workers: %s\n", strings.Join(names, ", "))
	} else {
		fmt.Fprintf(stdout, "  workers: none (--workers=false)\n")
	}
	fmt.Fprintf(stdout, "ready\n")

	select {
	case <-ctx.Done():
	case err = <-errc:
		running--
		if err == nil {
			err = errors.New("a component stopped unexpectedly")
		}
	}
	cancel()
	shutdown, cancelShutdown := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelShutdown()
	_ = hs.Shutdown(shutdown)
	gs.GracefulStop()
	for ; running > 0; running-- {
		<-errc
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// newNATSEngine returns an engine whose tasks go to workers over NATS
// (dispatch/nats), and the function that applies the workers' results
// until its ctx ends, in the NATS namespace ns (see natsNamespace).
// `stepwise dev` and `stepwise server --nats` share it.
func newNATSEngine(ctx context.Context, nc *nats.Conn, ns string, cfg engine.Config) (*engine.Engine, func(context.Context) error, error) {
	d, err := natsdispatch.New(ctx, nc, natsdispatch.Config{Logger: cfg.Logger, Namespace: ns, Store: cfg.Store})
	if err != nil {
		return nil, nil, err
	}
	cfg.Dispatcher = d
	eng, err := engine.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return eng, func(ctx context.Context) error { return d.Run(ctx, eng) }, nil
}

// startEmbeddedNATS starts a nats-server with JetStream storing in dir.
func startEmbeddedNATS(listen, dir string) (*natsserver.Server, error) {
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
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("embedded NATS: not ready after 10s (is %s free?)", listen)
	}
	return ns, nil
}

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
