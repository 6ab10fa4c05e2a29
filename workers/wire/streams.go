package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TaskStreamConfig is the configuration of TaskStream: work-queue retention
// (a message is removed when a worker acks it), file storage, subjects
// "stepwise.<ns>.tasks.>", and a DuplicateWindow for Nats-Msg-Id.
func (ns Namespace) TaskStreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        ns.TaskStream(),
		Description: "Stepwise tasks awaiting a worker (work queue), namespace " + string(ns),
		Subjects:    []string{"stepwise." + string(ns) + ".tasks.>"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardOld,
		Duplicates:  DuplicateWindow,
		Replicas:    1,
	}
}

// ResultStreamConfig is the configuration of ResultStream: work-queue
// retention (a message is removed when the engine acks it, after it has
// committed the result), file storage, the one subject ResultSubject, and
// a DuplicateWindow for Nats-Msg-Id.
func (ns Namespace) ResultStreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        ns.ResultStream(),
		Description: "Stepwise task results, failures and heartbeats for the engine (work queue), namespace " + string(ns),
		Subjects:    []string{ns.ResultSubject()},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardOld,
		Duplicates:  DuplicateWindow,
		Replicas:    1,
	}
}

// TaskConsumerConfig is the durable pull consumer all workers serving name
// share: explicit ack, filter TaskSubject(name), AckWait ackWait
// (DefaultAckWait when 0), at most TaskMaxDeliver deliveries, no limit on
// unacknowledged messages (each worker limits its own concurrency). Every
// worker serving one name must use the same ackWait, or they rewrite the
// consumer back and forth.
func (ns Namespace) TaskConsumerConfig(name string, ackWait time.Duration) jetstream.ConsumerConfig {
	if ackWait <= 0 {
		ackWait = DefaultAckWait
	}
	return jetstream.ConsumerConfig{
		Durable:       TaskConsumerName(name),
		Description:   "Stepwise workers for " + name,
		FilterSubject: ns.TaskSubject(name),
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxDeliver:    TaskMaxDeliver,
		MaxAckPending: -1,
	}
}

// ResultConsumerConfig is the durable pull consumer ResultConsumer that the
// engine replicas share on ResultStream: explicit ack (after the result is
// committed), AckWait 30 s, unlimited deliveries (a result is never
// poison: a malformed one is acked and dropped by the engine).
func (ns Namespace) ResultConsumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       ResultConsumer,
		Description:   "Stepwise engine applying task results",
		FilterSubject: ns.ResultSubject(),
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: -1,
	}
}

// EnsureStreams creates TaskStream and ResultStream, or updates them to
// TaskStreamConfig and ResultStreamConfig when they differ. The engine and
// the workers both call it at start, so either may start first.
func (ns Namespace) EnsureStreams(ctx context.Context, js jetstream.JetStream) error {
	if err := ns.Validate(); err != nil {
		return err
	}
	for _, cfg := range []jetstream.StreamConfig{ns.TaskStreamConfig(), ns.ResultStreamConfig()} {
		if err := ensureStream(ctx, js, cfg); err != nil {
			return fmt.Errorf("ensure stream %s: %w", cfg.Name, err)
		}
	}
	return nil
}

// ensureStream creates the stream cfg names, or updates it to cfg when a
// field cfg sets differs. An update that changes nothing is not sent:
// besides costing a round trip, nats-server applies a stream update
// without holding the lock its consumer creation reads under (a data race
// in v2.15), and every engine and worker calls this at start and after a
// reconnect while others create consumers on the same stream.
func ensureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) error {
	s, err := js.Stream(ctx, cfg.Name)
	switch {
	case err == nil:
		if streamConfigHolds(&s.CachedInfo().Config, &cfg) {
			return nil
		}
	case !errors.Is(err, jetstream.ErrStreamNotFound):
		return err
	}
	_, err = js.CreateOrUpdateStream(ctx, cfg)
	return err
}

