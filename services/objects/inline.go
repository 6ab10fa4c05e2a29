package objects

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// InlineResults gives a Map Run's results as its Map state's result, as a
// ResultWriter with a WriterConfig and no Resource does: a JSON array of
// every child's entries, transformed as cfg says (see entries: COMPACT,
// the outputs, is what a Map gives without a ResultWriter), in the order
// of the Map's items. The array is JSON whatever cfg's OutputType, as it
// is a state's result and not a file. Results above the payload limit
// (statelang.MaxPayloadBytes) fail with States.DataLimitExceeded, which
// is checked as they are read, so that a large run is not held in memory.
func InlineResults(ctx context.Context, runs MapRuns, run string, cfg WriterConfig, children Children) (string, error) {
	type child struct {
		name    string
		index   int64
		entries [][]byte
	}
	var got []*child
	size := 2
	tooBig := &engine.TaskFailure{Name: statelang.ErrDataLimitExceeded,
		Cause: fmt.Sprintf("The results of the Map Run %s exceed the maximum number of bytes of a state's output (%d)", run, statelang.MaxPayloadBytes)}
	for _, g := range ResultGroups {
		err := children(g, func(r ChildResult) error {
			c := &child{name: r.Name, index: -1}
			got = append(got, c)
			return entries(r, cfg.Transformation, func(e []byte) error {
				if size += len(e) + 1; size > statelang.MaxPayloadBytes {
					return tooBig
				}
				c.entries = append(c.entries, e)
				return nil
			})
		})
		if err != nil {
			return "", err
		}
	}
	// The items' order: each child is named after its item's index.
	byName := make(map[string]*child, len(got))
	for _, c := range got {
		byName[c.name] = c
	}
	r, err := runs.DescribeMapRun(ctx, run)
	if err != nil {
		return "", err
	}
	for i, found := int64(0), 0; i < r.Total && found < len(got); i++ {
		if c := byName[engine.MapRunChildName(run, i)]; c != nil {
			c.index = i
			found++
		}
	}
	sort.SliceStable(got, func(i, j int) bool {
		a, b := got[i].index, got[j].index
		return a >= 0 && (b < 0 || a < b) // a child of no index (none expected) last
	})
	var buf bytes.Buffer
	buf.WriteByte('[')
	n := 0
	for _, c := range got {
		for _, e := range c.entries {
			if n > 0 {
				buf.WriteByte(',')
			}
			buf.Write(e)
			n++
		}
	}
	buf.WriteByte(']')
	return buf.String(), nil
}
