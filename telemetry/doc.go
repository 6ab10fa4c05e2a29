// Package telemetry is Stepwise's observability: Prometheus metrics
// ([Metrics]) and OpenTelemetry traces ([Tracer]).
//
// The engine imports neither and calls them only through interfaces of
// its own (Store, ExpressObserver). Both watch the engine at its edges: [Observe] wraps the engine's Store, so every group commit is seen
// with what it wrote (executions started and ended, states entered and
// left, tasks scheduled and closed, its size and latency) and every timer
// claim with how late it is; express executions, which commit nothing,
// are reported to the same wrapper (it implements engine.ExpressObserver)
// decision by decision; the API server wraps its HTTP handler and
// gRPC server ([Metrics.HTTP], [Metrics.UnaryInterceptor]); the NATS
// dispatcher reports redeliveries and carries trace context in its task
// and result headers (package dispatch/nats, workers/wire).
//
// Metrics are always on and cost a few label lookups per group commit
// (and per decision of an express execution).
// Tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; off, [Observe] is given a
// nil Tracer and does no tracing work at all.
//
// telemetry imports engine and statelang; the engine never imports it.
// docs/observability.md lists every metric and span.
package telemetry