// streamConfigHolds reports whether the stream configuration have already
// has every field want sets (the server fills in the others).
func streamConfigHolds(have, want *jetstream.StreamConfig) bool {
	return have.Description == want.Description && slices.Equal(have.Subjects, want.Subjects) &&
		have.Retention == want.Retention && have.Storage == want.Storage && have.Discard == want.Discard &&
		have.Duplicates == want.Duplicates && have.Replicas == want.Replicas
}

// EnsureTaskConsumer creates or updates the consumer TaskConsumerConfig(name,
// ackWait) and returns it.
func (ns Namespace) EnsureTaskConsumer(ctx context.Context, js jetstream.JetStream, name string, ackWait time.Duration) (jetstream.Consumer, error) {
	c, err := js.CreateOrUpdateConsumer(ctx, ns.TaskStream(), ns.TaskConsumerConfig(name, ackWait))
	if err != nil {
		return nil, fmt.Errorf("ensure task consumer for %q: %w", name, err)
	}
	return c, nil
}

// EnsureResultConsumer creates or updates the consumer ResultConsumerConfig()
// and returns it.
func (ns Namespace) EnsureResultConsumer(ctx context.Context, js jetstream.JetStream) (jetstream.Consumer, error) {
	c, err := js.CreateOrUpdateConsumer(ctx, ns.ResultStream(), ns.ResultConsumerConfig())
	if err != nil {
		return nil, fmt.Errorf("ensure result consumer: %w", err)
	}
	return c, nil
}

// PublishTask publishes t on ns.TaskSubject(t.Name) with Nats-Msg-Id
// TaskMsgID and waits for the stream's ack. The ack's Sequence identifies
// the message should the engine later want to delete it (a task stopped
// or timed out before any worker took it); Duplicate is true when the same
// (token, attempt) was already stored within DuplicateWindow.
func (ns Namespace) PublishTask(ctx context.Context, js jetstream.JetStream, t *Task) (*jetstream.PubAck, error) {
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("publish task: %w", err)
	}
	data, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("publish task: %w", err)
	}
	ack, err := js.PublishMsg(ctx, &nats.Msg{Subject: ns.TaskSubject(t.Name), Data: data, Header: t.Trace.header()},
		jetstream.WithMsgID(TaskMsgID(t.Token, t.Attempt)), jetstream.WithExpectStream(ns.TaskStream()))
	if err != nil {
		return nil, fmt.Errorf("publish task: %w", err)
	}
	return ack, nil
}

// PublishResult publishes r on ResultSubject and waits for the stream's
// ack. A success or failure carries Nats-Msg-Id ResultMsgID; a heartbeat
// carries none.
func (ns Namespace) PublishResult(ctx context.Context, js jetstream.JetStream, r *Result) (*jetstream.PubAck, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("publish result: %w", err)
	}
	data, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("publish result: %w", err)
	}
	opts := []jetstream.PublishOpt{jetstream.WithExpectStream(ns.ResultStream())}
	if r.Kind != KindHeartbeat {
		opts = append(opts, jetstream.WithMsgID(ResultMsgID(r.Token, r.Attempt)))
	}
	ack, err := js.PublishMsg(ctx, &nats.Msg{Subject: ns.ResultSubject(), Data: data, Header: r.Trace.header()}, opts...)
	if err != nil {
		return nil, fmt.Errorf("publish result: %w", err)
	}
	return ack, nil
}

// PublishCancel publishes c on ns.CancelSubject(c.Token) over core NATS (at
// most once: a worker that is disconnected misses it, and the engine
// ignores the late result of a task it has stopped).
func (ns Namespace) PublishCancel(nc *nats.Conn, c *Cancel) error {
	if c.Token == "" {
		return fmt.Errorf("publish cancel: no token")
	}
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("publish cancel: %w", err)
	}
	if err := nc.Publish(ns.CancelSubject(c.Token), data); err != nil {
		return fmt.Errorf("publish cancel: %w", err)
	}
	return nil
}
