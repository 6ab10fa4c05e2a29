// Package faulttest holds the fault-injection suite: under a steady load
// of mixed executions it SIGKILLs the real `stepwise server` binary (the
// replica the clients call; and three times the same one of two others,
// while it holds claimed timers, timing how long the other replicas take
// to take them over),
// SIGKILLs worker processes mid-task, restarts the NATS server, wipes its
// JetStream store, terminates the engine's Postgres backends, installs a
// second installation (`stepwise dev` on SQLite, under load) on the same
// NATS, starts another `stepwise dev` on that one's data dir and
// SIGKILLs it; after each fault it times a probe execution on the
// installation hit. Then it checks that every execution reached its
// expected status and output, that every history is gap- and
// duplicate-free, and that no task was completed twice.
//
// The tests are behind the build tag "faults" (they build the binary and
// take minutes):
//
//	go test -tags faults -count=1 -v ./internal/faulttest
//
// They need Postgres ($STEPWISE_TEST_DATABASE_URL, a fresh schema per
// run) and use only loopback addresses. The package has no non-test code.
package faulttest
