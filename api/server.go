package api

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/stepwise-dev/stepwise/api/awsjson"
	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/api/grpcapi"
	"github.com/stepwise-dev/stepwise/api/limits"
	"github.com/stepwise-dev/stepwise/api/scheduler"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/schedule"
	"github.com/stepwise-dev/stepwise/telemetry"
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
	// /healthz stays open; /metrics needs it too unless PublicMetrics.
	// The scheme is case-insensitive. Defaults to none (dev mode).
	AuthToken string
	// PublicMetrics serves /metrics without AuthToken (for a scraper that
	// cannot send one, on a network that is trusted). Defaults to false.
	PublicMetrics bool
	// MaxBodyBytes bounds an HTTP request body on every route; a larger
	// one is answered 413. Defaults to DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// UI, when set, serves the web UI for every GET that is not an API path.
	UI http.Handler
	// Schedules, when set, serves the EventBridge Scheduler API
	// (api/scheduler) at its paths, behind the front door; an
	// *scheduler.Handler also serves ScheduleService (gRPC, REST /v1/).
	Schedules http.Handler
	// Metrics counts the HTTP and gRPC requests and serves /metrics with
	// everything else registered in it. Defaults to a new
	// telemetry.Metrics (the requests only).
	Metrics *telemetry.Metrics
	// Tracer, when set, takes the W3C traceparent of HTTP requests and
	// gRPC metadata, and links task token callbacks that carry one to
	// their task attempt's span. Defaults to none (tracing off).
	Tracer *telemetry.Tracer
	// Logs serves the CloudWatch Logs API (AWS JSON 1.1, X-Amz-Target
	// Logs_20140328.<Operation>) on POST / beside Step Functions': where
	// express executions' logs are read (api/cwlogs). nil: none.
	Logs http.Handler
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Server is the HTTP handler and the gRPC server of one Stepwise process.
type Server struct {
	cfg      Config
	services *grpcapi.Services
	// schedules serves ScheduleService over Config.Schedules's service.
	schedules *grpcapi.Schedules
	aws       http.Handler
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
	if cfg.Metrics == nil {
		cfg.Metrics = telemetry.NewMetrics()
	}
	return &Server{
		cfg:         cfg,
		services:    grpcapi.New(cfg.Engine),
		schedules:   grpcapi.NewSchedules(scheduleService(cfg.Schedules), cfg.Region, cfg.Account),
		aws:         awsjson.New(awsjson.Config{Engine: cfg.Engine, Region: cfg.Region, Account: cfg.Account, MaxBodyBytes: cfg.MaxBodyBytes, Logger: cfg.Logger}),
		crossOrigin: http.NewCrossOriginProtection(),
	}, nil
}

// scheduleService is the schedule service of an api/scheduler handler,
// or nil.
func scheduleService(h http.Handler) *schedule.Service {
	if sh, ok := h.(*scheduler.Handler); ok {
		return sh.Service()
	}
	return nil
}

// GRPCServer returns a gRPC server with every service registered; its
// requests are counted and timed first, then authenticated (when
// AuthToken is set), then checked against AWS's field limits
// (limits.UnaryInterceptor), then go through the interceptors of opts.
func (s *Server) GRPCServer(opts ...grpc.ServerOption) *grpc.Server {
	first := []grpc.ServerOption{grpc.ChainUnaryInterceptor(s.cfg.Metrics.UnaryInterceptor),
		grpc.ChainStreamInterceptor(s.cfg.Metrics.StreamInterceptor)}
	if s.cfg.Tracer != nil {
		first = append(first, grpc.ChainUnaryInterceptor(s.grpcTrace))
	}
	if s.cfg.AuthToken != "" {
		first = append(first, grpc.ChainUnaryInterceptor(s.grpcAuth))
	}
	first = append(first, grpc.ChainUnaryInterceptor(limits.UnaryInterceptor))
	g := grpc.NewServer(append(first, opts...)...)
	s.services.Register(g)
	s.schedules.Register(g)
	return g
}

