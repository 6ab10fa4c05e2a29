package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/api/scheduler"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/ui"
)

// serveConfig is what serve runs, for `stepwise dev` and `stepwise server`
// alike, once each has opened its listeners, store, NATS and engine.
type serveConfig struct {
	Log *slog.Logger
	// Store keeps the schedules (scheduler.Config.Store).
	Store                      any
	Engine                     *engine.Engine
	Obs                        *observability
	Region, Account, AuthToken string
	FrontDoor                  frontDoorConfig
	HTTP, GRPC                 net.Listener
	// Dispatch applies the workers' results until its ctx ends; nil: no
	// dispatcher (server without NATS).
	Dispatch func(context.Context) error
	// Workers, when not nil, runs workers in this process until its ctx
	// ends (dev mode's example workers); they drain before the engine
	// stops.
	Workers func(context.Context) error
	// Logs is the CloudWatch Logs API on POST / (api.Config.Logs).
	Logs http.Handler
	// Objects, when not nil, is served at /s3/ on the HTTP port (dev
	// mode's embedded S3 endpoint, see mountObjects).
	Objects http.Handler
	// Ready prints the banner once every component has started, with the
	// listeners' addresses.
	Ready func(httpAddr, grpcAddr net.Addr)
}

// Stages of a serving process, each stopped after the one before it has
// ended: the APIs stop taking requests first, then the in-process workers
// drain, then the engine's loops end.
const (
	stageAPIs    = "apis"
	stageWorkers = "workers"
	stageCore    = "core"
)

// serve starts the engine, the dispatcher, the schedule loop, the workers
// and then the APIs, each in a goroutine of its own; waits until ctx ends
// or one of them stops; then stops them in the reverse order within
// componentBudget (the HTTP and gRPC servers finish the requests in
// flight; the workers their tasks), and runs cl's closers until
// shutdownBudget. It logs what it abandoned and prints how long stopping
// took.
func serve(ctx context.Context, cfg serveConfig, cl *closers, stdout io.Writer) error {
	log := cfg.Log
	// The components' contexts are not ctx's: each stage is cancelled in
	// its turn when ctx ends.
	base := context.WithoutCancel(ctx)
	coreCtx, stopCore := context.WithCancel(base)
	defer stopCore()
	workersCtx, stopWorkers := context.WithCancel(base)
	defer stopWorkers()

	sched := scheduler.New(scheduler.Config{Store: cfg.Store, Engine: cfg.Engine, Region: cfg.Region, Account: cfg.Account, Logger: log}) // EventBridge Scheduler API and loop
	srv, err := api.New(api.Config{Engine: cfg.Engine, Region: cfg.Region, Account: cfg.Account, AuthToken: cfg.AuthToken,
		PublicMetrics: cfg.FrontDoor.PublicMetrics, Logger: log, UI: ui.Handler(), Schedules: sched, Metrics: cfg.Obs.metrics, Tracer: cfg.Obs.tracer,
		Logs: cfg.Logs})
	if err != nil {
		return err
	}
	handler, err := srv.HTTPHandler(coreCtx)
	if err != nil {
		return err
	}
	handler = mountObjects(handler, cfg.Objects)
	hs, gs, httpLn, grpcLn := apiServers(srv, handler, cfg.HTTP, cfg.GRPC, cfg.FrontDoor)

	g := newGroup(log)
	g.start(stageCore, "engine", func() error { return cfg.Engine.Run(coreCtx) })
	if cfg.Dispatch != nil {
		g.start(stageCore, "dispatcher", func() error { return cfg.Dispatch(coreCtx) })
	}
	g.start(stageCore, "schedules", func() error { return sched.Run(coreCtx) })
	if cfg.Workers != nil {
		g.start(stageWorkers, "workers", func() error { return cfg.Workers(workersCtx) })
	}
	g.start(stageAPIs, "http", func() error { return ignoreClosed(hs.Serve(httpLn)) })
	g.start(stageAPIs, "grpc", func() error { return gs.Serve(grpcLn) })
	cfg.Ready(httpLn.Addr(), grpcLn.Addr())

	err = g.wait(ctx)

	began := time.Now()
	log.Info("shutting down", "budget", shutdownBudget)
	deadline := began.Add(componentBudget)
	sctx, scancel := context.WithDeadline(context.Background(), deadline)
	defer scancel()
	g.start(stageAPIs, "http requests", func() error {
		if err := hs.Shutdown(sctx); err != nil {
			_ = hs.Close()
		}
		return nil
	})
	g.start(stageAPIs, "grpc calls", func() error { stopGRPC(sctx, gs); return nil })
	running := g.drain(stageAPIs, deadline)
	stopWorkers()
	running = append(running, g.drain(stageWorkers, deadline)...)
	stopCore()
	running = append(running, g.drain(stageCore, deadline)...)
	unclosed := cl.close(began.Add(shutdownBudget))
	*cl = closers{}
	took := time.Since(began).Round(time.Millisecond)
	if len(running) > 0 || len(unclosed) > 0 {
		log.Warn("shutdown abandoned what had not stopped", "running", running, "not_closed", unclosed, "after", took)
	}
	fmt.Fprintf(stdout, "stopped in %s\n", took)
	return err
}
