package main

import (
	"bytes"
	"strings"
	"testing"
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
