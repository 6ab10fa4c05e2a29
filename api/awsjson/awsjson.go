// Package awsjson serves the AWS Step Functions API on the engine: the AWS
// JSON 1.0 protocol (POST / with Content-Type application/x-amz-json-1.0 and
// X-Amz-Target: AWSStepFunctions.<Operation>), so that
// `aws stepfunctions --endpoint-url ...` and the AWS SDKs (with BaseEndpoint
// set) work unchanged.
//
// Requests and responses have AWS's shapes; timestamps are epoch seconds
// with a fraction, as the JSON 1.0 protocol encodes them; errors are
// {"__type": "<Code>", "message": "..."} with AWS's codes, HTTP statuses (400
// for every client error) and, where AWS's wording is known, its messages.
//
// Authentication: SigV4 signatures are accepted and NOT verified; the
// Authorization header is ignored here (the api package may require a bearer
// token in front of this handler, and refuses cross-site browser requests
// and content types other than application/x-amz-json-1.0 and -1.1 there,
// answering with WriteError). Any access key and secret work.
//
// What differs from AWS:
//   - EXPRESS machines run their executions in memory (engine/express.go):
//     StartExecution and StartSyncExecution run them; their only record is
//     what they log to the machine's loggingConfiguration, which the
//     CloudWatch Logs endpoint on the same port serves (api/cwlogs).
//   - Versions and aliases are AWS's (versions.go): the engine's versions are
//     AWS's revisions, and revisionId is the revision's number, not a UUID.
//     An execution started through a version or an alias shows the
//     qualified ARN as $$.StateMachine.Id.
//   - loggingConfiguration is kept and shown, and executions of both types
//     log their history events to its log group (api/cwlogs).
//     tracingConfiguration is validated and reported off.
//   - Activities are served through the Activities interface; until one is
//     configured their operations answer UnsupportedOperation.
//   - Map Runs (mapruns.go): itemCounts are the children's counts, also
//     with an ItemBatcher (a child per batch); UpdateMapRun is a step of
//     the parent execution, so the running Map sees it when the call
//     returns.
//   - TestState (teststate.go) runs the state with statelang.TestState, in
//     memory: a Task needs a mock, and mocked results are checked against
//     the API shapes of a few integrations only. AWS clients send it (and
//     StartSyncExecution) to a "sync-" prefixed host name; the handler
//     answers any Host (docs/api.md: host prefixes).
//
// This package holds no business logic: it decodes, checks AWS's request
// constraints, calls the engine and maps its sentinel errors to AWS codes in
// one function (toAPIError). It must not import store or any database
// package.
package awsjson

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

