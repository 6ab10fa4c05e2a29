package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/stepwise-dev/stepwise/api/awsjson"
	"github.com/stepwise-dev/stepwise/api/limits"
	"github.com/stepwise-dev/stepwise/engine"
)

// The HTTP front door: the checks every API request passes before its body
// is read (bearer token, cross-site refusal, content type, size), and the
// http.Server settings that bound how long a connection may hold the
// process. A request refused here is answered at once and its connection
// closed without draining the body, so a client trickling a body it has no
// right to send costs nothing but the refusal.

// DefaultMaxBodyBytes is the default bound on an HTTP request body: a 1 MB
// definition (AWS's limit) JSON-escaped inside a request, or a 256 KiB
// payload escaped byte by byte, fits with room to spare.
const DefaultMaxBodyBytes = 4 << 20

// Timeouts of the HTTP server NewHTTPServer returns.
const (
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout = 10 * time.Second
	// ReadTimeout bounds reading a whole request, body included: a body of
	// DefaultMaxBodyBytes arrives in it at about 70 KB/s.
	ReadTimeout = time.Minute
	// WriteTimeout bounds a request from the end of its headers to the end
	// of its response; it exceeds the longest wait: StartSyncExecution
	// (an express execution's 5 minutes) and GetActivityTask (60 s).
	WriteTimeout = engine.ExpressMaxDuration + time.Minute
	// IdleTimeout bounds how long a keep-alive connection waits for its
	// next request.
	IdleTimeout = 2 * time.Minute
)

// NewHTTPServer returns the http.Server for an HTTP port of Stepwise (both
// `stepwise server` and `stepwise dev` use it): h with the timeouts above
// and headers of at most 64 KiB.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
}

// refusal is a request the front door answers itself, in the shape of the
// API it was addressed to.
type refusal struct {
	status  int
	code    codes.Code // in the REST gateway's {"code", "message"} shape
	awsType string     // the AWS endpoint's __type
	msg     string
}

// frontAPI is one HTTP API behind the front door.
type frontAPI struct {
	aws          bool     // answer refusals as AWS errors
	contentTypes []string // media types a request with a body must declare
}

var (
	restAPI = frontAPI{contentTypes: []string{"application/json"}}
	awsAPI  = frontAPI{aws: true, contentTypes: []string{"application/x-amz-json-1.0", "application/x-amz-json-1.1"}}
)

