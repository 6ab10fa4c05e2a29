// Package wire is the protocol between the Stepwise engine and its workers
// over NATS JetStream: stream, subject and consumer names, the JSON of
// tasks, results and cancels, and helpers that both sides use so that they
// create identical streams and publish identical messages.
//
// It imports only the standard library and nats.go, never another Stepwise
// package: the engine's dispatcher and the workers SDK both import it.
//
// # Namespaces
//
// Every installation (one database, any number of engine replicas and
// workers) has a Namespace, and every stream and subject carries it, so
// any number of installations share one NATS without touching each
// other's messages: a result published in namespace A is stored only by
// A's result stream and applied only by A's engines; a result for a
// namespace with no stream is refused by NATS (no responders) and the
// worker keeps retrying and logging, it is never taken by another
// installation. The engine's operator chooses the namespace (stepwise
// --namespace, STEPWISE_NAMESPACE; by default derived from the database's
// identity, DefaultNamespace for `stepwise dev` on its own embedded NATS)
// and gives it to the workers. A worker checks at start that an engine has
// connected to its namespace (HasEngine) and logs an error naming the
// namespaces that have one (EngineNamespaces) while none has.
//
// # Streams and subjects
//
//	stream                 subjects                     retention   written by  read by
//	STEPWISE_TASKS_<ns>    stepwise.<ns>.tasks.<name>   work queue  engine      workers
//	STEPWISE_RESULTS_<ns>  stepwise.<ns>.results        work queue  workers     engine
//	(core NATS)            stepwise.<ns>.cancel.<tok>   -           engine      workers
//	(core NATS, request)   stepwise.<ns>.direct.results -           workers     engine
//
// Both streams use file storage and deduplicate on Nats-Msg-Id over
// DuplicateWindow (2 min). Namespace.EnsureStreams creates or updates them
// (TaskStreamConfig, ResultStreamConfig); the engine and every worker call
// it at start, and again when they find a stream missing.
//
// <name> is the worker name EncodeName'd: a Lambda function name, an
// activity name or a service integration name such as "sqs:sendMessage"
// (NameFromResource and FunctionName map a state's Resource and
// lambda:invoke's FunctionName to it). EncodeName keeps [A-Za-z0-9_:-] and
// writes every other byte as %XX (upper-case hex), so '.', '*', '>',
// whitespace, '%' and non-ASCII never reach a subject; the encoding is
// one-to-one. A function and an activity with the same name share a
// subject and a handler. <tok> is the task token, EncodeName'd too (tokens
// made of [A-Za-z0-9_-] pass unchanged).
//
// # Tasks: engine → worker
//
// After the transaction that schedules a task commits, the engine
// publishes a Task (JSON, see its fields) with PublishTask: subject
// ns.TaskSubject(name), header Nats-Msg-Id = TaskMsgID(token, attempt) =
// "<token>:<attempt>", so a publish retried within the window is stored
// once. Attempt counts ASL attempts from 1; 0 is reserved for callbacks.
// Deadline (RFC 3339) is when the engine times the attempt out.
//
// Every worker serving a name shares one durable pull consumer,
// TaskConsumerConfig(name, ackWait): named TaskConsumerName(name), filter
// TaskSubject(name), explicit ack, AckWait (DefaultAckWait, 30 s),
// MaxDeliver TaskMaxDeliver (5), no MaxAckPending limit. Work-queue
// retention allows one consumer per subject, which this is. Workers
// create it (EnsureTaskConsumer); a task published before any worker
// exists waits in the stream.
//
// A worker that takes a task:
//
//   - terminates (Term) a message that is not a valid Task (poison);
//   - acks without running a task whose Deadline has passed;
//   - while the handler runs, sends InProgress every AckWait/3, so
//     JetStream redelivers the task only when the worker dies or loses its
//     connection for longer than AckWait; a redelivered task may run twice
//     (at least once), both runs report under the same (token, attempt);
//   - when HeartbeatSeconds > 0, publishes a heartbeat Result every
//     HeartbeatSeconds/3;
//   - cancels the handler at Deadline;
//   - on success or failure publishes the Result, waits for JetStream's
//     ack of that publish, and only then acks the task. A crash between the
//     two leads to a redelivery and a duplicate result, which the stream
//     (same Nats-Msg-Id within the window) or the engine (same token and
//     attempt) drops;
//   - when the handler was stopped by the deadline or a cancel, acks the
//     task and sends no result: the engine decides timeouts and stops;
//   - when the worker is shutting down and abandons a handler, Naks the task
//     so another worker takes it at once.
//
// # Workers announce
//
// While it runs, a worker writes an Announcement (its ID and registered
// names) under WorkerKey(<id>-<random>) in the key-value bucket
// ns.WorkerBucket() ("stepwise_workers_<ns>", WorkerBucketConfig: one
// value per key, each expiring WorkerTTL (30 s) after it was written),
// every WorkerTTL/3, and deletes it when it stops. Both sides create the
// bucket (EnsureWorkerBucket). The engine reads it (AnnouncedNames) to
// tell a task whose name no worker serves (a typo in a function name, no
// worker deployed) from one whose workers are busy: it fails the first
// after a configurable wait. A name is served when a live announcement
// lists it, or when its task consumer has a pull request waiting or a
// message delivered and not yet acked, so that a worker that announces
// nothing (an older SDK, a worker in another language) still counts
// while it pulls or works. Announcing is optional: a worker that cannot
// write the bucket logs it and serves its tasks all the same.
//
// # Results: worker → engine
//
// A Result (JSON) goes to ns.ResultSubject() with PublishResult. Kind is
// "success" (Output), "failure" (Error, Cause) or "heartbeat". A success or
// failure carries Nats-Msg-Id = ResultMsgID(token, attempt) =
// "<token>:<attempt>:final": within the window only the first final result
// of an attempt is stored. Heartbeats carry no id. Attempt is the task's,
// or CallbackAttempt (0) for a task token callback (SendTaskSuccess,
// SendTaskFailure, SendTaskHeartbeat sent over NATS). For a
// .waitForTaskToken task the worker's own result (attempt >= 1) is not the
// task's outcome: a success only means the request was delivered; a
// failure fails the task; the callback (attempt 0) completes it.
//
// A worker first offers a success or failure to the engine directly
// (SendResultDirect): a core NATS request on ns.DirectResultSubject() in
// queue group DirectResultQueue, so one engine replica takes it. The
// replica applies it as it would the stream's message and replies
// DirectApplied after the commit; the worker then acks its task. With no
// engine listening (no responders), no reply within the publish timeout,
// or any other reply (every handler busy, the commit failed), the worker
// publishes the result on the stream as below. A result that took both
// ways (the reply was lost) is applied once, as any duplicate is. Most
// results thus never touch the stream: no stored message, no ack, no
// removal, no deduplication entry.
//
// The engine replicas share the durable consumer ns.ResultConsumerConfig()
// ("stepwise-engine", explicit ack). The engine applies a result in one
// transaction, idempotently per (token, attempt), and acks the message
// only after the commit; a result for an unknown, finished or stale task,
// or a malformed message, is acked and ignored.
//
// # Cancels: engine → worker
//
// To stop a running task (StopExecution, a heartbeat timeout), the engine
// publishes a Cancel (JSON, optional: an empty body cancels every attempt
// of the token) on CancelSubject(token) with core NATS (PublishCancel).
// Delivery is at most once: a worker that misses it finishes the task and
// the engine ignores the late result. Workers subscribe to
// ns.CancelSubjects(), and so does each engine replica's dispatcher (for
// the express child executions it runs). A task that no worker has taken yet is not touched
// by a cancel; the engine may delete it from the task stream by the
// sequence number PublishTask returned, or leave it: the worker drops it
// at its Deadline, or runs it and the engine ignores the result.
//
// # What JetStream does not recover
//
// Postgres is the source of truth. A publish that fails, a message that
// reaches TaskMaxDeliver (JetStream then stops delivering it and emits
// the advisory $JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.STEPWISE_TASKS_<ns>.*),
// or a lost stream is recovered by the engine from its database: it
// re-publishes a task whose dispatch it cannot confirm, and times tasks out
// by TimeoutSeconds and HeartbeatSeconds. A re-publish of the same
// (token, attempt) within DuplicateWindow is dropped as a duplicate, which
// is what a retried publish wants; a re-dispatch after a lost message
// must come later than the window.
//
// When the JetStream store itself is lost (wiped, or the cluster rebuilt),
// whoever first finds a stream or consumer missing (IsMissing) creates it
// again: the engine in its result loop and when a publish finds no stream,
// a worker when its pull fails. The engine then publishes again every task
// it had published into the lost stream (those confirmed before the new
// task stream was created) and that is still waiting for a worker. A task
// a worker had already finished may therefore come again, under the same
// (token, attempt), and so may its result: workers answer such a task from
// a cache of their recent results instead of running it again (see
// package workers), and the engine keeps the first result of an attempt.
//
// # Compatibility
//
// Readers ignore unknown JSON fields; new fields are optional. Names of
// streams, subjects, consumers and fields never change meaning once
// released. Releases before namespaces used STEPWISE_TASKS
// ("stepwise.tasks.>"), STEPWISE_RESULTS ("stepwise.results") and
// "stepwise.cancel.<tok>"; no namespace can overlap them, so old and new
// workers and engines ignore each other. An engine that starts on a new
// namespace publishes again the tasks it had published into the old
// streams (they were confirmed before its task stream was created); old
// streams can be deleted once the old workers are gone.
package wire
