package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"

	"github.com/stepwise-dev/stepwise/api/cwlogs"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/store/postgres"
)

// serverConfig is every setting of `stepwise server`, from flags with
// STEPWISE_* environment variables as their defaults.
type serverConfig struct {
	DB        string
	NATS      string
	Namespace string
	HTTPAddr  string
	GRPCAddr  string
	Migrate   bool
	Region    string
	Account   string
	AuthToken string
	Poll      time.Duration
	Unserved  time.Duration
	FrontDoor frontDoorConfig
	HTTPTask  httpTaskConfig
	Objects   objectsConfig
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envBool(name string, def bool) bool {
	if v, ok := os.LookupEnv(name); ok {
		b, err := strconv.ParseBool(v)
		if err == nil {
			return b
		}
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, ok := os.LookupEnv(name); ok {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

// unservedFlag defines --unserved-task-timeout on fs with default def.
func unservedFlag(fs *flag.FlagSet, p *time.Duration, def time.Duration) {
	fs.DurationVar(p, "unserved-task-timeout", envDuration("STEPWISE_UNSERVED_TASK_TIMEOUT", def),
		"how long a task may wait while no worker serves its name (a typo in a function name, no worker running) before it fails with Lambda.ResourceNotFoundException or States.TaskFailed; 0: it waits until its TimeoutSeconds (STEPWISE_UNSERVED_TASK_TIMEOUT)")
}

// serverFlags defines the server's flags on fs. Each flag's default comes
// from its STEPWISE_* variable, so flags win over the environment.
func serverFlags(fs *flag.FlagSet) *serverConfig {
	c := &serverConfig{}
	fs.StringVar(&c.DB, "db", env("STEPWISE_DB", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL URL (STEPWISE_DB)")
	fs.StringVar(&c.NATS, "nats", env("STEPWISE_NATS_URL", "nats://127.0.0.1:4222"), "NATS URL (JetStream enabled) tasks go to workers through; empty: no dispatch, only activities and callbacks (STEPWISE_NATS_URL)")
	fs.StringVar(&c.Namespace, "namespace", env("STEPWISE_NAMESPACE", ""), "namespace of this installation on NATS, given to its workers as STEPWISE_NAMESPACE; default: derived from the database (STEPWISE_NAMESPACE)")
	fs.StringVar(&c.HTTPAddr, "http", env("STEPWISE_HTTP_ADDR", ":8080"), "HTTP address: REST gateway, AWS endpoint, UI, /healthz, /metrics (STEPWISE_HTTP_ADDR)")
	fs.StringVar(&c.GRPCAddr, "grpc", env("STEPWISE_GRPC_ADDR", ":9090"), "gRPC address (STEPWISE_GRPC_ADDR)")
	fs.BoolVar(&c.Migrate, "migrate", envBool("STEPWISE_MIGRATE", true), "apply database migrations at start-up (STEPWISE_MIGRATE)")
	fs.StringVar(&c.Region, "region", env("STEPWISE_REGION", "us-east-1"), "region in ARNs (STEPWISE_REGION)")
	fs.StringVar(&c.Account, "account", env("STEPWISE_ACCOUNT", "111111111111"), "account id in ARNs (STEPWISE_ACCOUNT)")
	fs.StringVar(&c.AuthToken, "auth-token", env("STEPWISE_AUTH_TOKEN", ""), "bearer token the APIs require; empty: no authentication (STEPWISE_AUTH_TOKEN)")
	fs.DurationVar(&c.Poll, "poll", envDuration("STEPWISE_POLL_INTERVAL", time.Second), "how often due timers and lost tasks are looked for (STEPWISE_POLL_INTERVAL)")
	unservedFlag(fs, &c.Unserved, 60*time.Second)
	frontDoorFlags(fs, &c.FrontDoor, true)
	httpTaskFlags(fs, &c.HTTPTask)
	objectsFlags(fs, &c.Objects, false)
	return c
}

// cmdServer runs `stepwise server`: Postgres, the engine, the HTTP and
// gRPC APIs, until SIGINT or SIGTERM.
func cmdServer(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := serverFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop) // a second signal ends the process at once
	if err := runServer(ctx, cfg, stdout); err != nil {
		fmt.Fprintf(stderr, "stepwise server: %v\n", err)
		return 1
	}
	return 0
}

func openStore(ctx context.Context, dsn string, migrate bool) (*postgres.Store, *pgxpool.Pool, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to the database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("connect to the database: %w", err)
	}
	st := postgres.New(pool)
	if migrate {
		if err := st.Migrate(ctx); err != nil {
			pool.Close()
			return nil, nil, fmt.Errorf("migrate: %w", err)
		}
	}
	return st, pool, nil
}

// runServer wires `stepwise server`: the ports first (a clash is reported
// before the database is touched), then the store, NATS, the engine and
// the APIs, until ctx ends; then it stops within shutdownBudget.
func runServer(ctx context.Context, cfg *serverConfig, stdout io.Writer) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var cl closers
	defer func() { cl.close(time.Now().Add(shutdownBudget)) }()
	httpLn, grpcLn, err := listenAPIs(cfg.HTTPAddr, cfg.GRPCAddr, &cl)
	if err != nil {
		return err
	}

	st, pool, err := openStore(ctx, cfg.DB, cfg.Migrate)
	if err != nil {
		return err
	}
	cl.add("database pool", pool.Close)
	logs := cwlogs.New(cwlogs.Config{Region: cfg.Region, Account: cfg.Account}) // express executions' logs
	ecfg := engine.Config{Store: st, Region: cfg.Region, Account: cfg.Account, PollInterval: cfg.Poll, Logger: log, Logs: logs}
	if ecfg, err = withHTTPTask(ecfg, cfg.HTTPTask); err != nil {
		return err
	}
	ecfg.Services = append(ecfg.Services, cfg.Objects.services()...)
	obs, err := newObservability(ctx, &cl)
	if err != nil {
		return err
	}
	var eng *engine.Engine
	var runDispatch func(context.Context) error // nil without NATS
	if cfg.NATS != "" {
		nc, err := nats.Connect(cfg.NATS, nats.Name("stepwise server"), nats.MaxReconnects(-1))
		if err != nil {
			return fmt.Errorf("connect to NATS %s: %w", redactURL(cfg.NATS), err)
		}
		cl.add("NATS connection", nc.Close)
		ns, err := natsNamespace(ctx, cfg.Namespace, false, cfg.DB, "")
		if err != nil {
			return err
		}
		log.Info("NATS namespace (give workers STEPWISE_NAMESPACE)", "namespace", ns)
		if eng, runDispatch, err = newNATSEngine(ctx, nc, ns, cfg.Unserved, ecfg, obs); err != nil {
			return err
		}
	} else if eng, err = engine.New(obs.engineConfig(ecfg)); err != nil {
		return err
	}
	return serve(ctx, serveConfig{
		Log: log, Store: st, Engine: eng, Obs: obs, Dispatch: runDispatch, Logs: logs.Handler(),
		Region: cfg.Region, Account: cfg.Account, AuthToken: cfg.AuthToken, FrontDoor: cfg.FrontDoor,
		HTTP: httpLn, GRPC: grpcLn,
		Ready: func(httpAddr, grpcAddr net.Addr) {
			fmt.Fprintf(stdout, "stepwise server\n  HTTP (REST /v1/, AWS endpoint, UI): http://%s/\n  gRPC: %s\n", httpAddr, grpcAddr)
		},
	}, &cl, stdout)
}

// cmdMigrate runs `stepwise migrate`: applies the database migrations.
func cmdMigrate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", env("STEPWISE_DB", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL URL (STEPWISE_DB)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx := context.Background()
	_, pool, err := openStore(ctx, *dsn, true)
	if err != nil {
		fmt.Fprintf(stderr, "stepwise migrate: %v\n", err)
		return 1
	}
	pool.Close()
	fmt.Fprintln(stdout, "migrations applied")
	return 0
}
