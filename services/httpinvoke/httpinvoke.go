// Package httpinvoke runs the HTTP task, the Task resource
// arn:aws:states:::http:invoke, inside the engine as an engine.Service,
// the way AWS Step Functions' HTTP Task behaves.
//
// The task's parameters are those of AWS: ApiEndpoint and Method
// (required), Authentication.ConnectionArn or InvocationConfig.ConnectionArn
// (required), Headers, QueryParameters, RequestBody and Transform
// (RequestBodyEncoding NONE or URL_ENCODED, RequestEncodingOptions.ArrayFormat
// INDICES, REPEAT, COMMAS or BRACKETS). Its output is
//
//	{"Headers": {"content-type": ["application/json"], ...},
//	 "ResponseBody": <the body: JSON when the response is JSON, else text>,
//	 "StatusCode": 200, "StatusText": "OK"}
//
// with the response's header names in lower case, each with the list of
// its values.
//
// The errors, as AWS documents them:
//   - States.Http.StatusCode.NNN: the API answered a status outside 2xx; the
//     cause is the status text ("Not Found"), as AWS gives it (AWS discards
//     the response body of a failed call).
//   - States.Http.Socket: the request timed out (Config.Timeout, 60 s as on
//     AWS) or could not be sent (connection refused, DNS, TLS).
//   - States.Runtime: the parameters are invalid (a missing ApiEndpoint,
//     Method or ConnectionArn, a method AWS does not allow, a forbidden
//     header, a string RequestBody with connection body parameters), or
//     the response is binary (application/octet-stream, image/*, video/*,
//     audio/* or not valid UTF-8).
//   - States.DataLimitExceeded: the response body is larger than
//     Config.MaxResponseBytes (256 KiB, AWS's payload limit).
//   - Events.ConnectionResource.ResourceNotFound: the ConnectionArn names
//     no connection of Config.Connections.
//   - Events.ConnectionResource.InvalidConnectionState: an OAuth
//     connection's token endpoint did not give a token (on AWS the
//     connection is then deauthorised).
//
// Connections are not EventBridge resources here: they are named in
// Stepwise's configuration (LoadConnections). A ConnectionArn
// arn:aws:events:<region>:<account>:connection/<name>/<id>, or just
// <name>, selects the connection of that name. As on AWS, a connection's
// headers, query parameters and body parameters are merged over the
// task's, and its credentials are added to every request: HTTP Basic, an
// API key header, or an OAuth client-credentials bearer token (cached
// until it expires). Credentials never appear in a task's output or
// error cause: where the API echoes one, it is replaced by "***".
//
// This package imports engine for the Service interface, and no store,
// API, NATS or cmd package.
package httpinvoke

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/arn"
	"github.com/stepwise-dev/stepwise/statelang"
)

// Resource is the Task resource the service runs.
const Resource = "arn:aws:states:::http:invoke"

// Error names of the HTTP task.
const (
	ErrStatusCodePrefix  = "States.Http.StatusCode."
	ErrSocket            = "States.Http.Socket"
	ErrRuntime           = "States.Runtime"
	ErrDataLimitExceeded = "States.DataLimitExceeded"
	ErrConnectionMissing = "Events.ConnectionResource.ResourceNotFound"
	ErrConnectionState   = "Events.ConnectionResource.InvalidConnectionState"
)

// Config configures a Service.
type Config struct {
	// Connections are the connections tasks may name. Their names are
	// unique.
	Connections []Connection
	// Timeout bounds one request (and one OAuth token request). Defaults
	// to 60 s, AWS's.
	Timeout time.Duration
	// MaxResponseBytes bounds the response body. Defaults to 262144
	// (256 KiB, AWS's payload limit).
	MaxResponseBytes int64
	// MaxRedirects is how many redirects a request follows; the response
	// after the last is the task's answer (a 3xx fails it). Defaults to
	// 10; negative: none are followed.
	MaxRedirects int
	// Region is the region in the User-Agent header
	// (Amazon|StepFunctions|HttpInvoke|<region>). Defaults to us-east-1.
	Region string
	// Transport sends the requests. Defaults to a clone of
	// http.DefaultTransport.
	Transport http.RoundTripper
	// Now is the clock OAuth tokens expire by. Defaults to time.Now.
	Now func() time.Time
}

func (c *Config) applyDefaults() {
	if c.Timeout <= 0 {
		c.Timeout = 60 * time.Second
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = 256 << 10
	}
	if c.MaxRedirects == 0 {
		c.MaxRedirects = 10
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Transport == nil {
		c.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Service runs HTTP tasks. It is safe for concurrent use.
type Service struct {
	cfg    Config
	conns  map[string]*Connection
	client *http.Client

	mu     sync.Mutex
	tokens map[string]*tokenCache // by connection name
}

var _ engine.Service = (*Service)(nil)

// New returns a Service; it fails on invalid connections.
func New(cfg Config) (*Service, error) {
	cfg.applyDefaults()
	s := &Service{cfg: cfg, conns: map[string]*Connection{}, tokens: map[string]*tokenCache{}}
	var problems []string
	for i := range cfg.Connections {
		c := &cfg.Connections[i]
		if err := c.validate(); err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if s.conns[c.Name] != nil {
			problems = append(problems, fmt.Sprintf("connection %q: defined twice", c.Name))
			continue
		}
		s.conns[c.Name] = c
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	s.client = &http.Client{Transport: cfg.Transport, CheckRedirect: s.checkRedirect}
	return s, nil
}

// Serves reports whether resource is the HTTP task's.
func (s *Service) Serves(resource statelang.Resource) bool { return resource.ARN == Resource }

// Invoke calls the API t.Input describes and returns the task's output, or
// a *engine.TaskFailure.
func (s *Service) Invoke(ctx context.Context, t engine.Task) (string, error) {
	p, err := parseParams(t.Input)
	if err != nil {
		return "", err
	}
	conn := s.conns[connectionName(p.connectionARN)]
	if conn == nil {
		return "", &engine.TaskFailure{Name: ErrConnectionMissing, Cause: fmt.Sprintf(
			"the connection %q names no connection configured in Stepwise (--http-connections)", p.connectionARN)}
	}
	red := conn.redactor()
	out, err := s.call(ctx, p, conn, &red)
	var f *engine.TaskFailure
	if errors.As(err, &f) {
		f.Cause = red.text(f.Cause)
	}
	return out, err
}

// connectionName is the name part of a connection ARN
// (arn:aws:events:<region>:<account>:connection/<name>/<id>), or arn
// itself when it is not an ARN.
func connectionName(connectionARN string) string {
	a, err := arn.Parse(connectionARN)
	if err != nil {
		return connectionARN
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(a.Resource, "connection/"), "/")
	return name
}

func runtimeFailure(format string, args ...any) error {
	return &engine.TaskFailure{Name: ErrRuntime, Cause: fmt.Sprintf(format, args...)}
}
