// Package natstest runs an embedded nats-server with JetStream for tests:
// a random local port, file storage in a temporary directory, and Restart
// on the same port and storage to test reconnects.
//
// It is for tests: the worker SDK's own, the engine's dispatcher's, and a
// worker program's tests of its handlers against a real JetStream. It
// imports nothing from Stepwise; it is in the workers module so that both
// modules' tests share it (a module's internal/ is closed to the other).
package natstest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Server is an embedded nats-server with JetStream. Its methods are safe
// for concurrent use.
type Server struct {
	mu   sync.Mutex
	srv  *server.Server
	opts server.Options
	url  string
}

// New starts a server with JetStream storing in dir (a new temporary
// directory when dir is ""), listening on 127.0.0.1 on a random port.
// The caller must call Shutdown. Tests use Start instead.
func New(dir string) (*Server, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "natstest-")
		if err != nil {
			return nil, fmt.Errorf("natstest: %w", err)
		}
		dir = d
	}
	s := &Server{opts: server.Options{
		Host:      "127.0.0.1",
		Port:      server.RANDOM_PORT,
		JetStream: true,
		StoreDir:  dir,
		NoLog:     true,
		NoSigs:    true,
	}}
	if err := s.start(); err != nil {
		return nil, err
	}
	// Keep the port across restarts.
	s.opts.Port = s.srv.Addr().(*net.TCPAddr).Port
	s.url = s.srv.ClientURL()
	return s, nil
}

// Start starts a server storing in t.TempDir() and shuts it down when the
// test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

func (s *Server) start() error {
	opts := s.opts
	srv, err := server.NewServer(&opts)
	if err != nil {
		return fmt.Errorf("natstest: new server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return errors.New("natstest: server not ready after 10s")
	}
	s.srv = srv
	return nil
}

// URL is the client URL, e.g. "nats://127.0.0.1:41234". It stays the same
// across Restart.
func (s *Server) URL() string { return s.url }

// StoreDir is the JetStream storage directory.
func (s *Server) StoreDir() string { return s.opts.StoreDir }

// Shutdown stops the server and waits for it to stop. It may be called more
// than once.
func (s *Server) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		s.srv = nil
	}
}

// Restart shuts the server down and starts it again on the same port and
// storage directory, so clients reconnect and find their streams,
// consumers and unacknowledged messages.
func (s *Server) Restart() error {
	s.Shutdown()
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	// The port may take a moment to be free again.
	for range 50 {
		if err = s.start(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// WipeStore shuts the server down, deletes its JetStream storage (every
// stream, consumer and message) and starts it again on the same port, as
// when a NATS server loses its disk or a cluster is rebuilt.
func (s *Server) WipeStore() error {
	s.Shutdown()
	if err := os.RemoveAll(s.opts.StoreDir); err != nil {
		return fmt.Errorf("natstest: wipe store: %w", err)
	}
	return s.Restart()
}

// Connect returns a connection to s that reconnects forever (every 50 ms)
// and is closed when the test ends.
func (s *Server) Connect(t testing.TB, opts ...nats.Option) *nats.Conn {
	t.Helper()
	opts = append([]nats.Option{
		nats.MaxReconnects(-1),
		nats.ReconnectWait(50 * time.Millisecond),
		nats.ReconnectJitter(0, 0),
	}, opts...)
	nc, err := nats.Connect(s.URL(), opts...)
	if err != nil {
		t.Fatalf("natstest: connect %s: %v", s.URL(), err)
	}
	t.Cleanup(nc.Close)
	return nc
}
