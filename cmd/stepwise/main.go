// Command stepwise is the Stepwise binary: the server, the database
// migrations, and local tools that validate and run state machines in
// memory. It is wiring only: flags and STEPWISE_* variables → Config
// structs → constructors.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/stepwise-dev/stepwise/statelang"
)

const usage = `usage:
  stepwise dev [flags]                         one process for development: SQLite, embedded NATS, APIs, UI, example workers (stepwise dev -h)
  stepwise server [flags]                      run the engine and the APIs on PostgreSQL and NATS (stepwise server -h)
  stepwise bench [flags]                       measure throughput and latency of a workload (stepwise bench -h)
  stepwise migrate [-db URL]                   apply the database migrations
  stepwise healthcheck [URL]                   exit 0 when URL (default http://localhost:8080/healthz) answers 200
  stepwise validate <definition.json>          report every problem in a definition
  stepwise run <definition.json> [input-json]  run a definition in memory (tasks echo their input)
  stepwise machine|start|describe|list|history|stop|task ...
                                               talk to a server (stepwise help for the client commands)
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "dev":
			return cmdDev(args[1:], stdout, stderr)
		case "server":
			return cmdServer(args[1:], stdout, stderr)
		case "bench":
			return cmdBench(args[1:], stdout, stderr)
		case "migrate":
			return cmdMigrate(args[1:], stdout, stderr)
		case "healthcheck":
			return cmdHealthcheck(args[1:], stderr)
		case "machine", "start", "describe", "list", "history", "stop", "task":
			return runClient(args, os.Stdin, stdout, stderr)
		case "help", "-h", "--help":
			fmt.Fprint(stdout, usage+"\n"+cliUsage)
			return 0
		}
	}
	return runLocal(args, stdout, stderr)
}

// runLocal runs the verbs that need no server: validate and run.
func runLocal(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
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
		res := statelang.Run(m, in, statelang.RunOptions{
			Task: func(call *statelang.TaskCall, _ *statelang.Context) (any, *statelang.Failure) { return call.Input, nil },
		})
		for _, e := range res.Events {
			fmt.Fprintf(stdout, "%4d  %s  %s\n", e.ID, e.Timestamp.Format("15:04:05.000"), e.Type)
		}
		fmt.Fprintf(stdout, "status: %s\n", res.Status)
		if res.Failure != nil {
			fmt.Fprintf(stdout, "error: %s\ncause: %s\n", res.Failure.Name, res.Failure.Cause)
			return 3
		}
		if res.Status == statelang.StatusSucceeded {
			fmt.Fprintf(stdout, "output: %s\n", statelang.MarshalString(res.Output))
			return 0
		}
		return 3
	}
	fmt.Fprint(stderr, usage)
	return 2
}
