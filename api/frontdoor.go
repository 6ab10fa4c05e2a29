package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/stepwise-dev/stepwise/api/awsjson"
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
	// of its response; it exceeds the longest poll (GetActivityTask, 60 s).
	WriteTimeout = engine.MaxActivityPoll + time.Minute
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
// size. Clients that send no Origin (curl, the aws CLI, SDKs) pass the
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
		if r.ContentLength < 0 && !a.aws {
			// A body of unknown length is read here, so that one too
			// large is a 413 rather than the gateway's decoding error.
			// (The AWS handler reads its body itself.)
			b, err := io.ReadAll(r.Body)
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				a.refuse(w, tooLarge)
				return
			}
			if err != nil {
				return // the client went away
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
