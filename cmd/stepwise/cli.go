package main

// The client verbs: `stepwise machine ...`, `start`, `describe`, `list`,
// `history`, `children`, `stop`, `redrive` and `task ...` talk to a server
// over gRPC.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/engine"
)

// clientCommand is one client command: its name (one word, or a group and
// a subcommand), its arguments and flags as the help shows them, what it
// does, and the method that parses its flags and runs it.
type clientCommand struct {
	name, flags, help string
	run               func(c *cli, ctx context.Context, name string, args []string) error
}

// clientCommands are the client commands, in the order the help lists
// them; clientCommand.run gets the arguments after the name.
var clientCommands = []clientCommand{
	{"machine create", "<name> <definition.json> [--role ARN] [--type STANDARD|EXPRESS]\n      [--log-level ALL|ERROR|FATAL|OFF --log-group ARN [--log-data]] [--json]", "", (*cli).machinePut},
	{"machine update", "<name> [definition.json] [--log-level L --log-group ARN [--log-data]] [--json]", "", (*cli).machinePut},
	{"machine describe", "<name>[:<published version>] [--version N] [--json]", "", ignoreName((*cli).machineDescribe)},
	{"machine list", "[--limit N] [--page-token T] [--json]", "", ignoreName((*cli).machineList)},
	{"machine delete", "<name>", "", ignoreName((*cli).machineDelete)},
	{"machine validate", "<definition.json> [--type STANDARD|EXPRESS]", "on the server", ignoreName((*cli).machineValidate)},
	{"start", "<machine>[:<version>|:<alias>] [input-json | @file] [--name N] [--wait | --sync] [--json]", "--sync: EXPRESS", ignoreName((*cli).start)},
	{"describe", "<execution-arn> [--json]", "", ignoreName((*cli).describe)},
	{"list", "[--machine M] [--status S] [--filter CEL] [--limit N] [--page-token T] [--json]", "", ignoreName((*cli).list)},
	{"history", "<execution-arn> [--reverse] [--json]", "", ignoreName((*cli).history)},
	{"children", "<execution-arn> [--kind nested|map-run] [--limit N] [--page-token T] [--json]", "the executions it started", ignoreName((*cli).children)},
	{"stop", "<execution-arn> [--error E] [--cause C]", "", ignoreName((*cli).stop)},
	{"redrive", "<execution-arn> [--client-token T] [--wait] [--json]", "a FAILED, TIMED_OUT or ABORTED one", ignoreName((*cli).redrive)},
	{"maprun describe", "<map-run-arn> [--json]", "a distributed Map's run, with its counts", ignoreName((*cli).mapRunDescribe)},
	{"maprun list", "<execution-arn> [--limit N] [--page-token T] [--json]", "the Map Runs it started", ignoreName((*cli).mapRunList)},
	{"maprun executions", "<map-run-arn> [--status S] [--filter CEL] [--limit N] [--page-token T] [--json]", "", ignoreName((*cli).mapRunExecutions)},
	{"maprun update", "<map-run-arn> [--max-concurrency N] [--tolerated-failure-percentage P]\n      [--tolerated-failure-count C] [--json]", "a running one", ignoreName((*cli).mapRunUpdate)},
	{"version publish", "<machine> [--description D] [--revision R] [--json]", "its latest revision", ignoreName((*cli).versionPublish)},
	{"version list", "<machine> [--limit N] [--page-token T] [--json]", "newest first", ignoreName((*cli).versionList)},
	{"version delete", "<machine> <version>", "not one an alias routes to", ignoreName((*cli).versionDelete)},
	{"alias create", "<machine> <alias> <version>[=<weight>] [<version>=<weight>] [--description D] [--json]", "", (*cli).aliasPut},
	{"alias describe", "<machine> <alias> [--json]", "", ignoreName((*cli).aliasDescribe)},
	{"alias update", "<machine> <alias> [<version>[=<weight>] [<version>=<weight>]] [--description D] [--json]", "", (*cli).aliasPut},
	{"alias list", "<machine> [--limit N] [--page-token T] [--json]", "", ignoreName((*cli).aliasList)},
	{"alias delete", "<machine> <alias>", "", ignoreName((*cli).aliasDelete)},
	{"task success", "<task-token> [output-json | @file]", "", (*cli).taskAnswer},
	{"task failure", "<task-token> [--error E] [--cause C]", "", (*cli).taskAnswer},
	{"task heartbeat", "<task-token>", "", (*cli).taskAnswer},
	{"schedule create", "<name> <expression> <target-arn> [--group G] [--input JSON | @file]\n      [--timezone Z] [--description D] [--window MINUTES] [--catch-up ONE|ALL|NONE] [--disabled] [--json]", "", ignoreName((*cli).scheduleCreate)},
	{"schedule describe", "<name> [--group G] [--json]", "with the next 5 and latest 5 ticks", ignoreName((*cli).scheduleDescribe)},
	{"schedule list", "[--group G] [--prefix P] [--limit N] [--page-token T] [--json]", "", ignoreName((*cli).scheduleList)},
	{"schedule enable", "<name> [--group G]", "", (*cli).scheduleState},
	{"schedule disable", "<name> [--group G]", "", (*cli).scheduleState},
	{"schedule delete", "<name> [--group G]", "", ignoreName((*cli).scheduleDelete)},
}