func (s *Server) grpcAuth(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if !s.tokenOK(strings.Join(md.Get("authorization"), "")) {
		return nil, status.Error(codes.Unauthenticated, "a valid bearer token is required")
	}
	return h(ctx, req)
}

// grpcTrace takes a request's traceparent metadata (see Config.Tracer).
func (s *Server) grpcTrace(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if tp := md.Get("traceparent"); len(tp) > 0 {
			ctx = s.cfg.Tracer.Incoming(ctx, tp[0], strings.Join(md.Get("tracestate"), ","))
		}
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
// /metrics (behind the token unless PublicMetrics) and the UI (GET and
// HEAD). Both APIs sit behind the front door (see front); every response
// carries X-Content-Type-Options: nosniff.
func (s *Server) HTTPHandler(ctx context.Context) (http.Handler, error) {
	// Path parameters are unescaped, and the path is split at its '/'
	// only (not at %2F): an ARN with a '/' (a Map Run's, a distributed
	// Map child's) travels as one segment with %2F in it. The gateway's
	// legacy default split the unescaped path, so such an ARN matched no
	// route. Parameters without '/' read as they did: a plain ':' or a
	// %3A both give ':'.
	//
	// Enum values may be named as AWS names them (RUNNING) in bodies and
	// queries alike (restenum.go).
	gw := runtime.NewServeMux(append([]runtime.ServeMuxOption{runtime.WithErrorHandler(runtime.DefaultHTTPErrorHandler),
		runtime.WithMarshalerOption(runtime.MIMEWildcard, newRESTJSON()),
		runtime.WithUnescapingMode(runtime.UnescapingModeAllExceptReserved)}, queryParserOption()...)...)
	if err := s.schedules.RegisterGateway(ctx, gw); err != nil {
		return nil, err
	}
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
	var logs http.Handler
	if s.cfg.Logs != nil {
		logs = s.front(awsAPI, s.cfg.Logs)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", s.protectMetrics(s.cfg.Metrics.Handler()))
	mux.HandleFunc("GET "+OpenAPIPath, serveOpenAPI)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/" && logs != nil && strings.HasPrefix(r.Header.Get("X-Amz-Target"), "Logs_20140328."):
			logs.ServeHTTP(w, r)
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

func (s *Server) count(h http.Handler) http.Handler {
	h = s.cfg.Metrics.HTTP(h, route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if s.cfg.Tracer != nil {
			if tp := r.Header.Get("traceparent"); tp != "" {
				r = r.WithContext(s.cfg.Tracer.Incoming(r.Context(), tp, r.Header.Get("tracestate")))
			}
		}
		h.ServeHTTP(w, r)
	})
}

// route names the handler of a request for the metrics' handler label.
func route(r *http.Request) string {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/v1/"):
		return "rest"
	case p == "/" && r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("X-Amz-Target"), "Logs_20140328."):
		return "logs"
	case p == "/" && r.Method == http.MethodPost:
		return "aws"
	case p == "/metrics", p == "/healthz":
		return p[1:]
	}
	for _, sp := range scheduler.Paths {
		if strings.HasPrefix(p, strings.TrimSuffix(sp, "/")) {
			return "scheduler"
		}
	}
	return "ui"
}

// protectMetrics returns h behind the token when one is configured (as
// every API route), unless PublicMetrics.
func (s *Server) protectMetrics(h http.Handler) http.Handler {
	if s.cfg.PublicMetrics || s.cfg.AuthToken == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.tokenOK(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="stepwise"`)
			restAPI.refuse(w, refusal{http.StatusUnauthorized, codes.Unauthenticated, "UnrecognizedClientException",
				"a valid bearer token is required (Authorization: Bearer <token>)"})
			return
		}
		h.ServeHTTP(w, r)
	})
}

var _ stepwisev1.StateMachineServiceServer = (*grpcapi.Services)(nil)
