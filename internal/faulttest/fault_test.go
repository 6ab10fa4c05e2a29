//go:build faults

package faulttest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/internal/testserver"
	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/natstest"
)

// The test binary doubles as the worker process: with FAULTTEST_WORKER_NATS
// set it runs the workers below instead of the tests, so that a worker can
// be SIGKILLed like any process.
func TestMain(m *testing.M) {
	if url := os.Getenv("FAULTTEST_WORKER_NATS"); url != "" {
		os.Exit(workerMain(url, os.Getenv("FAULTTEST_LEDGER")))
	}
	os.Exit(m.Run())
}

const fn = "arn:aws:lambda:us-east-1:111111111111:function:"

// machine is one kind of execution in the mixed load, with the output its
// input must produce and how many tasks it completes.
type machine struct {
	name, definition string
	input, output    func(i int) string
	succeeded        int // TaskSucceeded events
	failed           int // TaskFailed events (then retried)
}

var machines = []machine{
	{
		name: "chain",
		definition: `{"StartAt":"I1","States":{` +
			`"I1":{"Type":"Task","Resource":"` + fn + `inc","Next":"I2"},` +
			`"I2":{"Type":"Task","Resource":"` + fn + `inc","Next":"I3"},` +
			`"I3":{"Type":"Task","Resource":"` + fn + `inc","Next":"I4"},` +
			`"I4":{"Type":"Task","Resource":"` + fn + `inc","Next":"I5"},` +
			`"I5":{"Type":"Task","Resource":"` + fn + `inc","End":true}}}`,
		input:     func(i int) string { return fmt.Sprintf(`{"n":%d}`, i) },
		output:    func(i int) string { return fmt.Sprintf(`{"n":%d}`, i+5) },
		succeeded: 5,
	},
	{
		name: "fan",
		definition: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ResultPath":"$.r","End":true,` +
			`"ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"D","States":{"D":{"Type":"Task","Resource":"` + fn + `double","End":true}}}}}}`,
		input: func(i int) string { return fmt.Sprintf(`{"items":[%d,%d,%d,%d,%d,%d]}`, i, i+1, i+2, i+3, i+4, i+5) },
		output: func(i int) string {
			return fmt.Sprintf(`{"items":[%d,%d,%d,%d,%d,%d],"r":[%d,%d,%d,%d,%d,%d]}`, i, i+1, i+2, i+3, i+4, i+5,
				2*i, 2*(i+1), 2*(i+2), 2*(i+3), 2*(i+4), 2*(i+5))
		},
		succeeded: 6,
	},
	{
		name: "retry",
		definition: `{"StartAt":"F","States":{"F":{"Type":"Task","Resource":"` + fn + `flaky","End":true,` +
			`"Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1,"MaxAttempts":2,"BackoffRate":1}]}}}`,
		input:     func(i int) string { return fmt.Sprintf(`{"i":%d}`, i) },
		output:    func(i int) string { return `{"ok":2}` },
		succeeded: 1, failed: 1,
	},
	{
		name: "wait",
		definition: `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":2,"Next":"P"},` +
			`"P":{"Type":"Pass","Parameters":{"waited.$":"$.i"},"End":true}}}`,
		input:  func(i int) string { return fmt.Sprintf(`{"i":%d}`, i) },
		output: func(i int) string { return fmt.Sprintf(`{"waited":%d}`, i) },
	},
	{
		name: "callback",
		definition: `{"StartAt":"C","States":{"C":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",` +
			`"Parameters":{"FunctionName":"cb","Payload":{"token.$":"$$.Task.Token","n.$":"$.i"}},"End":true}}}`,
		input:     func(i int) string { return fmt.Sprintf(`{"i":%d}`, i) },
		output:    func(i int) string { return fmt.Sprintf(`{"cb":%d}`, i) },
		succeeded: 1,
	},
}