// ignoreName adapts a command's method that needs no name.
func ignoreName(f func(*cli, context.Context, []string) error) func(*cli, context.Context, string, []string) error {
	return func(c *cli, ctx context.Context, _ string, args []string) error { return f(c, ctx, args) }
}

// cliUsage is the client commands' help, from clientCommands.
var cliUsage = func() string {
	var b strings.Builder
	b.WriteString(`client commands (over gRPC; every one takes --addr, default $STEPWISE_ADDR or
localhost:9090, --token, default $STEPWISE_AUTH_TOKEN, and --timeout):
`)
	for _, cmd := range clientCommands {
		line := "  stepwise " + cmd.name + " " + cmd.flags
		if cmd.help != "" {
			line = fmt.Sprintf("%-50s (%s)", line, cmd.help)
		}
		b.WriteString(line + "\n")
	}
	b.WriteString(`A definition file or an @file may be - for standard input. Exit status: 0 ok,
1 error, 2 usage, 3 the execution of start --wait or --sync, or of redrive
--wait, ended other than SUCCEEDED.
`)
	return b.String()
}()

// isClientCommand reports whether verb starts a client command.
func isClientCommand(verb string) bool {
	for _, cmd := range clientCommands {
		if group, _, _ := strings.Cut(cmd.name, " "); group == verb {
			return true
		}
	}
	return false
}

// Exit codes.
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitNotDone = 3
)

// usageError is a command-line mistake (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitError carries an exit code other than 1 for a reported outcome.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// cli is one client command's connection and output.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	addr, token    string
	timeout        time.Duration
	conn           *grpc.ClientConn
	sm             stepwisev1.StateMachineServiceClient
	exec           stepwisev1.ExecutionServiceClient
	task           stepwisev1.TaskServiceClient
}

// runClient runs a client verb and returns the exit code.
func runClient(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := c.dispatch(ctx, args)
	if c.conn != nil {
		c.conn.Close()
	}
	var ue usageError
	var ec exitCode
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, cliUsage)
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "stepwise: %s\n\n%s", ue.msg, cliUsage)
		return exitUsage
	case errors.As(err, &ec):
		return int(ec)
	}
	c.report(err)
	return exitError
}

