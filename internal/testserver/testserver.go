// Package testserver starts a real Stepwise server in-process for tests: a
// migrated Postgres store in a fresh schema (dropped after the test), an
// engine running its maintenance loop, and the api package's HTTP handler
// and gRPC server on random local ports.
//
// It skips the test when the database is unreachable, unless
// STEPWISE_REQUIRE_DB=1; the database is STEPWISE_TEST_DATABASE_URL.
// FreeAddr gives a free local port to tests that start a server process
// of their own. Only tests (and test-support packages) import it.
package testserver

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/api/scheduler"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
)

// Options configure Start. The zero value is a server without
// authentication whose tasks are not dispatched (tests answer them with
// the task callbacks).
type Options struct {
	// AuthToken is api.Config.AuthToken.
	AuthToken string
	// Dispatcher is engine.Config.Dispatcher.
	Dispatcher engine.Dispatcher
	// Schedules serves the schedule APIs (api/scheduler, and
	// ScheduleService) and runs the scheduler loop.
	Schedules bool
}

// Server is a running test server.
type Server struct {
	Engine *engine.Engine
	Pool   *pgxpool.Pool
	// HTTPURL is the HTTP port's base URL, e.g. http://127.0.0.1:41234.
	HTTPURL string
	// GRPCAddr is the gRPC port's address, e.g. 127.0.0.1:41235.
	GRPCAddr string
}

// DSN is the test database URL.
func DSN() string { return pgtest.DSN() }

// Start starts a server that stops when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	ctx := context.Background()
	st, pool := pgtest.Store(t)
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: opts.Dispatcher, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	engineDone := make(chan struct{})
	go func() { defer close(engineDone); _ = eng.Run(runCtx) }()

	acfg := api.Config{Engine: eng, AuthToken: opts.AuthToken}
	schedDone := make(chan struct{})
	if opts.Schedules {
		sched := scheduler.New(scheduler.Config{Store: st, Engine: eng, PollInterval: 50 * time.Millisecond})
		acfg.Schedules = sched
		go func() { defer close(schedDone); _ = sched.Run(runCtx) }()
	} else {
		close(schedDone)
	}
	srv, err := api.New(acfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := srv.HTTPHandler(runCtx)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := srv.GRPCServer()
	grpcDone := make(chan struct{})
	go func() { defer close(grpcDone); _ = gs.Serve(ln) }()
	t.Cleanup(func() {
		gs.Stop()
		<-grpcDone
		hs.Close()
		cancel()
		<-engineDone
		<-schedDone
	})
	return &Server{Engine: eng, Pool: pool, HTTPURL: hs.URL, GRPCAddr: ln.Addr().String()}
}

// HTTPClient is a client for the HTTP port.
var HTTPClient = &http.Client{Timeout: 30 * time.Second}

// FreeAddr returns a local TCP address ("127.0.0.1:port") free when it
// returns, for a process or server that listens on it itself (a port is
// not reserved: another listener may take it first, rarely).
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