// workerMain runs the handlers the machines call. Each handler appends
// "start <pid> <token> <attempt>" to the ledger when it begins and "done
// ..." when it completed (one write per line, O_APPEND), so the test can
// count tasks cut short by a kill and tasks workers ran more than once.
func workerMain(url, ledger string) int {
	nc, err := nats.Connect(url, nats.Name("faulttest worker"), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer nc.Close()
	f, err := os.OpenFile(ledger, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	done := func(ctx context.Context) {
		info, _ := workers.TaskInfoFromContext(ctx)
		fmt.Fprintf(f, "done %d %s %d\n", os.Getpid(), info.Token, info.Attempt)
	}
	// Handlers take a few milliseconds, so that kills land mid-task.
	busy := func(ctx context.Context) {
		info, _ := workers.TaskInfoFromContext(ctx)
		fmt.Fprintf(f, "start %d %s %d\n", os.Getpid(), info.Token, info.Attempt)
		time.Sleep(time.Duration(5+mrand.IntN(30)) * time.Millisecond)
	}
	w, err := workers.New(nc, &workers.Config{MaxConcurrency: 8, AckWait: 3 * time.Second, ShutdownTimeout: time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	workers.HandleFunc(w, "inc", func(ctx context.Context, in struct{ N int }) (map[string]int, error) {
		busy(ctx)
		done(ctx)
		return map[string]int{"n": in.N + 1}, nil
	})
	workers.HandleFunc(w, "double", func(ctx context.Context, n int) (int, error) {
		busy(ctx)
		done(ctx)
		return 2 * n, nil
	})
	workers.HandleFunc(w, "flaky", func(ctx context.Context, _ json.RawMessage) (map[string]int, error) {
		busy(ctx)
		info, _ := workers.TaskInfoFromContext(ctx)
		done(ctx)
		if info.Attempt == 1 {
			return nil, workers.Fail("Flaky", "the first attempt fails")
		}
		return map[string]int{"ok": info.Attempt}, nil
	})
	workers.HandleFunc(w, "cb", func(ctx context.Context, in struct {
		Token string `json:"token"`
		N     int    `json:"n"`
	}) (struct{}, error) {
		busy(ctx)
		out, _ := json.Marshal(map[string]int{"cb": in.N})
		if err := workers.SendSuccess(ctx, nc, in.Token, out); err != nil {
			return struct{}{}, err
		}
		// A client that retries sends its callback twice; the second, with
		// another output, must change nothing.
		if err := workers.SendSuccess(ctx, nc, in.Token, json.RawMessage(`{"cb":"duplicate"}`)); err != nil {
			return struct{}{}, err
		}
		done(ctx)
		return struct{}{}, nil
	})
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := w.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// proc is a child process that can be killed and started again.
type proc struct {
	t    *testing.T
	name string
	argv []string
	env  []string
	log  *os.File

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.cmd, p.done = cmd, done
}

// signal sends sig and waits (up to 10 s, then SIGKILL) for the exit.
func (p *proc) signal(sig syscall.Signal) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// send sends sig and returns at once (SIGSTOP, SIGCONT).
func (p *proc) send(sig syscall.Signal) {
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Signal(sig)
	}
}

func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// waitBusy waits until the ledger shows a handler of process pid running,
// or d passed.
func waitBusy(ledger string, pid int, d time.Duration) {
	prefix := fmt.Sprintf(" %d ", pid)
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
		b, _ := os.ReadFile(ledger)
		open := map[string]bool{}
		for _, l := range strings.Split(string(b), "\n") {
			if kind, run, ok := strings.Cut(l, prefix); ok {
				open[run] = kind == "start"
			}
		}
		for _, running := range open {
			if running {
				return
			}
		}
	}
}

func dsn() string {
	if s := os.Getenv("STEPWISE_TEST_DATABASE_URL"); s != "" {
		return s
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// schema creates a fresh schema and returns a DSN into it whose backends
// carry application_name = the schema, so that the test terminates only
// its own engine's backends.
func schema(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn())
	if err != nil {
		if os.Getenv("STEPWISE_REQUIRE_DB") == "1" {
			t.Fatalf("database unreachable: %v", err)
		}
		t.Skipf("database unreachable: %v", err)
	}
	defer admin.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "swfault_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn())
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE")
			c.Close(context.Background())
		}
	})
	sep := "?"
	if strings.Contains(dsn(), "?") {
		sep = "&"
	}
	return dsn() + sep + "search_path=" + name + "&application_name=" + name, name
}

// retry calls f until it succeeds or d passes.
func retry(ctx context.Context, d time.Duration, f func(context.Context) error) error {
	deadline := time.Now().Add(d)
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := f(cctx)
		cancel()
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type started struct {
	m   *machine
	i   int
	arn string
	exc stepwisev1.ExecutionServiceClient
}

// probeMachine runs one task: after each fault the suite starts one and
// times how long the installation takes to run it to the end.
var probeMachine = machine{name: "probe", definition: `{"StartAt":"I","States":{"I":{"Type":"Task","Resource":"` + fn + `inc","End":true}}}`}

// takeoverMachine waits until the time its input names, then runs one
// task: the fault "replica" SIGKILLs a replica that has claimed such
// Waits' timers, all due at one instant.
var takeoverMachine = machine{
	name: "takeover",
	definition: `{"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.at","Next":"I"},` +
		`"I":{"Type":"Task","Resource":"` + fn + `inc","End":true}}}`,
	output:    func(i int) string { return fmt.Sprintf(`{"n":%d}`, i+1) },
	succeeded: 1,
}

// createMachines creates machines (and the probe's) on an installation,
// retrying while its engine starts.
func createMachines(t *testing.T, smc stepwisev1.StateMachineServiceClient, ms []machine) {
	t.Helper()
	for _, m := range append(append([]machine(nil), ms...), probeMachine) {
		if err := retry(context.Background(), 60*time.Second, func(ctx context.Context) error {
			_, err := smc.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: m.name, Definition: m.definition})
			return err
		}); err != nil {
			t.Fatalf("CreateStateMachine(%q) = %v", m.name, err)
		}
	}
}