// report prints an error as a shell user wants it: the server's message,
// one line per definition problem.
func (c *cli) report(err error) {
	st, ok := status.FromError(err)
	if !ok {
		fmt.Fprintf(c.stderr, "stepwise: %v\n", err)
		return
	}
	switch st.Code() {
	case codes.Unavailable:
		fmt.Fprintf(c.stderr, "stepwise: cannot reach the server at %s: %s\n", c.addr, st.Message())
		return
	case codes.Unauthenticated:
		fmt.Fprintf(c.stderr, "stepwise: %s (set --token or STEPWISE_AUTH_TOKEN)\n", st.Message())
		return
	case codes.DeadlineExceeded:
		fmt.Fprintf(c.stderr, "stepwise: no answer from %s within %s\n", c.addr, c.timeout)
		return
	}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok && len(br.FieldViolations) > 0 {
			fmt.Fprintln(c.stderr, "stepwise: invalid definition:")
			for _, v := range br.FieldViolations {
				fmt.Fprintf(c.stderr, "  %s: %s\n", v.Field, v.Description)
			}
			return
		}
	}
	fmt.Fprintf(c.stderr, "stepwise: %s\n", st.Message())
}

// flags returns a flag set with the connection flags.
func (c *cli) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.addr, "addr", env("STEPWISE_ADDR", "localhost:9090"), "server gRPC address (STEPWISE_ADDR)")
	fs.StringVar(&c.token, "token", env("STEPWISE_AUTH_TOKEN", ""), "bearer token (STEPWISE_AUTH_TOKEN)")
	fs.DurationVar(&c.timeout, "timeout", callTimeout, "timeout of each call (start --sync: "+syncTimeout.String()+")")
	return fs
}

// callTimeout is the default --timeout of a call; syncTimeout that of
// start --sync: an express execution's longest run (the server's HTTP
// WriteTimeout, api.WriteTimeout, is longer still) and a margin for the
// call around it.
const (
	callTimeout = 30 * time.Second
	syncTimeout = engine.ExpressMaxDuration + 30*time.Second
)

// isSet reports whether flag name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// parse parses flags anywhere among the positional arguments ("--" ends
// the flags) and checks the number of positionals.
func parse(fs *flag.FlagSet, args []string, minPos, maxPos int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		// flag.Parse stops at the first positional, or after "--".
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) < minPos || len(pos) > maxPos {
		return nil, usagef("%s: wrong number of arguments", fs.Name())
	}
	return pos, nil
}

type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }

func (c *cli) connect() error {
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if c.token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer(c.token)))
	}
	conn, err := grpc.NewClient(c.addr, opts...)
	if err != nil {
		return fmt.Errorf("server address %q: %w", c.addr, err)
	}
	c.conn = conn
	c.sm = stepwisev1.NewStateMachineServiceClient(conn)
	c.exec = stepwisev1.NewExecutionServiceClient(conn)
	c.task = stepwisev1.NewTaskServiceClient(conn)
	return nil
}

func (c *cli) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.timeout)
}

// readArg returns a file's text ("-" for standard input).
func (c *cli) readFile(path string) (string, error) {
	if path == "-" {
		b, err := io.ReadAll(c.stdin)
		return string(b), err
	}
	b, err := os.ReadFile(path)
	return string(b), err
}

// jsonArg returns an inline JSON argument, or a file's text for @file.
func (c *cli) jsonArg(arg string) (string, error) {
	if name, ok := strings.CutPrefix(arg, "@"); ok {
		return c.readFile(name)
	}
	return arg, nil
}

func (c *cli) printJSON(m proto.Message) {
	b, _ := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(m)
	fmt.Fprintln(c.stdout, string(b))
}

// dispatch finds args' command in clientCommands and runs it.
func (c *cli) dispatch(ctx context.Context, args []string) error {
	name, rest := args[0], args[1:]
	group := false
	for _, cmd := range clientCommands {
		if g, _, ok := strings.Cut(cmd.name, " "); ok && g == name {
			group = true
		}
	}
	if group {
		if len(rest) == 0 {
			return usagef("%s: a subcommand is required", name)
		}
		name, rest = name+" "+rest[0], rest[1:]
	}
	for _, cmd := range clientCommands {
		if cmd.name == name {
			return cmd.run(c, ctx, name, rest)
		}
	}
	return usagef("unknown command %q", name)
}

