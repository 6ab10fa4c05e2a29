package engine

import (
	"context"
	"fmt"

	"github.com/stepwise-dev/stepwise/internal/arn"
)

// Listing an execution's children: the nested executions its
// states:startExecution tasks started (children.go) and the children of
// its distributed Maps (mapruns.go). Both kinds are rows with ParentID set,
// read on the store's executions_by_parent index, newest first; a
// distributed Map's child runs "<machine>/<label>", which tells them apart
// and names its Map Run.

// ChildKind selects the children ListChildExecutions lists.
type ChildKind int

// The kinds of child execution.
const (
	// ChildrenAll: every child execution.
	ChildrenAll ChildKind = iota
	// ChildrenNested: those of Task states on states:startExecution.
	ChildrenNested
	// ChildrenMapRun: those of distributed Maps.
	ChildrenMapRun
)

// ChildExecutionsInput are the arguments of ListChildExecutions.
type ChildExecutionsInput struct {
	Kind       ChildKind
	MaxResults int // default and maximum 1000
	NextToken  string
}

// ChildExecution is a child execution (State not loaded), its parent's
// ARN and, for a distributed Map's child, its Map Run's ARN ("" else).
type ChildExecution struct {
	*Execution
	ParentARN string
	MapRunARN string
}

// ListChildExecutions lists the child executions of the execution
// parentARN, newest first, a page at a time; the returned token is "" on
// the last page. ErrInvalidInput when parentARN is not an execution ARN
// (ErrExpressARN for an express one, which has no children stored),
// ErrNotFound when there is no such execution.
func (e *Engine) ListChildExecutions(ctx context.Context, parentARN string, in ChildExecutionsInput) ([]ChildExecution, string, error) {
	a, err := arn.ParseExecution(parentARN)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	if a.Express {
		return nil, "", fmt.Errorf("list the children of %s: %w", parentARN, ErrExpressARN)
	}
	limit, before, err := executionPage(in.MaxResults, in.NextToken)
	if err != nil {
		return nil, "", err
	}
	p, err := e.store.GetExecutionByARN(ctx, parentARN)
	if err != nil {
		return nil, "", err
	}
	runs, err := e.allMapRuns(ctx, p.ID)
	if err != nil {
		return nil, "", err
	}
	f := ListFilter{ParentID: p.ID, BeforeID: before}
	// The machines the distributed Maps' children run: few (one per Map
	// label), so a condition each.
	var machines []string
	seen := map[string]bool{}
	for _, r := range runs {
		if m := MapRunMachine(r.ARN); m != "" && !seen[m] {
			seen[m] = true
			machines = append(machines, m)
		}
	}
	switch in.Kind {
	case ChildrenNested:
		f.Nested = true
	case ChildrenMapRun:
		if len(machines) == 0 {
			return nil, "", nil
		}
		f.Conditions = append(f.Conditions, Condition{Field: FieldStateMachine, Op: OpIn, Value: machines})
	}
	xs, next, err := e.listPage(ctx, f, limit)
	if err != nil {
		return nil, "", err
	}
	out := make([]ChildExecution, 0, len(xs))
	for _, x := range xs {
		c := ChildExecution{Execution: x, ParentARN: p.ARN}
		if isMapChild(x) {
			c.MapRunARN = mapRunOf(runs, x)
		}
		out = append(out, c)
	}
	return out, next, nil
}

// allMapRuns returns every Map Run of execution id.
func (e *Engine) allMapRuns(ctx context.Context, id int64) ([]MapRun, error) {
	const page = 1000
	var all []MapRun
	for offset := 0; ; offset += page {
		rs, err := e.store.ListMapRuns(ctx, id, offset, page)
		if err != nil {
			return nil, err
		}
		all = append(all, rs...)
		if len(rs) < page {
			return all, nil
		}
	}
}

// mapRunOf returns the ARN of the Map Run among runs (its parent's) that
// distributed Map child x belongs to: a Map in a loop starts one run
// after the other on the same machine, and x belongs to the one it
// started during ("" when none).
func mapRunOf(runs []MapRun, x *Execution) string {
	found := ""
	for _, r := range runs {
		if MapRunMachine(r.ARN) == x.StateMachine && !x.StartDate.Before(r.StartDate) &&
			(r.StopDate.IsZero() || !x.StartDate.After(r.StopDate)) {
			found = r.ARN
		}
	}
	return found
}
