package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// WorkerTTL is how long a worker's announcement lives in WorkerBucket
// unless the worker writes it again; workers write it every
// WorkerTTL/3.
const WorkerTTL = 30 * time.Second

// Announcement is what a worker writes under WorkerKey(id) in
// WorkerBucket while it runs: the names it serves. An engine takes a name
// listed by a live announcement as served even while the worker is too
// busy to pull (see package documentation, "Workers announce").
type Announcement struct {
	// ID is the worker's Config.ID.
	ID string `json:"id"`
	// Names are the registered names, as given to Register (not encoded).
	Names []string `json:"names"`
	// Started is when the worker started.
	Started time.Time `json:"started"`
}

// WorkerBucket is the JetStream key-value bucket of the installation's
// worker announcements: "stepwise_workers_<ns>".
func (ns Namespace) WorkerBucket() string { return "stepwise_workers_" + string(ns) }

// WorkerBucketConfig is the configuration of WorkerBucket: one value per
// key, each living WorkerTTL after it was written, file storage.
func (ns Namespace) WorkerBucketConfig() jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      ns.WorkerBucket(),
		Description: "Stepwise workers and the names they serve, namespace " + string(ns),
		History:     1,
		TTL:         WorkerTTL,
		Storage:     jetstream.FileStorage,
		Replicas:    1,
	}
}

// EnsureWorkerBucket creates WorkerBucket, or updates it to
// WorkerBucketConfig when it differs, and returns it. Workers and engines
// both call it (an update that changes nothing is not sent: see
// ensureStream).
func (ns Namespace) EnsureWorkerBucket(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	if err := ns.Validate(); err != nil {
		return nil, err
	}
	cfg := ns.WorkerBucketConfig()
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	switch {
	case err == nil:
		st, err := kv.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("ensure bucket %s: %w", cfg.Bucket, err)
		}
		if have := st.Config(); have.Description == cfg.Description && have.History == cfg.History &&
			have.TTL == cfg.TTL && have.Storage == cfg.Storage && have.Replicas == cfg.Replicas {
			return kv, nil
		}
	case !errors.Is(err, jetstream.ErrBucketNotFound):
		return nil, fmt.Errorf("ensure bucket %s: %w", cfg.Bucket, err)
	}
	kv, err = js.CreateOrUpdateKeyValue(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("ensure bucket %s: %w", ns.WorkerBucket(), err)
	}
	return kv, nil
}

// WorkerKey is the key of a worker's announcement: "w." and id with
// every byte outside [A-Za-z0-9_-] written as '_'. Callers make id unique
// per worker instance.
func WorkerKey(id string) string {
	b := []byte(id)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return "w." + string(b)
}

// Announce writes a under key in kv.
func Announce(ctx context.Context, kv jetstream.KeyValue, key string, a *Announcement) error {
	data, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("announce: %w", err)
	}
	if _, err := kv.Put(ctx, key, data); err != nil {
		return fmt.Errorf("announce: %w", err)
	}
	return nil
}

// AnnouncedNames returns every name a live announcement in kv lists: one
// written less than WorkerTTL before now. A malformed announcement is
// skipped.
func AnnouncedNames(ctx context.Context, kv jetstream.KeyValue, now time.Time) (map[string]bool, error) {
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("read workers: %w", err)
	}
	defer func() { _ = w.Stop() }()
	out := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("read workers: %w", ctx.Err())
		case e, ok := <-w.Updates():
			if !ok || e == nil { // nil: every current value was read
				return out, nil
			}
			if !strings.HasPrefix(e.Key(), "w.") || now.Sub(e.Created()) >= WorkerTTL {
				continue
			}
			var a Announcement
			if json.Unmarshal(e.Value(), &a) != nil {
				continue
			}
			for _, n := range a.Names {
				out[n] = true
			}
		}
	}
}