func (c *cli) machinePut(ctx context.Context, verb string, args []string) error {
	fs := c.flags(verb)
	create := verb == "machine create"
	role, typeName := "", ""
	minPos := 1
	if create {
		fs.StringVar(&role, "role", "", "role ARN")
		fs.StringVar(&typeName, "type", "", "STANDARD (the default) or EXPRESS")
		minPos = 2
	}
	logLevel := fs.String("log-level", "", "which events EXPRESS executions log: ALL, ERROR, FATAL or OFF")
	logGroup := fs.String("log-group", "", "the CloudWatch Logs log group ARN they log to")
	logData := fs.Bool("log-data", false, "log inputs and outputs too")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args, minPos, 2)
	if err != nil {
		return err
	}
	typ, err := typeArg(verb, typeName)
	if err != nil {
		return err
	}
	logging, err := loggingArg(verb, *logLevel, *logGroup, *logData)
	if err != nil {
		return err
	}
	if len(pos) == 1 && logging == nil {
		return usagef("%s: a definition or --log-level is required", verb)
	}
	def := ""
	if len(pos) == 2 {
		if def, err = c.readFile(pos[1]); err != nil {
			return err
		}
	}
	if err := c.connect(); err != nil {
		return err
	}
	ctx, cancel := c.call(ctx)
	defer cancel()
	var sm *stepwisev1.StateMachine
	if create {
		r, err := c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: pos[0], Definition: def, RoleArn: role,
			Type: typ, Logging: logging})
		if err != nil {
			return err
		}
		sm = r.StateMachine
	} else {
		r, err := c.sm.UpdateStateMachine(ctx, &stepwisev1.UpdateStateMachineRequest{Name: pos[0], Definition: def, Logging: logging})
		if err != nil {
			return err
		}
		sm = r.StateMachine
	}
	if *asJSON {
		c.printJSON(sm)
		return nil
	}
	fmt.Fprintf(c.stdout, "%s version %d\n", sm.Arn, sm.Version)
	return nil
}

// typeArg reads a --type flag of command verb: UNSPECIFIED for "".
func typeArg(verb, name string) (stepwisev1.StateMachineType, error) {
	v, ok := stepwisev1.StateMachineType_value["STATE_MACHINE_TYPE_"+strings.ToUpper(name)]
	if name != "" && (!ok || v == 0) {
		return 0, usagef("%s: unknown type %q (STANDARD or EXPRESS)", verb, name)
	}
	return stepwisev1.StateMachineType(v), nil
}

// loggingArg reads the --log-* flags of command verb: nil when
// --log-level is not given.
func loggingArg(verb, level, group string, data bool) (*stepwisev1.LoggingConfiguration, error) {
	if level == "" {
		if group != "" || data {
			return nil, usagef("%s: --log-group and --log-data need --log-level", verb)
		}
		return nil, nil
	}
	v, ok := stepwisev1.LogLevel_value["LOG_LEVEL_"+strings.ToUpper(level)]
	if !ok || v == 0 {
		return nil, usagef("%s: unknown log level %q (ALL, ERROR, FATAL or OFF)", verb, level)
	}
	return &stepwisev1.LoggingConfiguration{Level: stepwisev1.LogLevel(v), LogGroupArn: group, IncludeExecutionData: data}, nil
}

// typeText is a machine's type as the CLI prints it.
func typeText(t stepwisev1.StateMachineType) string {
	if t == stepwisev1.StateMachineType_STATE_MACHINE_TYPE_UNSPECIFIED {
		return "STANDARD"
	}
	return strings.TrimPrefix(t.String(), "STATE_MACHINE_TYPE_")
}

