// Package hostiletest holds the hostile-input suite: it starts the real
// `stepwise server` binary on Postgres with a bearer token and throws at it
// every attack of issue 16 — definitions nested far too deep, `$..`
// JSONPath on deep inputs, huge intrinsic results, oversized and slow
// bodies, more connections than the server holds, NUL characters in
// names, inputs, outputs, errors, causes, tags and URLs, fields over AWS's
// limits, on the AWS endpoint, the REST gateway and gRPC. It checks that
// every answer is a clear 4xx (or, for an execution, a terminal status
// with an error), never a 5xx and never a hang; that the server is healthy
// afterwards, served no 5xx at all (its /metrics), and an execution from
// before is intact; and that its peak RSS (VmHWM) stayed under
// PeakRSSCeiling. It prints one line:
//
//	hostile: N attacks, peak RSS X MiB, 0 failures
//
// The test is behind the build tag "hostile" (it builds the binary):
//
//	go test -tags hostile -count=1 -v ./internal/hostiletest
//
// It needs Postgres ($STEPWISE_TEST_DATABASE_URL; a fresh schema per run)
// and uses only loopback addresses. The package has no non-test code.
package hostiletest

// PeakRSSCeiling is the most the server's peak resident memory (VmHWM) may
// reach over the whole suite, in MiB, and AboveIdleCeiling the most above
// its resident memory when idle (about 40 MiB): the target for any
// single request. Runs on 2026-12-04 peaked at 155–185 MiB.
const (
	PeakRSSCeiling   = 320
	AboveIdleCeiling = 256
)
