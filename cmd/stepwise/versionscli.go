package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"google.golang.org/protobuf/proto"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
)

// The `stepwise version …` and `stepwise alias …` commands: published
// versions and aliases of state machines, over StateMachineService.

// versionCall parses a command's flags and from minPos to maxPos
// arguments, connects, and returns the arguments and the call's context.
func (c *cli) versionCall(ctx context.Context, fs *flag.FlagSet, args []string, minPos, maxPos int) ([]string, context.Context, context.CancelFunc, error) {
	pos, err := parse(fs, args, minPos, maxPos)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := c.connect(); err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := c.call(ctx)
	return pos, ctx, cancel, nil
}

// numberArg reads a version number argument of command verb.
func numberArg(verb, s string) (int32, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n <= 0 {
		return 0, usagef("%s: version %q is not a number from 1", verb, s)
	}
	return int32(n), nil
}

// routingArgs reads an alias's routing arguments: "N" (all of it to
// version N) or "N=W" (version N gets W percent), one or two of them.
// The server checks the rest (distinct versions, weights summing to 100).
func routingArgs(verb string, args []string) ([]*stepwisev1.AliasRoute, error) {
	var out []*stepwisev1.AliasRoute
	for _, a := range args {
		num, weight, hasWeight := strings.Cut(a, "=")
		n, err := numberArg(verb, num)
		if err != nil {
			return nil, err
		}
		w := int64(100)
		if hasWeight {
			if w, err = strconv.ParseInt(weight, 10, 32); err != nil {
				return nil, usagef("%s: weight %q of version %d is not a number", verb, weight, n)
			}
		}
		out = append(out, &stepwisev1.AliasRoute{Version: n, Weight: int32(w)})
	}
	return out, nil
}

func routingText(rs []*stepwisev1.AliasRoute) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%d=%d%%", r.Version, r.Weight)
	}
	return strings.Join(parts, " ")
}

