// Package schedule is Stepwise's EventBridge Scheduler: durable schedules
// (rate, cron and at expressions in an IANA time zone, start and end
// dates, a flexible time window, a retry policy and a catch-up rule) that
// start executions of a state machine, exactly once per tick.
//
// A tick starts an execution named after the schedule and the tick
// (Schedule.ExecutionName), through the engine's StartExecution, which
// refuses a second execution of a name. So a tick fired twice — by two
// replicas, or again after a crash between the start and the record of
// the tick — starts one execution. The Scheduler claims due schedules
// from the Store with a lease (Postgres: FOR UPDATE SKIP LOCKED), starts
// each tick's execution, then records the tick and advances the
// schedule's next tick in one transaction, fenced by the version the
// claim took, so a scheduler that outlived its lease changes nothing.
//
// Expression parsing and next-tick computation (expr.go, schedule.go)
// are pure. The package imports engine (for StartExecutionInput and the
// error sentinels) and no store, API or transport package.
package schedule
