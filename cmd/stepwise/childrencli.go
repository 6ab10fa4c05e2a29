package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
)

// `stepwise children <execution-arn>`: ListChildExecutions.

// childKindArg reads the --kind flag of `children`: "" for every child.
func childKindArg(name string) (stepwisev1.ChildKind, error) {
	switch strings.ToLower(name) {
	case "", "all":
		return stepwisev1.ChildKind_CHILD_KIND_UNSPECIFIED, nil
	case "nested":
		return stepwisev1.ChildKind_CHILD_KIND_NESTED, nil
	case "map-run", "maprun", "map_run":
		return stepwisev1.ChildKind_CHILD_KIND_MAP_RUN, nil
	}
	return 0, usagef("children: unknown kind %q (nested or map-run)", name)
}

func (c *cli) children(ctx context.Context, args []string) error {
	fs := c.flags("children")
	kindName := fs.String("kind", "", "only the nested executions (nested: started by states:startExecution tasks) or the distributed Maps' (map-run)")
	limit := fs.Int("limit", 100, "most executions to list")
	pageToken := fs.String("page-token", "", "continue a listing")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	kind, err := childKindArg(*kindName)
	if err != nil {
		return err
	}
	if err := c.connect(); err != nil {
		return err
	}
	ctx, cancel := c.call(ctx)
	defer cancel()
	r, err := c.exec.ListChildExecutions(ctx, &stepwisev1.ListChildExecutionsRequest{Arn: pos[0], Kind: kind,
		PageSize: int32(*limit), PageToken: *pageToken})
	if err != nil {
		return err
	}
	if *asJSON {
		c.printJSON(r)
		return nil
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tSTATUS\tMACHINE\tSTARTED\tSTOPPED\tMAP RUN\tARN")
	for _, x := range r.Executions {
		run := x.MapRunArn
		if run == "" {
			run = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.Name, statusText(x.Status), x.StateMachineName, timeText(x.StartTime), timeText(x.StopTime), run, x.Arn)
	}
	w.Flush()
	c.more(r.NextPageToken)
	return nil
}
