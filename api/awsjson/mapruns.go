package awsjson

import (
	"context"
	"errors"
	"strings"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// Map Runs: DescribeMapRun, ListMapRuns, UpdateMapRun, and ListExecutions
// with mapRunArn (executions.go). A Map Run's counts are its child
// executions' (engine.MapRun.Children); itemCounts equal executionCounts
// except with an ItemBatcher, where each child runs a batch.

// lookupMapRun checks a Map Run ARN and returns the run; InvalidArn or
// ResourceNotFound as AWS answers them.
func (h *handler) lookupMapRun(ctx context.Context, s string) (engine.MapRun, error) {
	a, err := parseARN(s, "mapRun")
	if err != nil {
		return engine.MapRun{}, err
	}
	if !h.local(a) || a.Qualifier == "" {
		return engine.MapRun{}, errResourceNotFound(s)
	}
	r, err := h.eng.DescribeMapRun(ctx, s)
	if errors.Is(err, engine.ErrNotFound) {
		return r, errResourceNotFound(s)
	}
	return r, err
}

type mapRunArnInput struct {
	MapRunArn *string `json:"mapRunArn"`
}

// mapRunCounts is AWS's MapRunItemCounts and MapRunExecutionCounts.
type mapRunCounts struct {
	Pending               int64 `json:"pending"`
	Running               int64 `json:"running"`
	Succeeded             int64 `json:"succeeded"`
	Failed                int64 `json:"failed"`
	TimedOut              int64 `json:"timedOut"`
	Aborted               int64 `json:"aborted"`
	Total                 int64 `json:"total"`
	ResultsWritten        int64 `json:"resultsWritten"`
	FailuresNotRedrivable int64 `json:"failuresNotRedrivable"`
	PendingRedrive        int64 `json:"pendingRedrive"`
}

func countsOf(r engine.MapRun) mapRunCounts {
	c := r.Counts()
	return mapRunCounts{Pending: c.Pending, Running: c.Running, Succeeded: c.Succeeded, Failed: c.Failed,
		TimedOut: c.TimedOut, Aborted: c.Aborted, Total: c.Total, ResultsWritten: r.ResultsWritten,
		FailuresNotRedrivable: c.FailuresNotRedrivable, PendingRedrive: c.PendingRedrive}
}

type describeMapRunOutput struct {
	MapRunArn                  string       `json:"mapRunArn"`
	ExecutionArn               string       `json:"executionArn"`
	Status                     string       `json:"status"`
	StartDate                  *epoch       `json:"startDate"`
	StopDate                   *epoch       `json:"stopDate,omitempty"`
	MaxConcurrency             int64        `json:"maxConcurrency"`
	ToleratedFailurePercentage float64      `json:"toleratedFailurePercentage"`
	ToleratedFailureCount      int64        `json:"toleratedFailureCount"`
	ItemCounts                 mapRunCounts `json:"itemCounts"`
	ExecutionCounts            mapRunCounts `json:"executionCounts"`
	RedriveCount               int64        `json:"redriveCount"`
	RedriveDate                *epoch       `json:"redriveDate,omitempty"`
}

func (h *handler) describeMapRun(ctx context.Context, in *mapRunArnInput) (*describeMapRunOutput, error) {
	var v violations
	v.length(in.MapRunArn, "mapRunArn", 1, 2000, true)
	if err := v.err(); err != nil {
		return nil, err
	}
	r, err := h.lookupMapRun(ctx, *in.MapRunArn)
	if err != nil {
		return nil, err
	}
	c := countsOf(r)
	return &describeMapRunOutput{
		MapRunArn: r.ARN, ExecutionArn: r.ExecutionARN, Status: r.Status,
		StartDate: timePtr(r.StartDate), StopDate: timePtr(r.StopDate),
		// -1 is "not set" in the engine; AWS shows 0.
		MaxConcurrency: r.MaxConcurrency, ToleratedFailurePercentage: max(r.ToleratedFailurePercentage, 0),
		ToleratedFailureCount: max(r.ToleratedFailureCount, 0),
		ItemCounts:            c, ExecutionCounts: c,
		RedriveCount: r.RedriveCount, RedriveDate: timePtr(r.RedriveDate),
	}, nil
}

type listMapRunsInput struct {
	ExecutionArn *string `json:"executionArn"`
	MaxResults   *int    `json:"maxResults"`
	NextToken    *string `json:"nextToken"`
}

type mapRunListItem struct {
	ExecutionArn    string `json:"executionArn"`
	MapRunArn       string `json:"mapRunArn"`
	StateMachineArn string `json:"stateMachineArn"`
	StartDate       *epoch `json:"startDate"`
	StopDate        *epoch `json:"stopDate,omitempty"`
}

type listMapRunsOutput struct {
	MapRuns   []mapRunListItem `json:"mapRuns"`
	NextToken string           `json:"nextToken,omitempty"`
}

func (h *handler) listMapRuns(ctx context.Context, in *listMapRunsInput) (*listMapRunsOutput, error) {
	var v violations
	v.length(in.ExecutionArn, "executionArn", 1, 256, true)
	v.maxResults(in.MaxResults, "maxResults", 1000)
	v.length(in.NextToken, "nextToken", 1, 1024, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkExecutionARN(*in.ExecutionArn); err != nil {
		return nil, err
	}
	max := deref(in.MaxResults)
	if max == 0 {
		max = 100 // AWS's default page
	}
	rs, next, err := h.eng.ListMapRuns(ctx, *in.ExecutionArn, max, deref(in.NextToken))
	if err != nil {
		return nil, pageError(executionError(err, *in.ExecutionArn))
	}
	out := &listMapRunsOutput{MapRuns: []mapRunListItem{}, NextToken: next}
	for _, r := range rs {
		out.MapRuns = append(out.MapRuns, mapRunListItem{
			ExecutionArn: r.ExecutionARN, MapRunArn: r.ARN, StateMachineArn: h.stateMachineARN(engine.MapRunMachine(r.ARN)),
			StartDate: timePtr(r.StartDate), StopDate: timePtr(r.StopDate),
		})
	}
	return out, nil
}

type updateMapRunInput struct {
	MapRunArn                  *string  `json:"mapRunArn"`
	MaxConcurrency             *int64   `json:"maxConcurrency"`
	ToleratedFailurePercentage *float64 `json:"toleratedFailurePercentage"`
	ToleratedFailureCount      *int64   `json:"toleratedFailureCount"`
}

type updateMapRunOutput struct{}

// updateMapRun changes a running Map Run: the engine applies it as a step
// of the parent execution, so the running Map uses it at once.
func (h *handler) updateMapRun(ctx context.Context, in *updateMapRunInput) (*updateMapRunOutput, error) {
	var v violations
	v.length(in.MapRunArn, "mapRunArn", 1, 2000, true)
	v.nonNegative(in.MaxConcurrency, "maxConcurrency")
	v.nonNegative(in.ToleratedFailureCount, "toleratedFailureCount")
	if p := in.ToleratedFailurePercentage; p != nil && *p < 0 {
		v.add(*p, "toleratedFailurePercentage", "have value greater than or equal to 0")
	} else if p != nil && *p > 100 {
		v.add(*p, "toleratedFailurePercentage", "have value less than or equal to 100")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if in.MaxConcurrency == nil && in.ToleratedFailureCount == nil && in.ToleratedFailurePercentage == nil {
		return nil, apiErr("ValidationException", "at least one of maxConcurrency, toleratedFailureCount and toleratedFailurePercentage must be provided")
	}
	if _, err := h.lookupMapRun(ctx, *in.MapRunArn); err != nil {
		return nil, err
	}
	err := h.eng.UpdateMapRun(ctx, *in.MapRunArn, engine.MapRunUpdate{MaxConcurrency: in.MaxConcurrency,
		ToleratedFailureCount: in.ToleratedFailureCount, ToleratedFailurePercentage: in.ToleratedFailurePercentage})
	switch {
	case errors.Is(err, engine.ErrNotFound):
		return nil, errResourceNotFound(*in.MapRunArn)
	case errors.Is(err, engine.ErrMapRunNotRunning):
		return nil, apiErr("ValidationException", "Map Run is not in RUNNING status: '"+*in.MapRunArn+"'")
	case err != nil:
		return nil, err
	}
	return &updateMapRunOutput{}, nil
}

// listMapRunExecutions is ListExecutions with mapRunArn: the Map Run's
// child executions, newest first, each with the run's ARN and its number
// of items.
func (h *handler) listMapRunExecutions(ctx context.Context, in *listExecutionsInput) (*listExecutionsOutput, error) {
	r, err := h.lookupMapRun(ctx, *in.MapRunArn)
	if err != nil {
		return nil, err
	}
	out := &listExecutionsOutput{Executions: []executionListItem{}}
	xs, next, err := h.eng.ListExecutions(ctx, engine.ListExecutionsInput{MapRun: r.ARN, Status: deref(in.StatusFilter),
		MaxResults: deref(in.MaxResults), NextToken: deref(in.NextToken)})
	if errors.Is(err, engine.ErrNotFound) {
		return nil, errResourceNotFound(r.ARN)
	}
	if err != nil {
		return nil, pageError(err)
	}
	out.NextToken = next
	for _, x := range redriveFiltered(xs, in.RedriveFilter) { // a child is redriven by its run's redrives
		n := itemCount(x.Input)
		item := executionListItem{
			ExecutionArn: x.ARN, StateMachineArn: h.stateMachineARN(x.StateMachine), Name: x.Name, Status: x.Status,
			StartDate: timePtr(x.StartDate), StopDate: timePtr(x.StopDate), MapRunArn: r.ARN, ItemCount: &n,
		}
		listRedrive(&item, x)
		out.Executions = append(out.Executions, item)
	}
	return out, nil
}

// itemCount is the number of items a Map Run's child runs: a batch's
// ({"Items": [...]}, from an ItemBatcher), or one.
func itemCount(input string) int {
	if !strings.HasPrefix(strings.TrimSpace(input), "{") {
		return 1
	}
	v, err := statelang.ParseJSON([]byte(input))
	if obj, ok := v.(map[string]any); err == nil && ok {
		if items, ok := obj["Items"].([]any); ok {
			return len(items)
		}
	}
	return 1
}
