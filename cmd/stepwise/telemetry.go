package main

import (
	"context"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/telemetry"
)

// observability is a process's metrics and, when the OTEL_EXPORTER_OTLP_*
// variables ask for traces, its tracer and provider (nil otherwise).
type observability struct {
	metrics  *telemetry.Metrics
	tracer   *telemetry.Tracer
	provider *sdktrace.TracerProvider
}

// newObservability makes the process's metrics and tracer; cl flushes
// the tracer at exit.
func newObservability(ctx context.Context, cl *closers) (*observability, error) {
	o := &observability{metrics: telemetry.NewMetrics()}
	t, tp, err := telemetry.NewOTLPTracer(ctx, "stepwise")
	if err != nil {
		return nil, err
	}
	if t != nil {
		o.tracer, o.provider = t, tp
		cl.add("trace exporter", func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = t.Shutdown(ctx)
		})
	}
	return o, nil
}

// engineConfig returns cfg with its store observed.
func (o *observability) engineConfig(cfg engine.Config) engine.Config {
	if b, ok := cfg.Store.(telemetry.Backlog); ok {
		_ = o.metrics.Register(telemetry.BacklogCollector(b))
	}
	cfg.Store = telemetry.Observe(cfg.Store, o.metrics, o.tracer)
	return cfg
}

var _ natsdispatch.UnservedObserver = (*telemetry.Metrics)(nil)

// dispatchConfig returns c reporting to o.
func (o *observability) dispatchConfig(c natsdispatch.Config) natsdispatch.Config {
	c.Observer = o.metrics
	if o.tracer != nil {
		c.Tracer = o.tracer
	}
	return c
}

// workerTracing is the tracer provider of the workers `stepwise dev`
// runs in its process: the engine's, or nil (the SDK's default).
func (o *observability) workerTracing() trace.TracerProvider {
	if o.provider == nil {
		return nil
	}
	return o.provider
}