// loggingText is a machine's logging as the CLI prints it.
func loggingText(l *stepwisev1.LoggingConfiguration) string {
	if l == nil {
		return "OFF"
	}
	s := strings.TrimPrefix(l.Level.String(), "LOG_LEVEL_") + " to " + l.LogGroupArn
	if l.IncludeExecutionData {
		s += " (with execution data)"
	}
	return s
}

func (c *cli) machineDescribe(ctx context.Context, args []string) error {
	fs := c.flags("machine describe")
	version := fs.Int("version", 0, "version (default: the latest)")
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
	r, err := c.sm.DescribeStateMachine(ctx, &stepwisev1.DescribeStateMachineRequest{Name: pos[0], Version: int32(*version)})
	if err != nil {
		return err
	}
	if *asJSON {
		c.printJSON(r.StateMachine)
		return nil
	}
	sm := r.StateMachine
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "name:\t%s\narn:\t%s\ntype:\t%s\nversion:\t%d\nrole:\t%s\ncreated:\t%s\nlogging:\t%s\n", sm.Name, sm.Arn, typeText(sm.Type),
		sm.Version, sm.RoleArn, timeText(sm.Created), loggingText(sm.Logging))
	w.Flush()
	fmt.Fprintf(c.stdout, "definition:\n%s\n", strings.TrimRight(sm.Definition, "\n"))
	return nil
}

func (c *cli) machineList(ctx context.Context, args []string) error {
	fs := c.flags("machine list")
	limit := fs.Int("limit", 100, "most machines to list")
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
	r, err := c.sm.ListStateMachines(ctx, &stepwisev1.ListStateMachinesRequest{PageSize: int32(*limit), PageToken: *pageToken})
	if err != nil {
		return err
	}
	if *asJSON {
		c.printJSON(r)
		return nil
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tTYPE\tVERSION\tCREATED")
	for _, sm := range r.StateMachines {
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", sm.Name, typeText(sm.Type), sm.Version, timeText(sm.Created))
	}
	w.Flush()
	c.more(r.NextPageToken)
	return nil
}

func (c *cli) more(token string) {
	if token != "" {
		fmt.Fprintf(c.stderr, "more: --page-token %s\n", token)
	}
}

func (c *cli) machineDelete(ctx context.Context, args []string) error {
	fs := c.flags("machine delete")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := c.connect(); err != nil {
		return err
	}
	ctx, cancel := c.call(ctx)
	defer cancel()
	if _, err := c.sm.DeleteStateMachine(ctx, &stepwisev1.DeleteStateMachineRequest{Name: pos[0]}); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "deleted %s\n", pos[0])
	return nil
}

func (c *cli) machineValidate(ctx context.Context, args []string) error {
	fs := c.flags("machine validate")
	typeName := fs.String("type", "", "EXPRESS: check the Express rules too")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	typ, err := typeArg(fs.Name(), *typeName)
	if err != nil {
		return err
	}
	def, err := c.readFile(pos[0])
	if err != nil {
		return err
	}
	if err := c.connect(); err != nil {
		return err
	}
	ctx, cancel := c.call(ctx)
	defer cancel()
	r, err := c.sm.ValidateStateMachineDefinition(ctx, &stepwisev1.ValidateStateMachineDefinitionRequest{Definition: def, Type: typ})
	if err != nil {
		return err
	}
	if r.Result == "OK" {
		fmt.Fprintf(c.stdout, "%s: valid\n", pos[0])
		return nil
	}
	for _, d := range r.Diagnostics {
		fmt.Fprintf(c.stderr, "%s: %s: %s\n", pos[0], d.Location, d.Message)
	}
	return exitCode(exitError)
}