func (c *cli) versionPublish(ctx context.Context, args []string) error {
	fs := c.flags("version publish")
	desc := fs.String("description", "", "the version's description")
	revision := fs.Int("revision", 0, "publish only if this is still the latest revision (machine describe's version)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, ctx, cancel, err := c.versionCall(ctx, fs, args, 1, 1)
	if err != nil {
		return err
	}
	defer cancel()
	r, err := c.sm.PublishStateMachineVersion(ctx, &stepwisev1.PublishStateMachineVersionRequest{Name: pos[0], Description: *desc, Revision: int32(*revision)})
	if err != nil {
		return err
	}
	if *asJSON {
		c.printJSON(r.Version)
		return nil
	}
	fmt.Fprintf(c.stdout, "%s version %d (revision %d)\n", r.Version.Arn, r.Version.Number, r.Version.Revision)
	return nil
}

// machineListing lists a machine's versions or aliases: list makes the
// call for the machine, a page size and a token; rows are the table's
// lines after header, from its answer.
func machineListing[R interface {
	proto.Message
	GetNextPageToken() string
}](c *cli, ctx context.Context, verb string, args []string, list func(ctx context.Context, machine string, size int32, token string) (R, error), header string, rows func(R) []string) error {
	fs := c.flags(verb)
	limit := fs.Int("limit", 100, "most to list")
	pageToken := fs.String("page-token", "", "continue a listing")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, ctx, cancel, err := c.versionCall(ctx, fs, args, 1, 1)
	if err != nil {
		return err
	}
	defer cancel()
	r, err := list(ctx, pos[0], int32(*limit), *pageToken)
	if err != nil {
		return err
	}
	if *asJSON {
		c.printJSON(r)
		return nil
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, header)
	for _, row := range rows(r) {
		fmt.Fprintln(w, row)
	}
	w.Flush()
	c.more(r.GetNextPageToken())
	return nil
}

func (c *cli) versionList(ctx context.Context, args []string) error {
	return machineListing(c, ctx, "version list", args, func(ctx context.Context, machine string, size int32, token string) (*stepwisev1.ListStateMachineVersionsResponse, error) {
		return c.sm.ListStateMachineVersions(ctx, &stepwisev1.ListStateMachineVersionsRequest{Name: machine, PageSize: size, PageToken: token})
	}, "VERSION\tREVISION\tCREATED\tDESCRIPTION", func(r *stepwisev1.ListStateMachineVersionsResponse) []string {
		var out []string
		for _, v := range r.Versions {
			out = append(out, fmt.Sprintf("%d\t%d\t%s\t%s", v.Number, v.Revision, timeText(v.Created), v.Description))
		}
		return out
	})
}

func (c *cli) versionDelete(ctx context.Context, args []string) error {
	fs := c.flags("version delete")
	pos, ctx, cancel, err := c.versionCall(ctx, fs, args, 2, 2)
	if err != nil {
		return err
	}
	defer cancel()
	n, err := numberArg(fs.Name(), pos[1])
	if err != nil {
		return err
	}
	_, err = c.sm.DeleteStateMachineVersion(ctx, &stepwisev1.DeleteStateMachineVersionRequest{Name: pos[0], Number: n})
	return err
}

// printAlias prints an alias as `alias describe`, `create` and `update` do.
func (c *cli) printAlias(a *stepwisev1.StateMachineAlias, asJSON bool) error {
	if asJSON {
		c.printJSON(a)
		return nil
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "arn:\t%s\nrouting:\t%s\ndescription:\t%s\ncreated:\t%s\nupdated:\t%s\n",
		a.Arn, routingText(a.Routing), a.Description, timeText(a.Created), timeText(a.Updated))
	return w.Flush()
}

// aliasPut is `alias create` and `alias update`.
func (c *cli) aliasPut(ctx context.Context, verb string, args []string) error {
	fs := c.flags(verb)
	desc := fs.String("description", "", "the alias's description")
	asJSON := fs.Bool("json", false, "print JSON")
	create := verb == "alias create"
	minPos := 2
	if create {
		minPos = 3
	}
	pos, ctx, cancel, err := c.versionCall(ctx, fs, args, minPos, 4)
	if err != nil {
		return err
	}
	defer cancel()
	routing, err := routingArgs(verb, pos[2:])
	if err != nil {
		return err
	}
	var a *stepwisev1.StateMachineAlias
	if create {
		r, err := c.sm.CreateStateMachineAlias(ctx, &stepwisev1.CreateStateMachineAliasRequest{StateMachineName: pos[0], Name: pos[1],
			Description: *desc, Routing: routing})
		if err != nil {
			return err
		}
		a = r.Alias
	} else {
		req := &stepwisev1.UpdateStateMachineAliasRequest{StateMachineName: pos[0], Name: pos[1], Routing: routing}
		if isSet(fs, "description") {
			req.Description = desc
		}
		if req.Description == nil && len(routing) == 0 {
			return usagef("%s: give the routing or --description", verb)
		}
		r, err := c.sm.UpdateStateMachineAlias(ctx, req)
		if err != nil {
			return err
		}
		a = r.Alias
	}
	return c.printAlias(a, *asJSON)
}

func (c *cli) aliasDescribe(ctx context.Context, args []string) error {
	fs := c.flags("alias describe")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, ctx, cancel, err := c.versionCall(ctx, fs, args, 2, 2)
	if err != nil {
		return err
	}
	defer cancel()
	r, err := c.sm.DescribeStateMachineAlias(ctx, &stepwisev1.DescribeStateMachineAliasRequest{StateMachineName: pos[0], Name: pos[1]})
	if err != nil {
		return err
	}
	return c.printAlias(r.Alias, *asJSON)
}

func (c *cli) aliasList(ctx context.Context, args []string) error {
	return machineListing(c, ctx, "alias list", args, func(ctx context.Context, machine string, size int32, token string) (*stepwisev1.ListStateMachineAliasesResponse, error) {
		return c.sm.ListStateMachineAliases(ctx, &stepwisev1.ListStateMachineAliasesRequest{StateMachineName: machine, PageSize: size, PageToken: token})
	}, "ALIAS\tROUTING\tUPDATED\tDESCRIPTION", func(r *stepwisev1.ListStateMachineAliasesResponse) []string {
		var out []string
		for _, a := range r.Aliases {
			out = append(out, fmt.Sprintf("%s\t%s\t%s\t%s", a.Name, routingText(a.Routing), timeText(a.Updated), a.Description))
		}
		return out
	})
}

func (c *cli) aliasDelete(ctx context.Context, args []string) error {
	fs := c.flags("alias delete")
	pos, ctx, cancel, err := c.versionCall(ctx, fs, args, 2, 2)
	if err != nil {
		return err
	}
	defer cancel()
	_, err = c.sm.DeleteStateMachineAlias(ctx, &stepwisev1.DeleteStateMachineAliasRequest{StateMachineName: pos[0], Name: pos[1]})
	return err
}
