package engine

import (
	"context"
	"slices"
)

// LocalMapRuns are the Map Runs of a local run (RunLocal): each
// distributed Map's children, kept in memory as they end, so that a
// service bound to the run (the ResultWriter, see LocalOptions.Services)
// reads them as it reads a durable run's from the Engine. It is used by
// one run at a time, from the run's goroutine.
type LocalMapRuns struct {
	runs map[string]*localMapRun // by Map Run ARN
}

// localMapRun is one Map Run of a local run.
type localMapRun struct {
	parent string               // the ARN of the execution that ran the Map
	kids   map[int64]*Execution // by item index (or batch index)
}

// add records child x, of item index of Map Run run of execution parent.
func (l *LocalMapRuns) add(run, parent string, index int64, x *Execution) {
	r := l.runs[run]
	if r == nil {
		r = &localMapRun{parent: parent, kids: map[int64]*Execution{}}
		l.runs[run] = r
	}
	r.kids[index] = x
}

// sorted are run's children in item order.
func (r *localMapRun) sorted() []*Execution {
	if r == nil {
		return nil
	}
	idx := make([]int64, 0, len(r.kids))
	for i := range r.kids {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	xs := make([]*Execution, len(idx))
	for j, i := range idx {
		xs[j] = r.kids[i]
	}
	return xs
}

// MapRunChildren passes the children of the Map Run of arn that have
// status ("" for all) to page, a page of at most 1,000 at a time, as
// Engine.MapRunChildren does, but in the order of the Map's items; a Map
// Run the run does not know has none. It stops at page's first error and
// returns it.
func (l *LocalMapRuns) MapRunChildren(_ context.Context, arn, status string, page func([]*Execution) error) error {
	var xs []*Execution
	for _, x := range l.runs[arn].sorted() {
		if status == "" || x.Status == status {
			xs = append(xs, x)
		}
	}
	for len(xs) > 0 {
		n := min(len(xs), 1000)
		if err := page(xs[:n]); err != nil {
			return err
		}
		xs = xs[n:]
	}
	return nil
}

// DescribeMapRun returns what the run knows of the Map Run of arn: its
// parent, its children's counts by status, and as its Total the number
// of items up to the last one whose child ran. Its status, tolerance and
// dates are not kept.
func (l *LocalMapRuns) DescribeMapRun(_ context.Context, arn string) (MapRun, error) {
	m := MapRun{ARN: arn, Children: map[string]int64{}}
	r := l.runs[arn]
	if r == nil {
		return m, nil
	}
	m.ExecutionARN = r.parent
	for i, x := range r.kids {
		m.Children[x.Status]++
		m.Total = max(m.Total, i+1)
	}
	return m, nil
}
