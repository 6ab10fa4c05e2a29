package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
)

// The `stepwise maprun …` commands, over MapRunService.

// mapRunCall parses a `maprun` command's flags and its one argument (an
// ARN), connects, and returns the argument, the client and the call's
// context.
func (c *cli) mapRunCall(ctx context.Context, fs *flag.FlagSet, args []string) (string, stepwisev1.MapRunServiceClient, context.Context, context.CancelFunc, error) {
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return "", nil, nil, nil, err
	}
	if err := c.connect(); err != nil {
		return "", nil, nil, nil, err
	}
	ctx, cancel := c.call(ctx)
	return pos[0], stepwisev1.NewMapRunServiceClient(c.conn), ctx, cancel, nil
}

func mapRunStatusText(s stepwisev1.MapRunStatus) string {
	return strings.TrimPrefix(s.String(), "MAP_RUN_STATUS_")
}

// printMapRun prints a Map Run as `maprun describe` and `maprun update` do.
func (c *cli) printMapRun(r *stepwisev1.MapRun) error {
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "arn:\t%s\nstatus:\t%s\nexecution:\t%s\nstate:\t%s (label %s)\nstarted:\t%s\nstopped:\t%s\n",
		r.Arn, mapRunStatusText(r.Status), r.ExecutionArn, r.StateName, r.Label, timeText(r.StartTime), timeText(r.StopTime))
	fmt.Fprintf(w, "max concurrency:\t%d\ntolerated failures:\t%g%%, %d\n", r.MaxConcurrency, r.ToleratedFailurePercentage, r.ToleratedFailureCount)
	if n := r.ExecutionCounts; n != nil {
		fmt.Fprintf(w, "executions:\t%d total: %d pending, %d running, %d succeeded, %d failed, %d timed out, %d aborted\n",
			n.Total, n.Pending, n.Running, n.Succeeded, n.Failed, n.TimedOut, n.Aborted)
		if n.ResultsWritten > 0 {
			fmt.Fprintf(w, "results written:\t%d\n", n.ResultsWritten)
		}
	}
	return w.Flush()
}

func (c *cli) mapRunDescribe(ctx context.Context, args []string) error {
	fs := c.flags("maprun describe")
	asJSON := fs.Bool("json", false, "print JSON")
	arn, mr, ctx, cancel, err := c.mapRunCall(ctx, fs, args)
	if err != nil {
		return err
	}
	defer cancel()
	r, err := mr.DescribeMapRun(ctx, &stepwisev1.DescribeMapRunRequest{Arn: arn})
	if err != nil {
		return err
	}
	if *asJSON {
		c.printJSON(r.MapRun)
		return nil
	}
	return c.printMapRun(r.MapRun)
}

func (c *cli) mapRunList(ctx context.Context, args []string) error {
	fs := c.flags("maprun list")
	limit := fs.Int("limit", 100, "most Map Runs to list")
	pageToken := fs.String("page-token", "", "continue a listing")
	asJSON := fs.Bool("json", false, "print JSON")
	arn, mr, ctx, cancel, err := c.mapRunCall(ctx, fs, args)
	if err != nil {
		return err
	}
	defer cancel()
	r, err := mr.ListMapRuns(ctx, &stepwisev1.ListMapRunsRequest{ExecutionArn: arn, PageSize: int32(*limit), PageToken: *pageToken})
	if err != nil {
		return err
	}
	if *asJSON {
		c.printJSON(r)
		return nil
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "STATE\tSTATUS\tSTARTED\tSTOPPED\tARN")
	for _, run := range r.MapRuns {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", run.StateName, mapRunStatusText(run.Status), timeText(run.StartTime), timeText(run.StopTime), run.Arn)
	}
	w.Flush()
	c.more(r.NextPageToken)
	return nil
}

func (c *cli) mapRunExecutions(ctx context.Context, args []string) error {
	fs := c.flags("maprun executions")
	statusName := fs.String("status", "", "only children with this status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED)")
	filter := fs.String("filter", "", `CEL filter, as list's`)
	limit := fs.Int("limit", 100, "most executions to list")
	pageToken := fs.String("page-token", "", "continue a listing")
	asJSON := fs.Bool("json", false, "print JSON")
	arn, mr, ctx, cancel, err := c.mapRunCall(ctx, fs, args)
	if err != nil {
		return err
	}
	defer cancel()
	st, err := statusArg(fs.Name(), *statusName)
	if err != nil {
		return err
	}
	r, err := mr.ListMapRunExecutions(ctx, &stepwisev1.ListMapRunExecutionsRequest{Arn: arn, Status: st,
		Filter: *filter, PageSize: int32(*limit), PageToken: *pageToken})
	if err != nil {
		return err
	}
	if *asJSON {
		c.printJSON(r)
		return nil
	}
	c.printExecutions(r.Executions, r.NextPageToken)
	return nil
}

func (c *cli) mapRunUpdate(ctx context.Context, args []string) error {
	fs := c.flags("maprun update")
	maxConcurrency := fs.Int64("max-concurrency", 0, "children at once (0: the default, 10,000)")
	pct := fs.Float64("tolerated-failure-percentage", 0, "failures tolerated, in percent of the items (0 to 100)")
	count := fs.Int64("tolerated-failure-count", 0, "failures tolerated, in number of items")
	asJSON := fs.Bool("json", false, "print JSON")
	arn, mr, ctx, cancel, err := c.mapRunCall(ctx, fs, args)
	if err != nil {
		return err
	}
	defer cancel()
	req := &stepwisev1.UpdateMapRunRequest{Arn: arn}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "max-concurrency":
			req.MaxConcurrency = maxConcurrency
		case "tolerated-failure-percentage":
			req.ToleratedFailurePercentage = pct
		case "tolerated-failure-count":
			req.ToleratedFailureCount = count
		}
	})
	if req.MaxConcurrency == nil && req.ToleratedFailurePercentage == nil && req.ToleratedFailureCount == nil {
		return usagef("maprun update: set --max-concurrency, --tolerated-failure-percentage or --tolerated-failure-count")
	}
	r, err := mr.UpdateMapRun(ctx, req)
	if err != nil {
		return err
	}
	if *asJSON {
		c.printJSON(r.MapRun)
		return nil
	}
	return c.printMapRun(r.MapRun)
}