// front wraps an API handler with the front door's checks, in order: the
// bearer token, cross-site browser requests (Sec-Fetch-Site, else Origin
// against Host, for every method but GET, HEAD and OPTIONS), the content
// type of POST, PUT and PATCH (a JSON type, which an HTML form or a
// cross-site fetch without a CORS preflight cannot send), and the body
// size, then, for the REST gateway, AWS's field limits (package limits).
// Clients that send no Origin (curl, the aws CLI, SDKs) pass the
// cross-site check.
func (s *Server) front(a frontAPI, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.tokenOK(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="stepwise"`)
			a.refuse(w, refusal{http.StatusUnauthorized, codes.Unauthenticated, "UnrecognizedClientException",
				"a valid bearer token is required (Authorization: Bearer <token>)"})
			return
		}
		if err := s.crossOrigin.Check(r); err != nil {
			a.refuse(w, refusal{http.StatusForbidden, codes.PermissionDenied, "AccessDeniedException",
				"cross-site request refused: " + err.Error()})
			return
		}
		if hasBody(r.Method) && !a.contentTypeOK(r.Header.Get("Content-Type")) {
			a.refuse(w, refusal{http.StatusUnsupportedMediaType, codes.InvalidArgument, "UnsupportedMediaTypeException",
				"Content-Type must be " + a.contentTypes[0] + " (curl: -H 'Content-Type: " + a.contentTypes[0] + "')"})
			return
		}
		limit := s.cfg.MaxBodyBytes
		tooLarge := refusal{http.StatusRequestEntityTooLarge, codes.InvalidArgument, "RequestEntityTooLargeException",
			"the request body is larger than " + strconv.FormatInt(limit, 10) + " bytes"}
		if r.ContentLength > limit {
			a.refuse(w, tooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if !a.aws {
			if p := limits.URL(r.URL.Path, r.URL.RawQuery); p != nil {
				a.refuse(w, refusal{http.StatusBadRequest, codes.InvalidArgument, p.Code, p.Message})
				return
			}
		}
		if hasBody(r.Method) {
			// The body is read here: one too large is a 413 rather than
			// a decoding error, and its fields are checked against AWS's
			// limits before the API decodes them (package limits): for
			// the AWS endpoint, NUL only (its operations check their
			// fields' lengths as AWS words them); for the REST gateway,
			// every limit.
			b, err := io.ReadAll(r.Body)
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				a.refuse(w, tooLarge)
				return
			}
			if err != nil {
				return // the client went away
			}
			check := limits.JSON
			if a.aws {
				check = limits.Body
			}
			if p := check(b); p != nil {
				a.refuse(w, refusal{http.StatusBadRequest, codes.InvalidArgument, p.Code, p.Message})
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		h.ServeHTTP(w, r)
	})
}

func hasBody(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
}

func (a frontAPI) contentTypeOK(header string) bool {
	mt, _, err := mime.ParseMediaType(header)
	if err != nil {
		return false
	}
	for _, t := range a.contentTypes {
		if mt == t {
			return true
		}
	}
	return false
}

// refuse answers a refused request and closes its connection without
// reading what remains of its body.
func (a frontAPI) refuse(w http.ResponseWriter, e refusal) {
	w.Header().Set("Connection", "close") // the server does not drain the body before replying
	if a.aws {
		awsjson.WriteError(w, &awsjson.APIError{Code: e.awsType, Message: e.msg, Status: e.status})
	} else {
		b, _ := json.Marshal(map[string]any{"code": int(e.code), "message": e.msg, "details": []any{}})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(e.status)
		_, _ = w.Write(b)
	}
	// Nor after it: the server's last read of the body fails at once.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
}

// DefaultMaxConnections is the default bound on the connections one port
// holds open at once.
const DefaultMaxConnections = 1024

// TooManyConnections is what an HTTP port answers on a connection beyond
// its bound, before closing it.
var TooManyConnections = []byte("HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 38\r\n\r\ntoo many connections; try again later\n")

// LimitListener returns ln holding at most max connections open at once
// (max <= 0: no bound). A connection beyond the bound is answered reject
// (nil: nothing; TooManyConnections on an HTTP port) and closed within a
// second (at once beyond 64 such refusals in flight), so that a client
// opening connections without end costs a file descriptor for an instant
// rather than until a timeout, and cannot exhaust the process's
// descriptors (which the database pool and NATS need too).
func LimitListener(ln net.Listener, max int, reject []byte) net.Listener {
	if max <= 0 {
		return ln
	}
	return &limitListener{Listener: ln, max: int64(max), reject: reject}
}

type limitListener struct {
	net.Listener
	max       int64
	open      atomic.Int64
	rejecting atomic.Int64
	reject    []byte
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			return &limitedConn{Conn: c, l: l}, nil
		}
		l.open.Add(-1)
		if l.reject == nil || l.rejecting.Add(1) > maxRejecting {
			if l.reject != nil {
				l.rejecting.Add(-1)
			}
			_ = c.Close()
			continue
		}
		go l.refuse(c)
	}
}

// maxRejecting bounds the connections being refused at once with an
// answer; beyond it they are closed without one.
const maxRejecting = 64

// refuse answers a connection beyond the bound and closes it, reading
// what the client sent meanwhile (at most 64 KiB, for at most a second) so
// that the close does not reset the connection before the client has read
// the answer.
func (l *limitListener) refuse(c net.Conn) {
	defer l.rejecting.Add(-1)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write(l.reject); err != nil {
		return
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
}

type limitedConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}
