// Package engine runs Amazon States Language state machines durably.
//
// It has two halves:
//
//   - The decider (decideEvent) is pure and deterministic: given an execution's
//     persisted state (execState, internal to the package), its machine and ONE event (start, task result, task
//     failure, timer fired, stop), it returns the new state, the history events
//     to append and the effects (tasks to dispatch, timers to set or delete).
//     It drives the step API of package statelang. Every execution runs on
//     it: durable ones through the [Engine], express ones in memory
//     (express.go) and local ones on a fake clock ([RunLocal]: `stepwise
//     run`, the language's tests and the conformance corpus).
//   - The [Engine] runs the decider: it loads the execution from the [Store],
//     decides, commits ONE [Mutation] (events + new state + outbox rows) in one
//     transaction guarded by a version compare-and-set, and only after the
//     commit hands new tasks to the [Dispatcher]. Maintenance loops ([Engine.Run])
//     fire due timers (Wait, Retry backoff, execution and task timeouts,
//     heartbeats) and re-dispatch tasks whose dispatch was lost. Several engines
//     may share one store: executions are serialised by the version check and
//     the loops claim rows with FOR UPDATE SKIP LOCKED.
//
// Parallel branches and Map iterations are "frames" inside one execution's
// state: sub-executions that share its history and its version. A waiting
// execution (on a task or a timer) is only rows in the store; no goroutine
// holds it.
//
// Workflow variables (Assign) live in the frames too: each frame keeps its
// own scope ([Frame].Vars), a state reads its frame's scope and its
// ancestors' (a distributed Map iteration reads none of them), and what a
// state assigns is applied to its frame when the state is left (a Wait
// state's when its timer fires), so the variables persist with the state.
//
// Randomness (States.UUID, States.MathRandom, FULL jitter) is drawn while
// deciding; because a decision is committed atomically with its events and
// never replayed, the drawn values are recorded by the commit itself.
//
// engine imports statelang (with its subpackages) and the standard library
// only: no database, NATS, gRPC or proto package. Stores live in store/...
package engine
