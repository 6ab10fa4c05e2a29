package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stepwise-dev/stepwise/internal/pgtest"
	"github.com/stepwise-dev/stepwise/workers/natstest"
)

func TestBenchFlagErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"bench", "--workload", "nope"},
		{"bench", "--concurrency", "0"},
		{"bench", "--concurrency", "1,x"},
		{"bench", "extra"},
	} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("stepwise %s = exit %d (%s); want 2", strings.Join(args, " "), code, errOut.String())
		}
	}
}

// TestBenchDMap runs the dmap workload small: a distributed Map over 60
// JSONL items read from the embedded object store, its ResultWriter's
// output read back and checked item by item; with STANDARD children, and
// with EXPRESS ones (--dmap-express).
func TestBenchDMap(t *testing.T) {
	t.Parallel()
	pgtest.Pool(t) // skips, or fails under STEPWISE_REQUIRE_DB=1, without a database
	for _, tc := range []struct {
		name string
		flag []string
	}{{"dmap-60", nil}, {"dmap-express-60", []string{"--dmap-express"}}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			args := append([]string{"bench", "--workload", "dmap", "--dmap-items", "60", "--dmap-concurrency", "8", "--db", pgtest.DSN(), "--quiet"}, tc.flag...)
			if code := run(args, &out, &errOut); code != 0 {
				t.Fatalf("stepwise %s = exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
			}
			if want := tc.name + ": ResultWriter: 1 manifest(s), each with all 60 items SUCCEEDED exactly once"; !strings.Contains(out.String(), want) {
				t.Errorf("output:\n%s\nwant a line with %q", out.String(), want)
			}
		})
	}
}

// TestBenchDMapExternalNATS: with --external-nats the in-process engine
// dispatches through the NATS server at --nats, in a namespace of the
// run's own whose streams are gone once the bench ends.
func TestBenchDMapExternalNATS(t *testing.T) {
	t.Parallel()
	pgtest.Pool(t) // skips, or fails under STEPWISE_REQUIRE_DB=1, without a database
	srv := natstest.Start(t)
	var out, errOut bytes.Buffer
	args := []string{"bench", "--workload", "dmap", "--dmap-items", "30", "--dmap-concurrency", "8", "--db", pgtest.DSN(),
		"--external-nats", "--nats", srv.URL(), "--quiet"}
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("stepwise %s = exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	}
	for _, want := range []string{"NATS at " + srv.URL(), "dmap-30: ResultWriter: 1 manifest(s), each with all 30 items SUCCEEDED exactly once",
		"peak RSS of the bench process (engine, S3, workers)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output:\n%s\nwant a line with %q", out.String(), want)
		}
	}
	js, err := jetstream.New(srv.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	names := js.StreamNames(context.Background())
	for name := range names.Name() {
		t.Errorf("stream %s is left on the NATS server", name)
	}
	if err := names.Err(); err != nil && !errors.Is(err, jetstream.ErrEndOfData) {
		t.Fatal(err)
	}
}