func (c *cli) start(ctx context.Context, args []string) error {
	fs := c.flags("start")
	name := fs.String("name", "", "execution name (default: a UUID)")
	wait := fs.Bool("wait", false, "wait for the execution to end and print its output")
	sync := fs.Bool("sync", false, "run an EXPRESS execution to its end (StartSyncExecution) and print its output")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args, 1, 2)
	if err != nil {
		return err
	}
	if *wait && *sync {
		return usagef("start: --wait and --sync do not go together")
	}
	input := ""
	if len(pos) == 2 {
		if input, err = c.jsonArg(pos[1]); err != nil {
			return err
		}
	}
	if err := c.connect(); err != nil {
		return err
	}
	if *sync {
		if !isSet(fs, "timeout") {
			c.timeout = syncTimeout
		}
		cctx, cancel := c.call(ctx)
		defer cancel()
		r, err := c.exec.StartSyncExecution(cctx, &stepwisev1.StartSyncExecutionRequest{StateMachineName: pos[0], Name: *name, Input: input})
		if err != nil {
			return err
		}
		return c.outcome(r.Execution, *asJSON)
	}
	cctx, cancel := c.call(ctx)
	r, err := c.exec.StartExecution(cctx, &stepwisev1.StartExecutionRequest{StateMachineName: pos[0], Name: *name, Input: input})
	cancel()
	if err != nil {
		return err
	}
	if !*wait {
		if *asJSON {
			c.printJSON(r.Execution)
		} else {
			fmt.Fprintln(c.stdout, r.Execution.Arn)
		}
		return nil
	}
	x, err := c.waitFor(ctx, r.Execution.Arn)
	if err != nil {
		return err
	}
	return c.outcome(x, *asJSON)
}

// outcome prints an ended execution: as JSON, or its output when it
// SUCCEEDED; otherwise its status, error and cause on stderr, and exit
// status 3.
func (c *cli) outcome(x *stepwisev1.Execution, asJSON bool) error {
	if asJSON {
		c.printJSON(x)
	} else if x.Status == stepwisev1.ExecutionStatus_EXECUTION_STATUS_SUCCEEDED {
		fmt.Fprintln(c.stdout, x.Output)
	}
	if x.Status != stepwisev1.ExecutionStatus_EXECUTION_STATUS_SUCCEEDED {
		fmt.Fprintf(c.stderr, "stepwise: execution %s %s", x.Arn, statusText(x.Status))
		if x.Error != "" {
			fmt.Fprintf(c.stderr, ": %s", x.Error)
		}
		if x.Cause != "" {
			fmt.Fprintf(c.stderr, ": %s", x.Cause)
		}
		fmt.Fprintln(c.stderr)
		return exitCode(exitNotDone)
	}
	return nil
}