// Config configures the handler.
type Config struct {
	// Engine serves every operation. Required.
	Engine *engine.Engine
	// Region and Account appear in ARNs; they must match the engine's.
	// Default to "us-east-1" and "111111111111".
	Region, Account string
	// Activities serves CreateActivity, DescribeActivity, DeleteActivity,
	// ListActivities and GetActivityTask. Defaults to Engine when the engine
	// implements Activities, else none: those operations then answer
	// UnsupportedOperation.
	Activities Activities
	// MaxBodyBytes bounds a request body. Defaults to 2 MiB (a 1 MB
	// definition or a 256 KiB payload, JSON-escaped, fits).
	MaxBodyBytes int64
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Account == "" {
		c.Account = "111111111111"
	}
	if c.Activities == nil && c.Engine != nil {
		if a, ok := any(c.Engine).(Activities); ok {
			c.Activities = a
		}
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 2 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

type handler struct {
	cfg Config
	eng *engine.Engine
	ops map[string]func(ctx context.Context, body []byte) (any, error)
}

// New returns the AWS JSON 1.0 handler. It serves any path; the caller
// routes POST / to it.
func New(cfg Config) http.Handler {
	cfg.setDefaults()
	h := &handler{cfg: cfg, eng: cfg.Engine}
	h.ops = map[string]func(context.Context, []byte) (any, error){
		"CreateStateMachine":               op(h.createStateMachine),
		"DescribeStateMachine":             op(h.describeStateMachine),
		"UpdateStateMachine":               op(h.updateStateMachine),
		"DeleteStateMachine":               op(h.deleteStateMachine),
		"ListStateMachines":                op(h.listStateMachines),
		"ValidateStateMachineDefinition":   op(h.validateStateMachineDefinition),
		"TestState":                        op(h.testState),
		"StartExecution":                   op(h.startExecution),
		"DescribeExecution":                op(h.describeExecution),
		"ListExecutions":                   op(h.listExecutions),
		"StopExecution":                    op(h.stopExecution),
		"RedriveExecution":                 op(h.redriveExecution),
		"GetExecutionHistory":              op(h.getExecutionHistory),
		"DescribeStateMachineForExecution": op(h.describeStateMachineForExecution),
		"SendTaskSuccess":                  op(h.sendTaskSuccess),
		"SendTaskFailure":                  op(h.sendTaskFailure),
		"SendTaskHeartbeat":                op(h.sendTaskHeartbeat),
		"CreateActivity":                   op(h.createActivity),
		"DescribeActivity":                 op(h.describeActivity),
		"DeleteActivity":                   op(h.deleteActivity),
		"ListActivities":                   op(h.listActivities),
		"GetActivityTask":                  op(h.getActivityTask),
		"TagResource":                      op(h.tagResource),
		"UntagResource":                    op(h.untagResource),
		"ListTagsForResource":              op(h.listTagsForResource),
		"PublishStateMachineVersion":       op(h.publishStateMachineVersion),
		"ListStateMachineVersions":         op(h.listStateMachineVersions),
		"DeleteStateMachineVersion":        op(h.deleteStateMachineVersion),
		"CreateStateMachineAlias":          op(h.createStateMachineAlias),
		"DescribeStateMachineAlias":        op(h.describeStateMachineAlias),
		"UpdateStateMachineAlias":          op(h.updateStateMachineAlias),
		"DeleteStateMachineAlias":          op(h.deleteStateMachineAlias),
		"ListStateMachineAliases":          op(h.listStateMachineAliases),
		"DescribeMapRun":                   op(h.describeMapRun),
		"ListMapRuns":                      op(h.listMapRuns),
		"UpdateMapRun":                     op(h.updateMapRun),
		"StartSyncExecution":               op(h.startSyncExecution),
	}
	return h
}

// op adapts a typed operation to the dispatch table: it decodes the body
// into the request type.
func op[Req any, Resp any](f func(context.Context, *Req) (*Resp, error)) func(context.Context, []byte) (any, error) {
	return func(ctx context.Context, body []byte) (any, error) {
		req := new(Req)
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, req); err != nil {
				return nil, serializationError(err)
			}
		}
		return f(ctx, req)
	}
}

func serializationError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return apiErr("SerializationException", "Unexpected value for field '"+te.Field+"': expected "+te.Type.String())
	}
	return apiErr("SerializationException", "the request body is not valid JSON: "+err.Error())
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := requestID()
	w.Header().Set("X-Amzn-Requestid", reqID)
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, "AWSStepFunctions.")
	f := h.ops[name]
	if !ok || f == nil {
		WriteError(w, &APIError{Code: "UnknownOperationException", Message: "Unknown operation " + strconv.Quote(target)})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			WriteError(w, &APIError{Code: "RequestEntityTooLargeException", Message: "the request body is larger than " + strconv.FormatInt(mb.Limit, 10) + " bytes", Status: http.StatusRequestEntityTooLarge})
			return
		}
		WriteError(w, &APIError{Code: "SerializationException", Message: "the request body could not be read: " + err.Error()})
		return
	}
	resp, err := f(r.Context(), body)
	if err != nil {
		ae := toAPIError(err)
		if ae.Status >= 500 {
			h.cfg.Logger.Error("aws api operation failed", "operation", name, "request_id", reqID, "error", err)
		}
		WriteError(w, ae)
		return
	}
	b, err := json.Marshal(resp)
	if err != nil {
		h.cfg.Logger.Error("aws api response encoding failed", "operation", name, "request_id", reqID, "error", err)
		WriteError(w, &APIError{Code: "InternalFailure", Message: "internal error", Status: http.StatusInternalServerError})
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// WriteError answers e as the AWS JSON protocol does: its status (400 when
// zero), X-Amzn-Errortype and {"__type", "message"}.
func WriteError(w http.ResponseWriter, e *APIError) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Errortype", e.Code)
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"__type": e.Code, "message": e.Message})
	_, _ = w.Write(b)
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	s := hex.EncodeToString(b[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

// epoch is a timestamp encoded as the AWS JSON protocols do: seconds since
// the Unix epoch as a JSON number with a millisecond fraction.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)), nil
}

// timePtr returns nil for the zero time, so that optional dates are omitted.
func timePtr(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}
