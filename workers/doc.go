// Package workers is the Go SDK for Stepwise task workers: processes that
// run the Task states of Step Functions state machines executed by the
// Stepwise engine, standing in for Lambda functions, activity workers and
// service integrations.
//
// A Worker connects to NATS, registers a Handler per name and runs:
//
//	nc, _ := nats.Connect(url, nats.MaxReconnects(-1))
//	w, _ := workers.New(nc, &workers.Config{MaxConcurrency: 16})
//	workers.HandleFunc(w, "ValidateOrder", validateOrder)
//	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
//	defer stop()
//	err := w.Run(ctx) // drains in-flight tasks on SIGTERM
//
// # Names
//
// A handler's name is what a state's Resource names (see
// wire.NameFromResource): "ValidateOrder" serves
// arn:aws:lambda:REGION:ACCOUNT:function:ValidateOrder and lambda:invoke
// with FunctionName ValidateOrder; an activity's name serves
// arn:aws:states:REGION:ACCOUNT:activity:NAME; "sqs:sendMessage" serves
// arn:aws:states:::sqs:sendMessage, so that a definition written for AWS
// runs unchanged with your own implementation of the integration.
//
// While it runs, a worker announces the names it serves (see "Workers
// announce" in package wire): the engine fails a task whose name no worker
// serves after its --unserved-task-timeout (a typo in a function name
// fails with Lambda.ResourceNotFoundException), and the announcement keeps
// a worker that is too busy to pull from being taken for a missing one.
//
// # Results and errors
//
// A handler returns JSON output or an error. An error made with Fail
// (wrapped or not) fails the task with that ASL error name and cause, for
// Retry and Catch to match; a plain Go error fails it with
// ErrorNameDefault ("Error") and its text as cause; a panic is recovered
// and fails the task with ErrorNamePanic ("Runtime.Panic"). HandleFunc
// adds typed input and output, failing with ErrorNameUnmarshal when the
// input does not decode.
//
// # Context, timeouts and heartbeats
//
// The handler's ctx ends when the task's deadline (TimeoutSeconds) passes,
// when the engine cancels the task (StopExecution) or when the worker stops
// without waiting; context.Cause tells which (ErrTaskTimedOut,
// ErrTaskCanceled, ErrWorkerStopped). The engine owns timeouts and stops,
// so a handler that returns an error after its ctx ended sends no failure.
// When the state sets HeartbeatSeconds, the worker sends heartbeats on its
// own every HeartbeatSeconds/3 while the handler runs.
//
// # Namespaces
//
// A worker serves one installation: Config.Namespace, by default the
// environment variable STEPWISE_NAMESPACE, or "default", which is what
// `stepwise dev` uses on its embedded NATS. `stepwise dev` and `stepwise
// server` print their namespace at start (with --nats, or with
// PostgreSQL, it is derived from the database unless --namespace or
// STEPWISE_NAMESPACE sets it), so run a worker with, for example,
//
//	STEPWISE_NAMESPACE=pg-3fa1c2d4e5f6 ./my-worker
//
// A worker only takes tasks of its namespace. While no engine has
// connected to that namespace, it logs an error every 30 s naming the
// namespaces that have an engine, so that a wrong namespace is seen
// rather than waited on. The package-level callbacks (SendSuccess...) use
// STEPWISE_NAMESPACE or "default"; Worker.SendSuccess and friends use the
// worker's namespace.
//
// # Delivery
//
// Tasks are delivered at least once: if a worker dies or loses its
// connection mid-task, another worker runs the task again (see
// TaskInfo.Delivery); the engine keeps the first result of each attempt.
// Handlers with side effects should be idempotent per task token.
//
// A worker deduplicates by task token and attempt: a task it already
// finished that comes again (JetStream redelivered it after a lost ack, or
// the engine published it again after NATS lost its store) is answered
// from a cache of its recent results (Config.ResultCacheBytes) by sending
// the same result again, and a copy of a task it is running now is dropped;
// neither runs the handler again. The cache is in memory and per process:
// a copy that reaches another worker process, or this one after a restart
// or after the result left the cache, runs again.
//
// # Callbacks
//
// For .waitForTaskToken states, whoever holds the task token completes the
// task with SendSuccess, SendFailure and SendHeartbeat over NATS (or the
// Stepwise API).
//
// The protocol is described in package wire. This package imports no
// Stepwise package other than wire.
package workers
