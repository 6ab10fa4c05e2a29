// Command stepwise is the Stepwise binary: the server, the database
// migrations, and local tools that validate and run state machines in
// memory. It is wiring only: flags and STEPWISE_* variables → Config
// structs → constructors.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// command is one of the binary's commands other than the client commands
// (clientCommands): its name, its arguments and flags as the help shows
// them, what it does, and what runs it with the arguments after the name.
type command struct {
	name, flags, help string
	run               func(args []string, stdout, stderr io.Writer) int
}

// commands are the commands, in the order the help lists them (set by
// init: validate's and run's usage errors print the help made from it).
var commands []command

func init() {
	commands = []command{
		{"dev", "[flags]", "one process for development: SQLite, embedded NATS, APIs, UI, example workers (stepwise dev -h)", cmdDev},
		{"server", "[flags]", "run the engine and the APIs on PostgreSQL and NATS (stepwise server -h)", cmdServer},
		{"bench", "[flags]", "measure throughput and latency of a workload (stepwise bench -h)", cmdBench},
		{"migrate", "[-db URL]", "apply the database migrations", cmdMigrate},
		{"healthcheck", "[URL]", "exit 0 when URL (default http://localhost:8080/healthz) answers 200",
			func(args []string, _, stderr io.Writer) int { return cmdHealthcheck(args, stderr) }},
		{"validate", "<definition.json>", "report every problem in a definition", local("validate")},
		{"run", "[flags] <definition.json> [input-json]", "run a definition in memory: tasks echo their input; --objects DIR serves the S3 tasks, ItemReaders and ResultWriters (stepwise run -h)", local("run")},
	}
}

// local runs runLocal's verb.
func local(verb string) func([]string, io.Writer, io.Writer) int {
	return func(args []string, stdout, stderr io.Writer) int {
		return runLocal(append([]string{verb}, args...), stdout, stderr)
	}
}

// usage returns the binary's help, from commands and clientCommands'
// groups.
func usage() string {
	var b strings.Builder
	b.WriteString("usage:\n")
	width := 45
	for _, cmd := range commands {
		width = max(width, len("stepwise "+cmd.name+" "+cmd.flags)+2)
	}
	for _, cmd := range commands {
		fmt.Fprintf(&b, "  %-*s%s\n", width, "stepwise "+cmd.name+" "+cmd.flags, cmd.help)
	}
	var groups []string
	for _, cmd := range clientCommands {
		if g, _, _ := strings.Cut(cmd.name, " "); !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	fmt.Fprintf(&b, "  stepwise %s ...\n  %-*stalk to a server (stepwise help for the client commands)\n", strings.Join(groups, "|"), width, "")
	return b.String()
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	switch name := args[0]; {
	case name == "help" || name == "-h" || name == "--help":
		fmt.Fprint(stdout, usage()+"\n"+cliUsage)
		return 0
	case isClientCommand(name):
		return runClient(args, os.Stdin, stdout, stderr)
	default:
		for _, cmd := range commands {
			if cmd.name == name {
				return cmd.run(args[1:], stdout, stderr)
			}
		}
	}
	fmt.Fprint(stderr, usage())
	return 2
}

// runUsage is the first line of `stepwise run -h`.
const runUsage = "usage: stepwise run [flags] <definition.json> [input-json]\n" +
	"Runs a definition in memory on a fake clock; tasks echo their input, but those the object store serves. Flags:\n"

// runLocal runs the verbs that need no server: validate and run (whose
// flags may come anywhere among its arguments, "--" ending them).
func runLocal(args []string, stdout, stderr io.Writer) int {
	var objs runObjects
	if args[0] == "run" {
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		objs.flags(fs)
		pos, err := parse(fs, args[1:], 1, 2)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, runUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		if err != nil {
			fmt.Fprintf(stderr, "stepwise: %v\n\n%s", err, usage())
			return 2
		}
		args = append(args[:1], pos...)
	}
	if len(args) < 2 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	def, err := os.ReadFile(args[1])
	if err != nil {
		fmt.Fprintf(stderr, "stepwise: %v\n", err)
		return 1
	}
	m, err := statelang.Parse(def)
	var ds statelang.Diagnostics
	if errors.As(err, &ds) {
		for _, d := range ds {
			fmt.Fprintf(stderr, "%s: %s: %s\n", args[1], d.Location, d.Message)
		}
		return 1
	}
	switch args[0] {
	case "validate":
		for _, d := range statelang.Warnings(def) {
			fmt.Fprintf(stderr, "%s: %s: warning: %s (%s)\n", args[1], d.Location, d.Message, d.Code)
		}
		fmt.Fprintf(stdout, "%s: valid (%d states)\n", args[1], len(m.States))
		return 0
	case "run":
		input := "{}"
		if len(args) > 2 {
			input = args[2]
		}
		in, err := statelang.ParseJSON([]byte(input))
		if err != nil {
			fmt.Fprintf(stderr, "stepwise: the input is not valid JSON: %v\n", err)
			return 1
		}
		services, stop, err := objs.services()
		if err != nil {
			fmt.Fprintf(stderr, "stepwise: %v\n", err)
			return 1
		}
		// No signal is trapped: Ctrl-C ends the run at once (the folder
		// store renames each write into place whole).
		res := engine.RunLocal(m, in, engine.LocalOptions{
			Task:     func(_ engine.Task, input any) (any, *statelang.Failure) { return input, nil },
			Services: services,
		})
		stop()
		for _, e := range res.Events {
			fmt.Fprintf(stdout, "%4d  %s  %s\n", e.ID, e.Timestamp.Format("15:04:05.000"), e.Type)
		}
		fmt.Fprintf(stdout, "status: %s\n", res.Status)
		if res.Failure != nil {
			fmt.Fprintf(stdout, "error: %s\ncause: %s\n", res.Failure.Name, res.Failure.Cause)
			return 3
		}
		if res.Status == engine.StatusSucceeded {
			fmt.Fprintf(stdout, "output: %s\n", statelang.MarshalString(res.Output))
			return 0
		}
		return 3
	}
	fmt.Fprint(stderr, usage())
	return 2
}
