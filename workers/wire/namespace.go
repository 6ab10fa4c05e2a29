package wire

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Namespace names one Stepwise installation (one database) on a NATS
// server or account. Every stream and subject of the protocol carries it,
// so installations, test runs and replicas of different clusters share one
// NATS without seeing each other's tasks, results or cancels. A consumer
// lives in its stream, so consumer names need no namespace of their own.
//
// A namespace is 1 to MaxNamespaceLen characters from [a-z0-9_-] (lower
// case only: JetStream keeps streams in files, and some file systems
// ignore case), and is none of the words "tasks", "results" and "cancel",
// so that its subjects never overlap those of a Stepwise release from
// before namespaces ("stepwise.tasks.>", "stepwise.results").
type Namespace string

// DefaultNamespace is the namespace of `stepwise dev` on its embedded NATS
// and of an SDK worker that is given none (and no STEPWISE_NAMESPACE).
const DefaultNamespace Namespace = "default"

// MaxNamespaceLen is the longest namespace.
const MaxNamespaceLen = 32

// ParseNamespace validates s as a Namespace.
func ParseNamespace(s string) (Namespace, error) {
	ns := Namespace(s)
	if err := ns.Validate(); err != nil {
		return "", err
	}
	return ns, nil
}

// Validate reports whether ns is a valid namespace (see Namespace).
func (ns Namespace) Validate() error {
	s := string(ns)
	switch {
	case s == "":
		return errors.New("namespace is empty")
	case len(s) > MaxNamespaceLen:
		return fmt.Errorf("namespace %q is longer than %d characters", s, MaxNamespaceLen)
	case s == "tasks" || s == "results" || s == "cancel":
		return fmt.Errorf("namespace %q is reserved", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("namespace %q: byte %q is not one of [a-z0-9_-]", s, c)
		}
	}
	return nil
}

// TaskStream is the JetStream stream that holds the installation's
// dispatched tasks: "STEPWISE_TASKS_<ns>".
func (ns Namespace) TaskStream() string { return "STEPWISE_TASKS_" + string(ns) }

// ResultStream is the JetStream stream that carries the installation's
// results, failures and heartbeats to its engines: "STEPWISE_RESULTS_<ns>".
func (ns Namespace) ResultStream() string { return "STEPWISE_RESULTS_" + string(ns) }

// TaskSubject is the subject the installation's tasks for the worker name
// are published on: "stepwise.<ns>.tasks." + EncodeName(name), e.g.
// "stepwise.default.tasks.sqs:sendMessage".
func (ns Namespace) TaskSubject(name string) string {
	return "stepwise." + string(ns) + ".tasks." + EncodeName(name)
}

// ResultSubject is the one subject of ResultStream: "stepwise.<ns>.results".
func (ns Namespace) ResultSubject() string { return "stepwise." + string(ns) + ".results" }

// CancelSubject is the core NATS subject the engine publishes on to cancel
// the task running under token: "stepwise.<ns>.cancel." + EncodeName(token).
func (ns Namespace) CancelSubject(token string) string {
	return ns.cancelPrefix() + EncodeName(token)
}

// CancelSubjects is the wildcard a worker subscribes to for the cancels of
// its installation: "stepwise.<ns>.cancel.*".
func (ns Namespace) CancelSubjects() string { return ns.cancelPrefix() + "*" }

// TokenFromCancelSubject returns the task token a CancelSubject names.
func (ns Namespace) TokenFromCancelSubject(subject string) (string, error) {
	enc, ok := strings.CutPrefix(subject, ns.cancelPrefix())
	if !ok {
		return "", fmt.Errorf("subject %q is not a cancel of namespace %q", subject, ns)
	}
	return DecodeName(enc)
}

func (ns Namespace) cancelPrefix() string { return "stepwise." + string(ns) + ".cancel." }

// HasEngine reports whether an engine of the installation has connected:
// its result stream has the ResultConsumer, which only the engine creates.
func (ns Namespace) HasEngine(ctx context.Context, js jetstream.JetStream) (bool, error) {
	_, err := js.Consumer(ctx, ns.ResultStream(), ResultConsumer)
	switch {
	case err == nil:
		return true, nil
	case IsMissing(err):
		return false, nil
	}
	return false, err
}

// EngineNamespaces lists the namespaces on js whose engine has connected
// (see HasEngine), for messages that help a user pick the right one.
func EngineNamespaces(ctx context.Context, js jetstream.JetStream) ([]Namespace, error) {
	var out []Namespace
	names := js.StreamNames(ctx, jetstream.WithStreamListSubject("stepwise.*.results"))
	for name := range names.Name() {
		s, ok := strings.CutPrefix(name, "STEPWISE_RESULTS_")
		if !ok {
			continue
		}
		if ns, err := ParseNamespace(s); err == nil {
			if ok, err := ns.HasEngine(ctx, js); err == nil && ok {
				out = append(out, ns)
			}
		}
	}
	if err := names.Err(); err != nil {
		return out, err
	}
	return out, nil
}

// IsMissing reports whether err says that a stream or a consumer does not
// exist, or that no stream took a publish: what a JetStream whose store
// was lost answers. Errors are compared by JetStream error code.
func IsMissing(err error) bool {
	return errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, jetstream.ErrConsumerDoesNotExist) || errors.Is(err, jetstream.ErrConsumerDeleted) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders)
}
