// Package approval is the callback example: approval.asl.json asks for an
// approval with lambda:invoke.waitForTaskToken and waits until an external
// approver answers with the task token.
//
// The pieces:
//   - the request-approval worker (Register; ./approval-worker runs it) files each
//     request with its task token in a NATS key-value bucket (the inbox,
//     OpenInbox) and returns at once: the state stays open;
//   - the approver (Approver; ./approver runs it) is an external system:
//     it watches the inbox, decides, and answers over Stepwise's REST API
//     (POST /v1/tasks:success with the token), then removes the request.
//
// The Choice state then routes on the approver's answer.
package approval

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stepwise-dev/stepwise/workers"
)

// Definition is the state machine (approval.asl.json).
//
//go:embed approval.asl.json
var Definition string

// InboxBucket is the NATS key-value bucket pending requests are filed in,
// keyed by task token.
const InboxBucket = "stepwise-example-approvals"

// Request is the execution input.
type Request struct {
	RequestID string  `json:"requestId"`
	Requester string  `json:"requester"`
	Amount    float64 `json:"amount"`
	Reason    string  `json:"reason"`
}

// Pending is what request-approval receives (the state's Payload) and
// files in the inbox.
type Pending struct {
	Request   Request `json:"request"`
	TaskToken string  `json:"taskToken"`
}

// Decision is the approver's answer: the task's output, which the state
// puts at $.approval.
type Decision struct {
	Approved bool   `json:"approved"`
	Approver string `json:"approver"`
	Note     string `json:"note"`
}

// OpenInbox creates or opens the inbox bucket.
func OpenInbox(ctx context.Context, nc *nats.Conn) (jetstream.KeyValue, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	return js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: InboxBucket, Description: "pending approvals (examples/approval)"})
}

// Register adds request-approval to w: it files the request in inbox and
// returns; the approver completes the task later.
func Register(w *workers.Worker, inbox jetstream.KeyValue) {
	workers.HandleFunc(w, "request-approval", func(ctx context.Context, p Pending) (map[string]string, error) {
		if p.TaskToken == "" {
			return nil, workers.Fail("NoTaskToken", "request-approval needs the task token in its payload")
		}
		b, _ := json.Marshal(p)
		if _, err := inbox.Put(ctx, p.TaskToken, b); err != nil {
			return nil, fmt.Errorf("file the request: %w", err) // a plain error: ASL Retry may retry it
		}
		return map[string]string{"status": "filed"}, nil
	})
}

// Approver answers pending requests by a policy: amounts up to Limit are
// approved, larger ones rejected.
type Approver struct {
	// API is Stepwise's HTTP address, e.g. "http://localhost:8080".
	API string
	// Limit is the largest amount approved.
	Limit float64
	// Name signs the decisions. Defaults to "policy-approver".
	Name string
	// Client defaults to http.DefaultClient.
	Client *http.Client
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Decide applies the policy to one request.
func (a *Approver) Decide(r Request) Decision {
	name := a.Name
	if name == "" {
		name = "policy-approver"
	}
	if r.Amount <= a.Limit {
		return Decision{Approved: true, Approver: name, Note: fmt.Sprintf("%.2f is within the limit of %.2f", r.Amount, a.Limit)}
	}
	return Decision{Approved: false, Approver: name, Note: fmt.Sprintf("%.2f exceeds the limit of %.2f", r.Amount, a.Limit)}
}

// Run watches the inbox and answers every request, old and new, until ctx
// ends. A request is removed once Stepwise took the answer (or the task
// was no longer open); one that failed to send stays for the next run.
func (a *Approver) Run(ctx context.Context, inbox jetstream.KeyValue) error {
	log := a.Logger
	if log == nil {
		log = slog.Default()
	}
	w, err := inbox.WatchAll(ctx)
	if err != nil {
		return err
	}
	defer w.Stop() //nolint:errcheck
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return nil
			}
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue // the end of the initial values, or a removal
			}
			var p Pending
			if err := json.Unmarshal(e.Value(), &p); err != nil {
				log.Error("bad request in the inbox", "key", e.Key(), "error", err)
				_ = inbox.Delete(ctx, e.Key())
				continue
			}
			d := a.Decide(p.Request)
			if err := a.answer(ctx, p.TaskToken, d); err != nil {
				log.Error("answering a request failed", "request_id", p.Request.RequestID, "error", err)
				continue
			}
			log.Info("answered", "request_id", p.Request.RequestID, "approved", d.Approved)
			_ = inbox.Delete(ctx, e.Key())
		}
	}
}

// errClosed: Stepwise answered that the task is not open any more.
var errClosed = errors.New("task is not open")

// answer sends the decision with POST /v1/tasks:success.
func (a *Approver) answer(ctx context.Context, token string, d Decision) error {
	out, _ := json.Marshal(d)
	body, _ := json.Marshal(map[string]string{"task_token": token, "output": string(out)})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(a.API, "/")+"/v1/tasks:success", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	c := a.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode == http.StatusBadRequest && strings.Contains(string(msg), "not open"),
		resp.StatusCode == http.StatusPreconditionFailed:
		return nil // answered, timed out or stopped meanwhile: nothing to do
	default:
		return fmt.Errorf("%w? %s: %s", errClosed, resp.Status, msg)
	}
}