// load starts executions of ms, round robin, one every period until stop
// is closed (and at least min of them), each under a name unique to the
// run. A start that fails (the engine is down) is retried under the same
// name. It returns the started executions and the starts that failed.
type load struct {
	mu       sync.Mutex
	runs     []started
	startErr []string
	done     chan struct{}
}

func startLoad(exc stepwisev1.ExecutionServiceClient, prefix string, ms []machine, period time.Duration, min int, stop <-chan struct{}) *load {
	l := &load{done: make(chan struct{})}
	ctx := context.Background()
	go func() {
		defer close(l.done)
		var wg sync.WaitGroup
		tick := time.NewTicker(period)
		defer tick.Stop()
		for i := 0; ; i++ {
			if i >= min {
				select {
				case <-stop:
					wg.Wait()
					return
				default:
				}
			}
			<-tick.C
			m := &ms[i%len(ms)]
			wg.Go(func() {
				var arn string
				name, tries := fmt.Sprintf("%s%s-%d", prefix, m.name, i), 0
				err := retry(ctx, 90*time.Second, func(ctx context.Context) error {
					tries++
					resp, err := exc.StartExecution(ctx, &stepwisev1.StartExecutionRequest{
						StateMachineName: m.name, Name: name, Input: m.input(i)})
					if err == nil {
						arn = resp.GetExecution().GetArn()
						return nil
					}
					if status.Code(err) == codes.AlreadyExists && tries > 1 {
						// An earlier try started it (its answer was lost) and it
						// has ended since: AWS takes the name of an ended
						// execution for good. Names are unique to this run.
						x, derr := exc.DescribeExecution(ctx, &stepwisev1.DescribeExecutionRequest{
							Arn: "arn:aws:states:us-east-1:111111111111:execution:" + m.name + ":" + name})
						if derr == nil && x.GetExecution().GetInput() == m.input(i) {
							arn = x.GetExecution().GetArn()
							return nil
						}
					}
					return err
				})
				l.mu.Lock()
				defer l.mu.Unlock()
				if err != nil {
					l.startErr = append(l.startErr, fmt.Sprintf("%s: %v", name, err))
					return
				}
				l.runs = append(l.runs, started{m: m, i: i, arn: arn, exc: exc})
			})
		}
	}()
	return l
}

// probe starts an execution of the probe machine on exc (retrying while
// the engine is down) and returns how long it took from the call until
// the execution SUCCEEDED; it gives up after two minutes.
func probe(exc stepwisev1.ExecutionServiceClient, name string) (time.Duration, error) {
	ctx := context.Background()
	t0 := time.Now()
	var arn string
	err := retry(ctx, 120*time.Second, func(ctx context.Context) error {
		resp, err := exc.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: probeMachine.name, Name: name, Input: `{"n":1}`})
		if status.Code(err) == codes.AlreadyExists {
			arn, err = "arn:aws:states:us-east-1:111111111111:execution:"+probeMachine.name+":"+name, nil
		} else {
			arn = resp.GetExecution().GetArn()
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("start probe %s: %w", name, err)
	}
	for time.Since(t0) < 120*time.Second {
		resp, err := exc.DescribeExecution(ctx, &stepwisev1.DescribeExecutionRequest{Arn: arn})
		switch st := resp.GetExecution().GetStatus(); {
		case err != nil, st == stepwisev1.ExecutionStatus_EXECUTION_STATUS_RUNNING:
			time.Sleep(50 * time.Millisecond)
		case st == stepwisev1.ExecutionStatus_EXECUTION_STATUS_SUCCEEDED && sameJSON(resp.GetExecution().GetOutput(), `{"n":2}`):
			return time.Since(t0), nil
		default:
			return 0, fmt.Errorf("probe %s ended %s %s %s", name, st, resp.GetExecution().GetError(), resp.GetExecution().GetOutput())
		}
	}
	return 0, fmt.Errorf("probe %s still RUNNING after two minutes", name)
}

