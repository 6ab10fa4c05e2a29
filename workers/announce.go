package workers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stepwise-dev/stepwise/workers/wire"
)

// announceInterval is how often a worker writes its announcement again.
const announceInterval = wire.WorkerTTL / 3

// announcer writes the worker's announcement (the names it serves, see
// wire.Announcement) every announceInterval while the worker runs, and
// deletes it when the worker stops. The engine uses it to tell a name no
// worker serves from one whose workers are busy. A worker that cannot
// write it still serves its tasks: it logs once and tries again at the
// next interval. Only its run goroutine uses it after the first put.
type announcer struct {
	w       *Worker
	key     string
	a       *wire.Announcement
	kv      jetstream.KeyValue
	failing bool
}

func (w *Worker) newAnnouncer(names []string) *announcer {
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	return &announcer{
		w:   w,
		key: wire.WorkerKey(w.cfg.ID + "-" + hex.EncodeToString(suffix[:])),
		a:   &wire.Announcement{ID: w.cfg.ID, Names: names, Started: time.Now().UTC()},
	}
}

// put writes the announcement once.
func (an *announcer) put(ctx context.Context) {
	w := an.w
	pctx, cancel := context.WithTimeout(ctx, w.cfg.PublishTimeout)
	defer cancel()
	var err error
	if an.kv == nil {
		an.kv, err = w.ns.EnsureWorkerBucket(pctx, w.js)
	}
	if err == nil {
		if err = wire.Announce(pctx, an.kv, an.key, an.a); err != nil {
			an.kv = nil // the bucket may be gone: make it again next time
		}
	}
	switch {
	case err != nil && !an.failing && ctx.Err() == nil:
		w.log.Warn("announcing the worker's names failed; its tasks are served all the same, but an engine may take a name as unserved while this worker is too busy to pull it", "error", err)
		an.failing = true
	case err == nil && an.failing:
		w.log.Info("announcing the worker's names works again")
		an.failing = false
	}
}

// run puts the announcement every announceInterval until Stop or ctx
// ends, then deletes it. It is one of the worker's pollers.
func (an *announcer) run(ctx context.Context) {
	w := an.w
	defer w.pollers.Done()
	tick := time.NewTicker(announceInterval)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-tick.C:
			an.put(ctx)
		case <-w.stop:
			done = true
		case <-ctx.Done():
			done = true
		}
	}
	if an.kv != nil {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.cfg.PublishTimeout)
		_ = an.kv.Delete(dctx, an.key)
		cancel()
	}
}
