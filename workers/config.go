package workers

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/stepwise-dev/stepwise/workers/wire"
)

// Config configures a Worker. The zero value is usable: every field has a
// default, applied by New.
type Config struct {
	// MaxConcurrency is how many handlers run at once in this worker,
	// across all registered names. Defaults to 32.
	MaxConcurrency int

	// AckWait is the AckWait of the task consumers: how long JetStream
	// waits before it gives the task of a worker that stopped responding
	// to another worker. While a handler runs, the worker extends it
	// every AckWait/3, so it does not limit how long a handler runs.
	// Every worker serving a name must use the same value. Defaults to
	// wire.DefaultAckWait (30 s).
	AckWait time.Duration

	// PollTimeout is how long one pull request waits for a task before
	// the worker sends another. Stop ends pending pulls at once. With more
	// registered names than MaxConcurrency, names take turns and a task
	// may wait up to this long for its turn. Defaults to 5 s.
	PollTimeout time.Duration

	// PublishTimeout is how long one publish of a result or heartbeat
	// waits for JetStream's ack before it is retried. Defaults to 5 s.
	PublishTimeout time.Duration

	// ShutdownTimeout is how long Run lets in-flight handlers finish
	// after its context is done, before it cancels them. Defaults to
	// 30 s.
	ShutdownTimeout time.Duration

	// Namespace is the installation this worker serves: the namespace the
	// engine prints (`stepwise dev` and `stepwise server` show it at start;
	// see wire.Namespace). A worker only sees the tasks and cancels of its
	// namespace, and its results reach only that installation's engines.
	// Defaults to the environment variable STEPWISE_NAMESPACE, or
	// wire.DefaultNamespace ("default", what `stepwise dev` uses on its
	// embedded NATS) when that is unset.
	Namespace string

	// ResultCacheBytes bounds the memory of the cache of recent results,
	// by the size of their JSON. A task this worker already finished that
	// comes again under the same token and attempt (JetStream redelivered
	// it, or the engine published it again after NATS lost its store) is
	// answered from the cache, by publishing the same result again,
	// instead of running the handler twice. The oldest results are
	// dropped first. Defaults to 8 MiB; negative: no cache.
	ResultCacheBytes int

	// ID identifies this worker process in results and logs. Defaults to
	// "<hostname>-<pid>".
	ID string

	// TracerProvider makes the handler spans: a task message that
	// carries a W3C trace context (the engine traces) runs its handler
	// under a span "handle <name>" that continues the task attempt's
	// span, so the handler's ctx carries it, and the result carries it
	// back. A task without one starts no span. Defaults to
	// otel.GetTracerProvider() (no-op unless the program sets one).
	TracerProvider trace.TracerProvider

	// Logger receives structured logs (snake_case keys). Defaults to
	// slog.Default().
	Logger *slog.Logger
}

// withDefaults returns a copy of c with defaults applied, validated.
func (c *Config) withDefaults() (Config, error) {
	var cfg Config
	if c != nil {
		cfg = *c
	}
	if cfg.MaxConcurrency == 0 {
		cfg.MaxConcurrency = 32
	}
	if cfg.AckWait == 0 {
		cfg.AckWait = wire.DefaultAckWait
	}
	if cfg.PollTimeout == 0 {
		cfg.PollTimeout = 5 * time.Second
	}
	if cfg.PublishTimeout == 0 {
		cfg.PublishTimeout = 5 * time.Second
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if cfg.Namespace == "" {
		cfg.Namespace = os.Getenv("STEPWISE_NAMESPACE")
	}
	if cfg.Namespace == "" {
		cfg.Namespace = string(wire.DefaultNamespace)
	}
	if cfg.ResultCacheBytes == 0 {
		cfg.ResultCacheBytes = 8 << 20
	}
	if cfg.ID == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "worker"
		}
		cfg.ID = host + "-" + strconv.Itoa(os.Getpid())
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TracerProvider == nil {
		cfg.TracerProvider = otel.GetTracerProvider()
	}

	var errs []error
	if cfg.MaxConcurrency < 0 {
		errs = append(errs, fmt.Errorf("MaxConcurrency %d is negative", cfg.MaxConcurrency))
	}
	if cfg.AckWait < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("AckWait %v is under 100ms", cfg.AckWait))
	}
	if cfg.PollTimeout < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("PollTimeout %v is under 100ms", cfg.PollTimeout))
	}
	if cfg.PublishTimeout < 0 {
		errs = append(errs, fmt.Errorf("PublishTimeout %v is negative", cfg.PublishTimeout))
	}
	if cfg.ShutdownTimeout < 0 {
		errs = append(errs, fmt.Errorf("ShutdownTimeout %v is negative", cfg.ShutdownTimeout))
	}
	if err := wire.Namespace(cfg.Namespace).Validate(); err != nil {
		errs = append(errs, fmt.Errorf("namespace %q: %w (set Config.Namespace or STEPWISE_NAMESPACE)", cfg.Namespace, err))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("workers: invalid config: %w", err)
	}
	return cfg, nil
}