// TestFaults runs a mixed load against the real binary while it injects
// faults, then checks every execution.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault suite takes minutes")
	}
	dir := t.TempDir()
	db, app := schema(t)

	bin := filepath.Join(dir, "stepwise")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/stepwise").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ns, err := natstest.New(filepath.Join(dir, "nats"))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()

	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	grpcAddr := testserver.FreeAddr(t)
	// The installation's namespace on NATS, given to the server and to its
	// workers alike.
	nsb := make([]byte, 4)
	_, _ = rand.Read(nsb)
	namespace := "faults-" + hex.EncodeToString(nsb)
	srv := &proc{t: t, name: "stepwise server", log: logf,
		argv: []string{bin, "server", "-db", db, "-nats", ns.URL(), "-namespace", namespace, "-http", "127.0.0.1:0", "-grpc", grpcAddr, "-poll", "100ms"}}
	srv.start()
	defer srv.signal(syscall.SIGKILL)
	// Two more replicas of the installation (same database and NATS, no
	// client of their own): they share the timers, the result consumer and
	// the group commits; the fault "replica" SIGKILLs the first of them,
	// whose backends carry their own application_name (app-victim) so
	// that the fault can tell them from the others'.
	var replicas []*proc
	for i := range 2 {
		rdb := db
		if i == 0 {
			rdb = strings.Replace(db, "application_name="+app, "application_name="+app+"-victim", 1)
		}
		r := &proc{t: t, name: fmt.Sprintf("replica %d", i+2), log: logf,
			argv: []string{bin, "server", "-db", rdb, "-nats", ns.URL(), "-namespace", namespace, "-http", "127.0.0.1:0", "-grpc", "127.0.0.1:0", "-poll", "100ms"}}
		r.start()
		defer r.signal(syscall.SIGKILL)
		replicas = append(replicas, r)
	}
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("server log (tail):\n%s", tail(string(b), 4000))
		}
	}()

	ledger := filepath.Join(dir, "ledger")
	wlog, err := os.Create(filepath.Join(dir, "workers.log"))
	if err != nil {
		t.Fatal(err)
	}
	var wks []*proc
	for i := range 2 {
		w := &proc{t: t, name: fmt.Sprintf("worker %d", i), log: wlog, argv: []string{os.Args[0], "-test.run=^$"},
			env: []string{"FAULTTEST_WORKER_NATS=" + ns.URL(), "FAULTTEST_LEDGER=" + ledger, "STEPWISE_NAMESPACE=" + namespace}}
		w.start()
		defer w.signal(syscall.SIGKILL)
		wks = append(wks, w)
	}

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exc := stepwisev1.NewExecutionServiceClient(conn)
	ctx := context.Background()
	createMachines(t, stepwisev1.NewStateMachineServiceClient(conn), append(machines[:len(machines):len(machines)], takeoverMachine))

	// The second installation: `stepwise dev` with SQLite in its own data
	// dir, on the same NATS under another namespace, with a worker of
	// its own; started by the fault "install2".
	dataDir2 := filepath.Join(dir, "dev2")
	ns2 := namespace + "-2"
	grpc2 := testserver.FreeAddr(t)
	devArgs := func(grpcAddr string) []string {
		return []string{bin, "dev", "--data-dir", dataDir2, "--nats", ns.URL(), "--namespace", ns2, "--workers=false",
			"--http", testserver.FreeAddr(t), "--grpc", grpcAddr, "--nats-listen", testserver.FreeAddr(t), "--poll", "100ms"}
	}
	dev2 := &proc{t: t, name: "stepwise dev (second installation)", log: logf, argv: devArgs(grpc2)}
	ledger2 := filepath.Join(dir, "ledger2")
	wk2 := &proc{t: t, name: "worker of the second installation", log: wlog, argv: []string{os.Args[0], "-test.run=^$"},
		env: []string{"FAULTTEST_WORKER_NATS=" + ns.URL(), "FAULTTEST_LEDGER=" + ledger2, "STEPWISE_NAMESPACE=" + ns2}}
	var exc2 stepwisev1.ExecutionServiceClient
	defer dev2.signal(syscall.SIGKILL)
	defer wk2.signal(syscall.SIGKILL)

	// The load runs until the faults end: one execution every 100 ms,
	// round robin over the machines (on the second installation, one
	// every 300 ms over chain and fan once it is installed).
	faultsDone := make(chan struct{})
	loads := []*load{startLoad(exc, "", machines, 100*time.Millisecond, 100, faultsDone)}

	// The faults, one after the other while the load runs. After each, a
	// probe execution on the installation it hit measures how long that
	// installation took to run a task again (the recovery time).
	faults := []string{"engine", "worker", "nats", "install2", "postgres", "natswipe", "replica", "engine", "datadir", "worker", "postgres",
		"nats", "dev2kill", "replica", "engine", "natswipe", "worker", "replica", "datadir", "postgres", "engine", "worker", "nats"}
	recovery := map[string]time.Duration{}
	injected := 0
	// The executions whose timers the killed replica held, checked with
	// the load's; and per replica kill, how long after it the timers were
	// taken over and how long before it they had been claimed.
	held := &load{done: make(chan struct{})}
	close(held.done)
	loads = append(loads, held)
	var takeovers []string
	for k, f := range faults {
		time.Sleep(time.Duration(1200+mrand.IntN(400)) * time.Millisecond)
		hits2 := exc2 != nil // the NATS faults hit both installations
		switch f {
		case "engine":
			srv.signal(syscall.SIGKILL)
			time.Sleep(300 * time.Millisecond)
			srv.start()
			hits2 = false
		case "replica":
			// SIGKILL the same one of the three replicas (not the one the
			// clients call) each time, while it holds claimed timers; it is
			// restarted at once.
			runs, after, before, err := takeover(exc, app, replicas[0], []*proc{srv, replicas[1]}, k)
			held.runs = append(held.runs, runs...)
			if err != nil {
				t.Errorf("fault %d (replica): %v", injected+1, err)
				replicas[0].signal(syscall.SIGKILL) // killed all the same
			} else {
				takeovers = append(takeovers, fmt.Sprintf("%.1fs", after.Seconds()))
				t.Logf("replica SIGKILLed %.2f s after it claimed %d timers; another replica took them over %.2f s after the kill", before.Seconds(), len(runs), after.Seconds())
				// The lease (4 s) counts from the claim; one poll interval
				// (100 ms) and a loaded machine's delay come on top.
				if since := before + after; since > 6*time.Second {
					t.Errorf("fault %d (replica): timers taken over %.1f s after their claim; want within the 4 s lease (+2 s)", injected+1, since.Seconds())
				}
			}
			time.Sleep(300 * time.Millisecond)
			replicas[0].start()
			hits2 = false
		case "worker":
			// Kill a worker while one of its handlers runs.
			w := wks[k%len(wks)]
			waitBusy(ledger, w.pid(), 5*time.Second)
			w.signal(syscall.SIGKILL)
			time.Sleep(300 * time.Millisecond)
			w.start()
			hits2 = false
		case "nats":
			if err := ns.Restart(); err != nil {
				t.Fatalf("restart NATS: %v", err)
			}
		case "natswipe":
			// JetStream loses every stream, consumer and message.
			if err := ns.WipeStore(); err != nil {
				t.Fatalf("wipe the NATS store: %v", err)
			}
		case "postgres":
			n, err := terminateBackends(ctx, app)
			if err != nil {
				t.Fatalf("pg_terminate_backend: %v", err)
			}
			t.Logf("terminated %d backends", n)
			hits2 = false
		case "install2":
			dev2.start()
			wk2.start()
			conn2, err := grpc.NewClient(grpc2, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			defer conn2.Close()
			createMachines(t, stepwisev1.NewStateMachineServiceClient(conn2), machines[:2])
			exc2 = stepwisev1.NewExecutionServiceClient(conn2)
			loads = append(loads, startLoad(exc2, "second-", machines[:2], 300*time.Millisecond, 20, faultsDone))
			hits2 = true
		case "datadir":
			// Another `stepwise dev` on the second installation's data dir
			// must exit at once, harming nothing.
			if code, out := runOnce(devArgs(testserver.FreeAddr(t)), 20*time.Second); code != 1 || !strings.Contains(out, "in use") {
				t.Errorf("a second stepwise dev on the data dir = exit %d, %q; want exit 1 saying it is in use", code, tail(out, 500))
			}
			hits2 = true
		case "dev2kill":
			dev2.signal(syscall.SIGKILL)
			time.Sleep(300 * time.Millisecond)
			dev2.start()
			hits2 = true
		}
		injected++
		targets := map[string]stepwisev1.ExecutionServiceClient{"": exc}
		if hits2 {
			targets = map[string]stepwisev1.ExecutionServiceClient{"second-": exc2}
			if f == "nats" || f == "natswipe" {
				targets[""] = exc
			}
		}
		var took time.Duration
		for prefix, c := range targets {
			d, err := probe(c, fmt.Sprintf("%sprobe-%d", prefix, k))
			if err != nil {
				t.Errorf("fault %d (%s): %v", injected, f, err)
			}
			took = max(took, d)
		}
		recovery[f] = max(recovery[f], took)
		t.Logf("fault %d: %s (a task ran to the end %.1f s after it)", injected, f, took.Seconds())
	}
	close(faultsDone)
	for _, l := range loads {
		<-l.done
	}

	// Every execution must end. A task whose publish was lost when the
	// engine died is re-dispatched after the engine's dispatch timeout,
	// a result held by a killed engine comes back after the result
	// consumer's AckWait: allow a few of those.
	var runs []started
	total := 0
	for _, l := range loads {
		l.mu.Lock()
		for _, e := range l.startErr {
			t.Errorf("start: %s", e)
		}
		total += len(l.runs) + len(l.startErr)
		runs = append(runs, l.runs...)
		l.mu.Unlock()
	}
	deadline := time.Now().Add(150 * time.Second)
	outcome := map[string]*stepwisev1.Execution{}
	for _, r := range runs {
		for {
			var x *stepwisev1.Execution
			err := retry(ctx, 30*time.Second, func(ctx context.Context) error {
				resp, err := r.exc.DescribeExecution(ctx, &stepwisev1.DescribeExecutionRequest{Arn: r.arn})
				x = resp.GetExecution()
				return err
			})
			if err == nil && x.GetStatus() != stepwisev1.ExecutionStatus_EXECUTION_STATUS_RUNNING {
				outcome[r.arn] = x
				break
			}
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	lost, dup := total-len(runs), 0
	for _, r := range runs {
		x := outcome[r.arn]
		switch {
		case x == nil:
			lost++
			t.Errorf("%s: still RUNNING after the drain", r.arn)
			continue
		case x.GetStatus() != stepwisev1.ExecutionStatus_EXECUTION_STATUS_SUCCEEDED:
			lost++
			t.Errorf("%s: %s %s %s; want SUCCEEDED", r.arn, x.GetStatus(), x.GetError(), x.GetCause())
			continue
		case !sameJSON(x.GetOutput(), r.m.output(r.i)):
			lost++
			t.Errorf("%s: output %s; want %s", r.arn, x.GetOutput(), r.m.output(r.i))
			continue
		}
		evs, err := history(ctx, r.exc, r.arn)
		if err != nil {
			t.Errorf("GetExecutionHistory(%q) = %v", r.arn, err)
			lost++
			continue
		}
		if problem := checkHistory(evs, r.m); problem != "" {
			dup++
			t.Errorf("%s: history: %s", r.arn, problem)
		}
	}
	cut, reruns := readLedger(t, ledger)
	cut2, reruns2 := readLedger(t, ledger2)
	t.Logf("worker kills cut %d handlers short; workers completed %d tasks more than once (at-least-once delivery: the engine must apply one result each)", cut+cut2, reruns+reruns2)
	var rec []string
	for _, f := range []string{"engine", "replica", "worker", "nats", "natswipe", "postgres", "install2", "datadir", "dev2kill"} {
		rec = append(rec, fmt.Sprintf("%s %.1fs", f, recovery[f].Seconds()))
	}
	fmt.Printf("faults: %d injected, %d executions, %d lost, %d duplicated; slowest recovery per fault: %s; a killed replica's claimed timers taken over after %s (lease 4s)\n",
		injected, total, lost, dup, strings.Join(rec, ", "), strings.Join(takeovers, ", "))
}

// takeoverExecutions is how many executions' timers the killed replica
// holds at each kill.
const takeoverExecutions = 4

// takeover SIGKILLs victim while it holds claimed timers, and returns the
// executions whose timers they were, how long after the kill every one of
// those claims was taken over by another replica (claimed again or fired)
// and how long before the kill the victim had claimed them.
//
// So that the victim, and no other replica, holds claims when it dies:
// executions whose Waits come due together 4–5 s later are started and
// their rows locked by the test (SELECT … FOR UPDATE), the other replicas are frozen
// (SIGSTOP) until the victim has claimed the timers — its claim commits
// at once, its group commit then waits for the lock —, the victim is
// killed, the others go on (SIGCONT) and the lock is released. A claim
// moves a timer's fire_at to the claim's time plus the lease (4 s):
// another replica claims it again once that has passed.
func takeover(exc stepwisev1.ExecutionServiceClient, app string, victim *proc, others []*proc, k int) ([]started, time.Duration, time.Duration, error) {
	ctx := context.Background()
	m := &takeoverMachine
	var runs []started
	var arns []string
	at := time.Now().UTC().Truncate(time.Second).Add(5 * time.Second).Format(time.RFC3339)
	for j := range takeoverExecutions {
		i := 100*k + j
		name := fmt.Sprintf("takeover-%d", i)
		arn := "arn:aws:states:us-east-1:111111111111:execution:" + m.name + ":" + name
		input := fmt.Sprintf(`{"n":%d,"at":%q}`, i, at)
		if err := retry(ctx, 60*time.Second, func(ctx context.Context) error {
			_, err := exc.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: m.name, Name: name, Input: input})
			if status.Code(err) == codes.AlreadyExists {
				return nil // an earlier try started it
			}
			return err
		}); err != nil {
			return runs, 0, 0, fmt.Errorf("start %s: %w", name, err)
		}
		runs = append(runs, started{m: m, i: i, arn: arn, exc: exc})
		arns = append(arns, arn)
	}

	lock, err := pgx.Connect(ctx, dsn())
	if err != nil {
		return runs, 0, 0, err
	}
	defer lock.Close(ctx)
	watch, err := pgx.Connect(ctx, dsn())
	if err != nil {
		return runs, 0, 0, err
	}
	defer watch.Close(ctx)
	tx, err := lock.Begin(ctx)
	if err != nil {
		return runs, 0, 0, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	rows, _ := tx.Query(ctx, "SELECT id FROM "+app+".executions WHERE arn = ANY($1) ORDER BY id FOR UPDATE", arns)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) != len(arns) {
		return runs, 0, 0, fmt.Errorf("lock the executions: %d of %d, %v", len(ids), len(arns), err)
	}

	// The Waits' timers as they are due; a claim moves fire_at to the
	// claim's time plus the lease (4 s), past the due time.
	rows, _ = watch.Query(ctx, "SELECT execution_id, key, fire_at FROM "+app+".timers WHERE execution_id = ANY($1)", ids)
	due, err := pgx.CollectRows(rows, pgx.RowToStructByPos[timerRow])
	if err != nil || len(due) != len(ids) {
		return runs, 0, 0, fmt.Errorf("the Waits' timers: %d of %d, %v", len(due), len(ids), err)
	}

	frozen := false
	thaw := func() {
		if frozen {
			for _, o := range others {
				o.send(syscall.SIGCONT)
			}
			frozen = false
		}
	}
	defer thaw()
	// Freeze the others at a moment none of their backends is inside a
	// transaction or a statement (their application_name is app; the
	// victim's is app-victim): a frozen replica's open group commit would
	// keep its executions' rows locked, and the victim could wait for
	// those instead of claiming the timers.
	for try := 0; ; try++ {
		for _, o := range others {
			o.send(syscall.SIGSTOP)
		}
		frozen = true
		time.Sleep(100 * time.Millisecond)
		var open int
		if err := watch.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state <> 'idle'", app).Scan(&open); err != nil {
			return runs, 0, 0, err
		}
		if open == 0 {
			break
		}
		thaw()
		if try == 50 {
			return runs, 0, 0, fmt.Errorf("another replica was inside a transaction at each of %d freezes", try+1)
		}
		time.Sleep(time.Duration(20+mrand.IntN(80)) * time.Millisecond)
	}

	// The victim's claims: every timer's fire_at moved.
	var execIDs []int64
	var keys []string
	var leases []time.Time
	dueIDs, dueKeys, dueAt := timerColumns(due)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		rows, _ := watch.Query(ctx, "SELECT t.execution_id, t.key, t.fire_at FROM "+app+".timers t"+
			" JOIN unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS d(id, key, at) ON t.execution_id = d.id AND t.key = d.key AND t.fire_at <> d.at",
			dueIDs, dueKeys, dueAt)
		moved, err := pgx.CollectRows(rows, pgx.RowToStructByPos[timerRow])
		if err != nil {
			return runs, 0, 0, err
		}
		if len(moved) == len(due) {
			execIDs, keys, leases = timerColumns(moved)
			break
		}
		if time.Now().After(deadline) {
			var states []string
			rows, _ := watch.Query(ctx, "SELECT application_name || ' ' || state || coalesce(' ' || wait_event_type, '') FROM pg_stat_activity"+
				" WHERE application_name = $1 OR starts_with(application_name, $1 || '-')", app)
			states, _ = pgx.CollectRows(rows, pgx.RowTo[string])
			return runs, 0, 0, fmt.Errorf("the replica claimed %d of %d due timers in 20 s; the installation's backends: %v", len(moved), len(due), states)
		}
	}
	// The claimer is the victim: its group commit waits for the lock.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var victims, others int
		if err := watch.QueryRow(ctx, "SELECT count(*) FILTER (WHERE application_name = $1 || '-victim'), count(*) FILTER (WHERE application_name = $1)"+
			" FROM pg_stat_activity WHERE $2::int = ANY(pg_blocking_pids(pid))", app, int(lock.PgConn().PID())).Scan(&victims, &others); err != nil {
			return runs, 0, 0, err
		}
		if others > 0 {
			return runs, 0, 0, errors.New("another replica than the victim claimed the timers")
		}
		if victims > 0 {
			break
		}
		if time.Now().After(deadline) {
			return runs, 0, 0, errors.New("the timers were claimed, but the victim does not wait for their executions")
		}
	}
	claimed := leases[0]
	for _, at := range leases {
		if at.Before(claimed) {
			claimed = at
		}
	}
	claimed = claimed.Add(-5 * time.Second) // the earliest claim

	victim.signal(syscall.SIGKILL)
	killed := time.Now()
	thaw()
	if err := tx.Rollback(ctx); err != nil {
		return runs, 0, 0, err
	}

	for deadline := killed.Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var n int
		if err := watch.QueryRow(ctx, "SELECT count(*) FROM "+app+".timers t JOIN unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS c(id, key, at)"+
			" ON t.execution_id = c.id AND t.key = c.key AND t.fire_at = c.at", execIDs, keys, leases).Scan(&n); err != nil {
			return runs, 0, 0, err
		}
		if n == 0 {
			return runs, time.Since(killed), killed.Sub(claimed), nil
		}
		if time.Now().After(deadline) {
			return runs, 0, 0, fmt.Errorf("%d timers the killed replica claimed still held a minute after the kill", n)
		}
	}
}

