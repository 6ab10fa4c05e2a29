//go:build faults

package faulttest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
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
	"github.com/stepwise-dev/stepwise/internal/natstest"
	"github.com/stepwise-dev/stepwise/workers"
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

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
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
	grpcAddr := freePort(t)
	// The installation's namespace on NATS, given to the server and to its
	// workers alike.
	nsb := make([]byte, 4)
	_, _ = rand.Read(nsb)
	namespace := "faults-" + hex.EncodeToString(nsb)
	srv := &proc{t: t, name: "stepwise server", log: logf,
		argv: []string{bin, "server", "-db", db, "-nats", ns.URL(), "-namespace", namespace, "-http", "127.0.0.1:0", "-grpc", grpcAddr, "-poll", "100ms"}}
	srv.start()
	defer srv.signal(syscall.SIGKILL)
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
	smc := stepwisev1.NewStateMachineServiceClient(conn)
	exc := stepwisev1.NewExecutionServiceClient(conn)
	ctx := context.Background()
	for i := range machines {
		m := &machines[i]
		if err := retry(ctx, 60*time.Second, func(ctx context.Context) error {
			_, err := smc.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: m.name, Definition: m.definition})
			return err
		}); err != nil {
			t.Fatalf("CreateStateMachine(%q) = %v", m.name, err)
		}
	}

	// The load: 250 executions, one every 60 ms (≈ 15 s), round robin over
	// the machines. A start that fails (the engine is down) is retried
	// under the same name, which StartExecution answers idempotently.
	const total = 250
	var (
		mu       sync.Mutex
		runs     []started
		startErr []string
	)
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		var wg sync.WaitGroup
		tick := time.NewTicker(60 * time.Millisecond)
		defer tick.Stop()
		for i := range total {
			<-tick.C
			m := &machines[i%len(machines)]
			wg.Go(func() {
				var arn string
				name, tries := fmt.Sprintf("%s-%d", m.name, i), 0
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
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					startErr = append(startErr, fmt.Sprintf("%s-%d: %v", m.name, i, err))
					return
				}
				runs = append(runs, started{m: m, i: i, arn: arn})
			})
		}
		wg.Wait()
	}()

	// The faults, on a fixed schedule while the load runs.
	faults := []string{"engine", "worker", "nats", "postgres", "engine", "worker", "postgres", "nats", "engine", "worker"}
	injected := 0
	for k, f := range faults {
		time.Sleep(time.Duration(1200+mrand.IntN(400)) * time.Millisecond)
		switch f {
		case "engine":
			srv.signal(syscall.SIGKILL)
			time.Sleep(300 * time.Millisecond)
			srv.start()
		case "worker":
			// Kill a worker while one of its handlers runs.
			w := wks[k%len(wks)]
			waitBusy(ledger, w.pid(), 5*time.Second)
			w.signal(syscall.SIGKILL)
			time.Sleep(300 * time.Millisecond)
			w.start()
		case "nats":
			if err := ns.Restart(); err != nil {
				t.Fatalf("restart NATS: %v", err)
			}
		case "postgres":
			n, err := terminateBackends(ctx, app)
			if err != nil {
				t.Fatalf("pg_terminate_backend: %v", err)
			}
			t.Logf("terminated %d backends", n)
		}
		injected++
		t.Logf("fault %d: %s", injected, f)
	}
	<-loadDone

	// Every execution must end. A task whose publish was lost when the
	// engine died is re-dispatched after the engine's dispatch timeout
	// (30 s), a result held by a killed engine comes back after the result
	// consumer's AckWait (30 s): allow a few of those.
	mu.Lock()
	defer mu.Unlock()
	for _, e := range startErr {
		t.Errorf("start: %s", e)
	}
	deadline := time.Now().Add(150 * time.Second)
	outcome := map[string]*stepwisev1.Execution{}
	for _, r := range runs {
		for {
			var x *stepwisev1.Execution
			err := retry(ctx, 30*time.Second, func(ctx context.Context) error {
				resp, err := exc.DescribeExecution(ctx, &stepwisev1.DescribeExecutionRequest{Arn: r.arn})
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
		evs, err := history(ctx, exc, r.arn)
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
	t.Logf("worker kills cut %d handlers short; workers completed %d tasks more than once (at-least-once delivery: the engine must apply one result each)", cut, reruns)
	fmt.Printf("faults: %d injected, %d executions, %d lost, %d duplicated\n", injected, total, lost, dup)
}

func terminateBackends(ctx context.Context, app string) (int, error) {
	c, err := pgx.Connect(ctx, dsn())
	if err != nil {
		return 0, err
	}
	defer c.Close(ctx)
	var n int
	err = c.QueryRow(ctx, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()", app).Scan(&n)
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
