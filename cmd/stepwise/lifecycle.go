package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"syscall"
	"time"

	"google.golang.org/grpc"
)

// shutdownBudget is how long `stepwise dev` and `stepwise server` take, at
// most, from SIGINT or SIGTERM to exit: componentBudget for the
// components to stop (the example workers' handlers get workerDrain of
// it), the rest for closing NATS and the store. What is still running then
// is abandoned and logged. docs/operations.md describes it.
const (
	shutdownBudget  = 10 * time.Second
	componentBudget = 8 * time.Second
	workerDrain     = 5 * time.Second
)

// listen opens a TCP listener on addr, the value of the flag named flagName;
// a port already in use is reported with that flag, which changes it.
func listen(addr, flagName string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, listenError(addr, flagName, err)
	}
	return ln, nil
}

// listenAPIs opens the listeners of the HTTP and gRPC APIs on the --http
// and --grpc addresses, and adds them to cl.
func listenAPIs(httpAddr, grpcAddr string, cl *closers) (net.Listener, net.Listener, error) {
	httpLn, err := listen(httpAddr, "--http")
	if err != nil {
		return nil, nil, err
	}
	cl.add("http listener", func() { _ = httpLn.Close() })
	grpcLn, err := listen(grpcAddr, "--grpc")
	if err != nil {
		return nil, nil, err
	}
	cl.add("grpc listener", func() { _ = grpcLn.Close() })
	return httpLn, grpcLn, nil
}

func listenError(addr, flagName string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen on %s: address already in use; choose another port with %s", addr, flagName)
	}
	return fmt.Errorf("listen on %s (%s): %w", addr, flagName, err)
}

// group runs a process's long-running components, each in a goroutine of
// its own and in a stage (serve's stages), and stops them stage by stage
// within a bound. Only the goroutine that made it calls its methods.
type group struct {
	log     *slog.Logger
	done    chan ended
	running []running // the components not yet ended
}

type running struct{ stage, name string }

type ended struct {
	running
	err error
}

func newGroup(log *slog.Logger) *group {
	return &group{log: log, done: make(chan ended, 16)}
}

// start runs f in a goroutine as the component called name, of stage. f
// must return once the context the caller gave it ends, or once it is
// told to stop.
func (g *group) start(stage, name string, f func() error) {
	r := running{stage, name}
	g.running = append(g.running, r)
	go func() { g.done <- ended{r, f()} }()
}

func (g *group) ended(e ended) {
	if i := slices.Index(g.running, e.running); i >= 0 {
		g.running = slices.Delete(g.running, i, i+1)
	}
}

// wait blocks until ctx ends (it returns nil) or a component ends first:
// it returns that component's error, or an error saying it stopped.
func (g *group) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case e := <-g.done:
		g.ended(e)
		if e.err == nil {
			return fmt.Errorf("%s stopped unexpectedly", e.name)
		}
		return fmt.Errorf("%s: %w", e.name, e.err)
	}
}

// drain waits until every component of stage has ended or deadline
// passes, and returns the names of those still running then.
func (g *group) drain(stage string, deadline time.Time) []string {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for g.left(stage) != nil {
		select {
		case e := <-g.done:
			g.ended(e)
			if e.err != nil && !errors.Is(e.err, context.Canceled) {
				g.log.Warn("component stopped with an error", "component", e.name, "error", e.err)
			}
		case <-timer.C:
			return g.left(stage)
		}
	}
	return nil
}

// left returns the names of stage's components still running.
func (g *group) left(stage string) []string {
	var names []string
	for _, r := range g.running {
		if r.stage == stage {
			names = append(names, r.name)
		}
	}
	return names
}

// closers are what a process closes last, in the reverse of the order
// they were added: connections, the embedded NATS server, the store, the
// data dir's lock.
type closers struct {
	names []string
	fs    []func()
}

func (c *closers) add(name string, f func()) {
	c.names = append(c.names, name)
	c.fs = append(c.fs, f)
}

// close runs the closers, last added first, until deadline; it returns the
// names of those it did not see finish (a closer that hangs is left
// running: the process is about to exit).
func (c *closers) close(deadline time.Time) []string {
	done := make(chan int, len(c.fs))
	go func() {
		for i := len(c.fs) - 1; i >= 0; i-- {
			c.fs[i]()
			done <- i
		}
	}()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	left := len(c.fs)
	for left > 0 {
		select {
		case <-done:
			left--
		case <-timer.C:
			return slices.Clone(c.names[:left])
		}
	}
	return nil
}

// stopGRPC stops gs gracefully, or at once when ctx ends first (open
// streams, such as a long poll for an activity task, are cut).
func stopGRPC(ctx context.Context, gs *grpc.Server) {
	done := make(chan struct{})
	go func() {
		gs.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		gs.Stop()
		<-done
	}
}
