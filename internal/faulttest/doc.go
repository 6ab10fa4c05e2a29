// Package faulttest holds the fault-injection suite: under a steady load
// of mixed executions it SIGKILLs the real `stepwise server` binary,
// SIGKILLs worker processes mid-task, restarts the NATS server and
// terminates the engine's Postgres backends, then checks that every
// execution reached its expected status and output, that every history
// is gap- and duplicate-free, and that no task was completed twice.
//
// The tests are behind the build tag "faults" (they build the binary and
// take minutes):
//
//	go test -tags faults -count=1 -v ./internal/faulttest
//
// They need Postgres ($STEPWISE_TEST_DATABASE_URL, a fresh schema per
// run) and use only loopback addresses. The package has no non-test code.
package faulttest
