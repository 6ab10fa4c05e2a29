package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
)

// The `stepwise schedule …` commands, over ScheduleService.

func (c *cli) schedules() stepwisev1.ScheduleServiceClient {
	return stepwisev1.NewScheduleServiceClient(c.conn)
}

func (c *cli) scheduleCreate(ctx context.Context, args []string) error {
	fs := c.flags("schedule create")
	group := fs.String("group", "default", "schedule group")
	input := fs.String("input", "", "the executions' input: JSON, or @file")
	tz := fs.String("timezone", "", "IANA time zone of cron and at expressions (default UTC)")
	desc := fs.String("description", "", "description")
	window := fs.Int("window", 0, "flexible time window in minutes (0: off)")
	catchUp := fs.String("catch-up", "", "after downtime: ONE (default), ALL or NONE of the missed ticks")
	disabled := fs.Bool("disabled", false, "create it disabled")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args, 3, 3)
	if err != nil {
		return err
	}
	in := ""
	if *input != "" {
		if in, err = c.jsonArg(*input); err != nil {
			return err
		}
	}
	s := &stepwisev1.Schedule{Name: pos[0], Group: *group, Expression: pos[1], Timezone: *tz, Description: *desc,
		FlexibleWindowMinutes: int32(*window), CatchUp: strings.ToUpper(*catchUp),
		Target: &stepwisev1.ScheduleTarget{Arn: pos[2], Input: in}}
	if *disabled {
		s.State = stepwisev1.ScheduleState_SCHEDULE_STATE_DISABLED
	}
	if err := c.connect(); err != nil {
		return err
	}
	ctx, cancel := c.call(ctx)
	defer cancel()
	r, err := c.schedules().CreateSchedule(ctx, &stepwisev1.CreateScheduleRequest{Schedule: s})
	if err != nil {
		return err
	}
	if *asJSON {
		c.printJSON(r)
		return nil
	}
	fmt.Fprintf(c.stdout, "%s %s\n", r.Schedule.Arn, stateText(r.Schedule.State))
	return nil
}

func stateText(s stepwisev1.ScheduleState) string {
	return strings.TrimPrefix(s.String(), "SCHEDULE_STATE_")
}

func (c *cli) scheduleDescribe(ctx context.Context, args []string) error {
	fs := c.flags("schedule describe")
	group := fs.String("group", "default", "schedule group")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := c.connect(); err != nil {
		return err
	}
	ctx, cancel := c.call(ctx)
	defer cancel()
	r, err := c.schedules().GetSchedule(ctx, &stepwisev1.GetScheduleRequest{Group: *group, Name: pos[0]})
	if err != nil {
		return err
	}
	if *asJSON {
		c.printJSON(r)
		return nil
	}
	s := r.Schedule
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	tz := s.Timezone
	if tz == "" {
		tz = "UTC"
	}
	fmt.Fprintf(w, "arn\t%s\nstate\t%s\nexpression\t%s\ntime zone\t%s\ntarget\t%s\ncatch-up\t%s\n",
		s.Arn, stateText(s.State), s.Expression, tz, s.GetTarget().GetArn(), s.CatchUp)
	if s.GetTarget().GetInput() != "" {
		fmt.Fprintf(w, "input\t%s\n", s.Target.Input)
	}
	if s.FlexibleWindowMinutes > 0 {
		fmt.Fprintf(w, "window\t%d min\n", s.FlexibleWindowMinutes)
	}
	if s.Description != "" {
		fmt.Fprintf(w, "description\t%s\n", s.Description)
	}
	for i, t := range r.NextTicks {
		label := ""
		if i == 0 {
			label = "next ticks"
		}
		fmt.Fprintf(w, "%s\t%s\n", label, timeText(t))
	}
	w.Flush()
	if len(r.RecentTicks) > 0 {
		fmt.Fprintln(c.stdout)
		w = tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "SCHEDULED\tFIRED\tEXECUTION")
		for _, t := range r.RecentTicks {
			what := t.ExecutionArn
			if what == "" {
				what = fmt.Sprintf("none: %s (%d attempts)", t.Error, t.Attempts)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\n", timeText(t.Time), timeText(t.Fired), what)
		}
		w.Flush()
	}
	return nil
}

func (c *cli) scheduleList(ctx context.Context, args []string) error {
	fs := c.flags("schedule list")
	group := fs.String("group", "", "only this group")
	prefix := fs.String("prefix", "", "only names with this prefix")
	limit := fs.Int("limit", 100, "most schedules to list (1 to 100)")
	pageToken := fs.String("page-token", "", "continue a listing")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if err := c.connect(); err != nil {
		return err
	}
	ctx, cancel := c.call(ctx)
	defer cancel()
	r, err := c.schedules().ListSchedules(ctx, &stepwisev1.ListSchedulesRequest{Group: *group, NamePrefix: *prefix,
		PageSize: int32(*limit), PageToken: *pageToken})
	if err != nil {
		return err
	}
	if *asJSON {
		c.printJSON(r)
		return nil
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "GROUP\tNAME\tSTATE\tEXPRESSION\tTARGET")
	for _, s := range r.Schedules {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.Group, s.Name, stateText(s.State), s.Expression, s.GetTarget().GetArn())
	}
	w.Flush()
	c.more(r.NextPageToken)
	return nil
}

func (c *cli) scheduleState(ctx context.Context, verb string, args []string) error {
	fs := c.flags(verb)
	group := fs.String("group", "default", "schedule group")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := c.connect(); err != nil {
		return err
	}
	ctx, cancel := c.call(ctx)
	defer cancel()
	r, err := c.schedules().GetSchedule(ctx, &stepwisev1.GetScheduleRequest{Group: *group, Name: pos[0]})
	if err != nil {
		return err
	}
	s := r.Schedule
	s.State = stepwisev1.ScheduleState_SCHEDULE_STATE_ENABLED
	if verb == "schedule disable" {
		s.State = stepwisev1.ScheduleState_SCHEDULE_STATE_DISABLED
	}
	u, err := c.schedules().UpdateSchedule(ctx, &stepwisev1.UpdateScheduleRequest{Schedule: s})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s %s\n", u.Schedule.Arn, stateText(u.Schedule.State))
	return nil
}

func (c *cli) scheduleDelete(ctx context.Context, args []string) error {
	fs := c.flags("schedule delete")
	group := fs.String("group", "default", "schedule group")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := c.connect(); err != nil {
		return err
	}
	ctx, cancel := c.call(ctx)
	defer cancel()
	if _, err := c.schedules().DeleteSchedule(ctx, &stepwisev1.DeleteScheduleRequest{Group: *group, Name: pos[0]}); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "deleted schedule %s/%s\n", *group, pos[0])
	return nil
}