// waitFor polls an execution until it is no longer RUNNING, backing off
// from 50ms to 1s.
func (c *cli) waitFor(ctx context.Context, arn string) (*stepwisev1.Execution, error) {
	delay := 50 * time.Millisecond
	for {
		cctx, cancel := c.call(ctx)
		r, err := c.exec.DescribeExecution(cctx, &stepwisev1.DescribeExecutionRequest{Arn: arn})
		cancel()
		if err != nil {
			return nil, err
		}
		if r.Execution.Status != stepwisev1.ExecutionStatus_EXECUTION_STATUS_RUNNING {
			return r.Execution, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped waiting; the execution %s is still running", arn)
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}

func statusText(s stepwisev1.ExecutionStatus) string {
	return strings.TrimPrefix(s.String(), "EXECUTION_STATUS_")
}

func timeText(t *stepwisev1.Time) string {
	if t == nil {
		return "-"
	}
	return t.Rfc3339
}

func (c *cli) describe(ctx context.Context, args []string) error {
	fs := c.flags("describe")
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
	r, err := c.exec.DescribeExecution(ctx, &stepwisev1.DescribeExecutionRequest{Arn: pos[0]})
	if err != nil {
		return err
	}
	x := r.Execution
	if *asJSON {
		c.printJSON(x)
		return nil
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "arn:\t%s\nstatus:\t%s\nmachine:\t%s (version %d)\nstarted:\t%s\nstopped:\t%s\ninput:\t%s\n",
		x.Arn, statusText(x.Status), x.StateMachineName, x.StateMachineVersion, timeText(x.StartTime), timeText(x.StopTime), x.Input)
	if x.Output != "" {
		fmt.Fprintf(w, "output:\t%s\n", x.Output)
	}
	if x.Error != "" || x.Cause != "" {
		fmt.Fprintf(w, "error:\t%s\ncause:\t%s\n", x.Error, x.Cause)
	}
	if x.ParentArn != "" {
		fmt.Fprintf(w, "parent:\t%s\n", x.ParentArn)
	}
	if x.MapRunArn != "" {
		fmt.Fprintf(w, "map run:\t%s\n", x.MapRunArn)
	}
	if x.RedriveCount > 0 {
		fmt.Fprintf(w, "redrives:\t%d (last %s)\n", x.RedriveCount, timeText(x.RedriveDate))
	}
	if x.Status != stepwisev1.ExecutionStatus_EXECUTION_STATUS_RUNNING && x.Status != stepwisev1.ExecutionStatus_EXECUTION_STATUS_SUCCEEDED &&
		x.RedriveStatus != stepwisev1.RedriveStatus_REDRIVE_STATUS_UNSPECIFIED {
		rs := strings.TrimPrefix(x.RedriveStatus.String(), "REDRIVE_STATUS_")
		if x.RedriveStatusReason != "" {
			rs += " (" + x.RedriveStatusReason + ")"
		}
		fmt.Fprintf(w, "redrive:\t%s\n", rs)
	}
	return w.Flush()
}

func (c *cli) list(ctx context.Context, args []string) error {
	fs := c.flags("list")
	machine := fs.String("machine", "", "only this state machine's executions")
	statusName := fs.String("status", "", "only executions with this status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED)")
	filter := fs.String("filter", "", `CEL filter, e.g. 'status == "FAILED" && input.customer.tier == "gold"'`)
	limit := fs.Int("limit", 100, "most executions to list")
	pageToken := fs.String("page-token", "", "continue a listing")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	st, err := statusArg(fs.Name(), *statusName)
	if err != nil {
		return err
	}
	req := &stepwisev1.ListExecutionsRequest{StateMachineName: *machine, Status: st, Filter: *filter, PageSize: int32(*limit), PageToken: *pageToken}
	if err := c.connect(); err != nil {
		return err
	}
	ctx, cancel := c.call(ctx)
	defer cancel()
	r, err := c.exec.ListExecutions(ctx, req)
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

// statusArg reads a --status flag of command verb: "" for any.
func statusArg(verb, name string) (stepwisev1.ExecutionStatus, error) {
	if name == "" {
		return stepwisev1.ExecutionStatus_EXECUTION_STATUS_UNSPECIFIED, nil
	}
	v, ok := stepwisev1.ExecutionStatus_value["EXECUTION_STATUS_"+strings.ToUpper(name)]
	if !ok || v == 0 {
		return 0, usagef("%s: unknown status %q", verb, name)
	}
	return stepwisev1.ExecutionStatus(v), nil
}

// printExecutions prints a page of executions as a table, and the next
// page's token.
func (c *cli) printExecutions(xs []*stepwisev1.Execution, next string) {
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tSTATUS\tMACHINE\tSTARTED\tSTOPPED\tARN")
	for _, x := range xs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", x.Name, statusText(x.Status), x.StateMachineName, timeText(x.StartTime), timeText(x.StopTime), x.Arn)
	}
	w.Flush()
	c.more(next)
}

func (c *cli) history(ctx context.Context, args []string) error {
	fs := c.flags("history")
	reverse := fs.Bool("reverse", false, "newest event first")
	asJSON := fs.Bool("json", false, "print the events as JSON")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := c.connect(); err != nil {
		return err
	}
	all := &stepwisev1.GetExecutionHistoryResponse{}
	for tok := ""; ; {
		cctx, cancel := c.call(ctx)
		r, err := c.exec.GetExecutionHistory(cctx, &stepwisev1.GetExecutionHistoryRequest{Arn: pos[0], ReverseOrder: *reverse, PageToken: tok})
		cancel()
		if err != nil {
			return err
		}
		all.Events = append(all.Events, r.Events...)
		if tok = r.NextPageToken; tok == "" {
			break
		}
	}
	if *asJSON {
		c.printJSON(all)
		return nil
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tTIME\tTYPE\tDETAILS")
	for _, ev := range all.Events {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", ev.Id, timeText(ev.Timestamp), ev.Type, summary(ev.Details))
	}
	return w.Flush()
}

// summary shortens an event's details for the history table.
func summary(details string) string {
	if details == "" || details == "{}" {
		return ""
	}
	const max = 100
	if r := []rune(details); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return details
}

func (c *cli) stop(ctx context.Context, args []string) error {
	fs := c.flags("stop")
	errName := fs.String("error", "", "error name")
	cause := fs.String("cause", "", "cause")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := c.connect(); err != nil {
		return err
	}
	ctx, cancel := c.call(ctx)
	defer cancel()
	r, err := c.exec.StopExecution(ctx, &stepwisev1.StopExecutionRequest{Arn: pos[0], Error: *errName, Cause: *cause})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s %s at %s\n", r.Execution.Arn, statusText(r.Execution.Status), timeText(r.Execution.StopTime))
	return nil
}

func (c *cli) redrive(ctx context.Context, args []string) error {
	fs := c.flags("redrive")
	token := fs.String("client-token", "", "the same token within 15 minutes answers that redrive again")
	wait := fs.Bool("wait", false, "wait for the execution to end and print its output")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := c.connect(); err != nil {
		return err
	}
	cctx, cancel := c.call(ctx)
	r, err := c.exec.RedriveExecution(cctx, &stepwisev1.RedriveExecutionRequest{Arn: pos[0], ClientToken: *token})
	cancel()
	if err != nil {
		return err
	}
	x := r.Execution
	if *wait {
		if x, err = c.waitFor(ctx, x.Arn); err != nil {
			return err
		}
		return c.outcome(x, *asJSON)
	}
	if *asJSON {
		c.printJSON(x)
		return nil
	}
	fmt.Fprintf(c.stdout, "%s redriven at %s (redrive %d), %s\n", x.Arn, timeText(x.RedriveDate), x.RedriveCount, statusText(x.Status))
	return nil
}

func (c *cli) taskAnswer(ctx context.Context, verb string, args []string) error {
	fs := c.flags(verb)
	var errName, cause *string
	maxPos := 1
	switch verb {
	case "task failure":
		errName = fs.String("error", "", "error name")
		cause = fs.String("cause", "", "cause")
	case "task success":
		maxPos = 2
	}
	pos, err := parse(fs, args, 1, maxPos)
	if err != nil {
		return err
	}
	output := "{}"
	if len(pos) == 2 {
		if output, err = c.jsonArg(pos[1]); err != nil {
			return err
		}
	}
	if err := c.connect(); err != nil {
		return err
	}
	ctx, cancel := c.call(ctx)
	defer cancel()
	switch verb {
	case "task success":
		_, err = c.task.SendTaskSuccess(ctx, &stepwisev1.SendTaskSuccessRequest{TaskToken: pos[0], Output: output})
	case "task failure":
		_, err = c.task.SendTaskFailure(ctx, &stepwisev1.SendTaskFailureRequest{TaskToken: pos[0], Error: *errName, Cause: *cause})
	default:
		_, err = c.task.SendTaskHeartbeat(ctx, &stepwisev1.SendTaskHeartbeatRequest{TaskToken: pos[0]})
	}
	return err
}