// timerRow is a row of the timers table.
type timerRow struct {
	ExecutionID int64
	Key         string
	FireAt      time.Time
}

// timerColumns returns rows as columns, for unnest.
func timerColumns(rows []timerRow) (ids []int64, keys []string, at []time.Time) {
	for _, r := range rows {
		ids, keys, at = append(ids, r.ExecutionID), append(keys, r.Key), append(at, r.FireAt)
	}
	return ids, keys, at
}

// runOnce runs argv to its exit (killing it after d) and returns its exit
// code and output.
func runOnce(argv []string, d time.Duration) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok && ctx.Err() == nil {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		return -1, string(out) + err.Error()
	}
	return 0, string(out)
}

func terminateBackends(ctx context.Context, app string) (int, error) {
	c, err := pgx.Connect(ctx, dsn())
	if err != nil {
		return 0, err
	}
	defer c.Close(ctx)
	var n int
	err = c.QueryRow(ctx, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE (application_name = $1 OR starts_with(application_name, $1 || '-')) AND pid <> pg_backend_pid()", app).Scan(&n)
	return n, err
}

func history(ctx context.Context, exc stepwisev1.ExecutionServiceClient, arn string) ([]*stepwisev1.HistoryEvent, error) {
	var evs []*stepwisev1.HistoryEvent
	page := ""
	for {
		resp, err := exc.GetExecutionHistory(ctx, &stepwisev1.GetExecutionHistoryRequest{Arn: arn, PageSize: 1000, PageToken: page})
		if err != nil {
			return nil, err
		}
		evs = append(evs, resp.GetEvents()...)
		if page = resp.GetNextPageToken(); page == "" {
			return evs, nil
		}
	}
}

// checkHistory reports a gap, a duplicate or a task completed twice.
func checkHistory(evs []*stepwisev1.HistoryEvent, m *machine) string {
	count := map[string]int{}
	for i, e := range evs {
		if e.GetId() != int64(i+1) {
			return fmt.Sprintf("event %d has id %d (a gap or a duplicate)", i+1, e.GetId())
		}
		// Lambda function tasks record LambdaFunction* events, the
		// others Task*: count both as Task*.
		typ := e.GetType()
		if rest, ok := strings.CutPrefix(typ, "LambdaFunction"); ok {
			typ = "Task" + rest
		}
		count[typ]++
	}
	if len(evs) == 0 || evs[0].GetType() != "ExecutionStarted" || evs[len(evs)-1].GetType() != "ExecutionSucceeded" {
		return "does not run from ExecutionStarted to ExecutionSucceeded"
	}
	if count["ExecutionStarted"] != 1 || count["ExecutionSucceeded"] != 1 {
		return fmt.Sprintf("ExecutionStarted ×%d, ExecutionSucceeded ×%d", count["ExecutionStarted"], count["ExecutionSucceeded"])
	}
	if count["TaskSucceeded"] != m.succeeded || count["TaskFailed"] != m.failed {
		return fmt.Sprintf("TaskSucceeded ×%d, TaskFailed ×%d; want %d and %d (a task completed twice or not at all)",
			count["TaskSucceeded"], count["TaskFailed"], m.succeeded, m.failed)
	}
	if count["TaskScheduled"] != m.succeeded+m.failed {
		return fmt.Sprintf("TaskScheduled ×%d; want %d", count["TaskScheduled"], m.succeeded+m.failed)
	}
	var entered, exited int
	for typ, n := range count {
		if strings.HasSuffix(typ, "StateEntered") {
			entered += n
		}
		if strings.HasSuffix(typ, "StateExited") {
			exited += n
		}
	}
	if entered != exited {
		return fmt.Sprintf("%d states entered, %d exited", entered, exited)
	}
	return ""
}

// readLedger counts handler runs that started in a process and never
// completed there (cut short by a kill), and tasks (token, attempt) that
// workers completed more than once.
func readLedger(t *testing.T, path string) (cut, reruns int) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Logf("ledger: %v", err)
		return 0, 0
	}
	done := map[string]int{}
	open := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 {
			continue
		}
		run := f[1] + " " + f[2] + " " + f[3]
		switch f[0] {
		case "start":
			open[run] = true
		case "done":
			delete(open, run)
			done[f[2]+" "+f[3]]++
		}
	}
	for _, c := range done {
		if c > 1 {
			reruns++
		}
	}
	return len(open), reruns
}

func sameJSON(a, b string) bool {
	var x, y any
	da, db := json.NewDecoder(strings.NewReader(a)), json.NewDecoder(strings.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&x) != nil || db.Decode(&y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
