package wire

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
)

// DirectResultQueue is the queue group in which engine replicas answer
// DirectResultSubject: each request reaches one replica.
const DirectResultQueue = "stepwise-engine"

// DirectApplied is an engine's reply to a direct result it has committed
// (or had nothing to apply: a stale, duplicate or unknown task). Any other
// reply means "not taken": the worker publishes the result on ResultStream.
const DirectApplied = "applied"

// DirectResultSubject is the core NATS subject on which engine replicas
// take a success or failure straight from a worker: "stepwise.<ns>.direct.results".
func (ns Namespace) DirectResultSubject() string { return "stepwise." + string(ns) + ".direct.results" }

// SendResultDirect sends a success or failure r to an engine replica by
// core NATS request/reply and reports whether the replica answered
// DirectApplied: the result is committed and the worker may ack its task.
// Otherwise (no engine listening, no answer before ctx ends, a refusal, a
// heartbeat) it returns false and the caller publishes r on ResultStream
// (PublishResult), which stays the way every result can take; a result sent
// both ways is applied once, as any duplicate is.
func (ns Namespace) SendResultDirect(ctx context.Context, nc *nats.Conn, r *Result) bool {
	if r.Kind == KindHeartbeat || r.Validate() != nil {
		return false
	}
	data, err := json.Marshal(r)
	if err != nil {
		return false
	}
	reply, err := nc.RequestMsgWithContext(ctx, &nats.Msg{Subject: ns.DirectResultSubject(), Data: data, Header: r.Trace.header()})
	return err == nil && string(reply.Data) == DirectApplied
}

// DirectReply is what an engine answers a direct result: DirectApplied
// when applied is true, else why not (the worker falls back to
// ResultStream either way).
func DirectReply(applied bool, why string) []byte {
	if applied {
		return []byte(DirectApplied)
	}
	return []byte(fmt.Sprintf("not applied: %s", why))
}
