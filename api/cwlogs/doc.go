// Package cwlogs is an in-memory CloudWatch Logs: the log groups that
// EXPRESS state machines name in their loggingConfiguration, the events the
// engine delivers to them (Store implements engine.LogSink), and the AWS
// JSON 1.1 API that reads them back (Store.Handler: POST / with
// Content-Type application/x-amz-json-1.1 and
// X-Amz-Target: Logs_20140328.<Operation>), so that
// `aws logs --endpoint-url ...` and the AWS SDKs work unchanged.
//
// The logs are kept in the memory of this process only, and are lost when
// it stops or restarts; several replicas each hold their own. That is in the
// spirit of AWS, whose delivery of an Express execution's logs is best
// effort, but here nothing is durable: an Express workflow that must be
// audited needs a STANDARD machine's history instead. The memory is bounded:
// a stream keeps Config.MaxEventsPerStream events (10,000) and the whole
// store Config.MaxBytes (64 MiB, counted as AWS counts PutLogEvents'
// batches: a message's UTF-8 bytes plus 26 an event); past a bound the
// oldest events are dropped first, across all groups for MaxBytes. A
// stream's first and last event timestamps still count the dropped events,
// as AWS's do.
//
// Operations: CreateLogGroup, DeleteLogGroup, DescribeLogGroups,
// CreateLogStream, DeleteLogStream, DescribeLogStreams, PutLogEvents,
// GetLogEvents and FilterLogEvents, with AWS's request and response shapes
// (timestamps are epoch milliseconds), constraints and error codes
// (ResourceNotFoundException, ResourceAlreadyExistsException,
// InvalidParameterException, UnknownOperationException; HTTP 400). A
// request body is at most 1 MiB (larger is HTTP 413): PutLogEvents' batch
// maximum, so a batch whose messages fill AWS's 1,048,576 bytes, counted
// with 26 bytes an event, does not fit once in JSON here; send less.
//
// What differs from AWS:
//   - A stream's events are kept and read in the order they arrived; AWS
//     orders them by timestamp. The two differ only when a PutLogEvents
//     carries events older than an earlier call's.
//   - FilterLogEvents' filterPattern: the empty pattern, terms and "quoted
//     phrases" that must all appear in the message (case-sensitive), and
//     one JSON comparison { $.a.b = "text" } or { $.n != 5 } (= and != on a
//     string or a number; the field must exist and be of the value's kind).
//     Not supported, and refused as InvalidParameterException: ?term (or),
//     -term (exclusion), %regex%, space-delimited [a, b] patterns, JSON
//     patterns with &&, ||, <, >, IS, EXISTS, array indexes or wildcards.
//   - Retention, KMS keys, tags, metric and subscription filters, Logs
//     Insights, Live Tail, data protection and cross-account identifiers do
//     not exist; their request fields are ignored. Pagination tokens are
//     offsets and positions in this process's memory.
//   - Signatures (SigV4) are not checked; any credentials work.
//
// This package imports engine (for LogSink) and the standard library only:
// no store, NATS or database package.
package cwlogs
