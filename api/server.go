package api

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/stepwise-dev/stepwise/api/awsjson"
	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/api/grpcapi"
	"github.com/stepwise-dev/stepwise/api/scheduler"
	"github.com/stepwise-dev/stepwise/engine"
)

// Config configures a Server.
type Config struct {
	// Engine serves every request. Required.
	Engine *engine.Engine
	// Region and Account appear in ARNs. Default to us-east-1 and
	// 111111111111; they must match the engine's.
	Region, Account string
	// AuthToken, when set, is the bearer token every API request must carry
	// (Authorization: Bearer <token>; for gRPC the same metadata). The AWS
	// endpoint accepts it too, and otherwise accepts SigV4-signed requests
	// without checking the signature only when AuthToken is empty.
	// /healthz and /metrics stay open. The scheme is case-insensitive.
	// Defaults to none (dev mode).
	AuthToken string
	// MaxBodyBytes bounds an HTTP request body on every route; a larger
	// one is answered 413. Defaults to DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// UI, when set, serves the web UI for every GET that is not an API path.
	UI http.Handler
	// Schedules, when set, serves the EventBridge Scheduler API
	// (api/scheduler) at its paths, behind the front door.
	Schedules http.Handler
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Server is the HTTP handler and the gRPC server of one Stepwise process.
type Server struct {
	cfg      Config
	services *grpcapi.Services
	aws      http.Handler
	requests atomic.Int64
	failures atomic.Int64
	// crossOrigin refuses cross-site browser requests that change state.
	crossOrigin *http.CrossOriginProtection
}

// New returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil {
		return nil, fmt.Errorf("api: Config.Engine is required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Account == "" {
		cfg.Account = "111111111111"
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Server{
		cfg:         cfg,
		services:    grpcapi.New(cfg.Engine),
		aws:         awsjson.New(awsjson.Config{Engine: cfg.Engine, Region: cfg.Region, Account: cfg.Account, MaxBodyBytes: cfg.MaxBodyBytes, Logger: cfg.Logger}),
		crossOrigin: http.NewCrossOriginProtection(),
	}, nil
}

// GRPCServer returns a gRPC server with every service registered.
func (s *Server) GRPCServer(opts ...grpc.ServerOption) *grpc.Server {
	if s.cfg.AuthToken != "" {
		opts = append(opts, grpc.UnaryInterceptor(s.grpcAuth))
	}
	g := grpc.NewServer(opts...)
	s.services.Register(g)
	return g
}

func (s *Server) grpcAuth(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if !s.tokenOK(strings.Join(md.Get("authorization"), "")) {
		return nil, status.Error(codes.Unauthenticated, "a valid bearer token is required")
	}
	return h(ctx, req)
}

func (s *Server) tokenOK(header string) bool {
	if s.cfg.AuthToken == "" {
		return true
	}
	scheme, got, _ := strings.Cut(header, " ")
	return strings.EqualFold(scheme, "Bearer") &&
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.cfg.AuthToken)) == 1
}

// HTTPHandler returns the handler of the HTTP port: the REST gateway under
// /v1/ (timestamps as RFC 3339 text, see restJSON) with its OpenAPI
// document at OpenAPIPath, the AWS JSON 1.0 protocol at POST /, /healthz,
// /metrics and the UI (GET and HEAD). Both APIs sit behind the front door
// (see front); every response carries X-Content-Type-Options: nosniff.
func (s *Server) HTTPHandler(ctx context.Context) (http.Handler, error) {
	gw := runtime.NewServeMux(runtime.WithErrorHandler(runtime.DefaultHTTPErrorHandler),
		runtime.WithMarshalerOption(runtime.MIMEWildcard, newRESTJSON()))
	if err := s.services.RegisterGateway(ctx, gw); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", s.front(restAPI, gw))
	for _, p := range scheduler.Paths {
		if s.cfg.Schedules != nil {
			mux.Handle(p, s.front(restAPI, s.cfg.Schedules))
		}
	}
	aws := s.front(awsAPI, s.aws)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /metrics", s.metrics)
	mux.HandleFunc("GET "+OpenAPIPath, serveOpenAPI)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/":
			aws.ServeHTTP(w, r)
		case (r.Method == http.MethodGet || r.Method == http.MethodHead) && s.cfg.UI != nil:
			s.cfg.UI.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
	return s.count(mux), nil
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) count(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(rec, r)
		s.requests.Add(1)
		if rec.code >= 500 {
			s.failures.Add(1)
		}
	})
}

// metrics serves counters in the Prometheus text format.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# HELP stepwise_http_requests_total HTTP requests served.\n# TYPE stepwise_http_requests_total counter\nstepwise_http_requests_total %d\n", s.requests.Load())
	fmt.Fprintf(w, "# HELP stepwise_http_server_errors_total HTTP requests answered with a 5xx status.\n# TYPE stepwise_http_server_errors_total counter\nstepwise_http_server_errors_total %d\n", s.failures.Load())
}

var _ stepwisev1.StateMachineServiceServer = (*grpcapi.Services)(nil)
