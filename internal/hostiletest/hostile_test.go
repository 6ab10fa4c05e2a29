//go:build hostile

package hostiletest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
	"github.com/stepwise-dev/stepwise/internal/testserver"
)

const (
	token    = "hostile-token"
	maxConns = 64 // the server's --max-connections in this suite
	arnBase  = "arn:aws:states:us-east-1:111111111111:"
	role     = "arn:aws:iam::111111111111:role/hostile"
)

// hang bounds every request and wait: an answer later than this is a hang.
const hang = 2 * time.Minute

type suite struct {
	t        *testing.T
	base     string // http://host:port
	httpAddr string
	client   *http.Client
	grpc     stepwisev1.ExecutionServiceClient
	machines stepwisev1.StateMachineServiceClient
	dead     <-chan struct{} // closed when the server process has exited
	attacks  int
	// What went wrong, by kind: the server exited (crashes), an answer
	// took longer than hang (hangs), data stored before an attack changed
	// (corrupted), any other answer than the one expected (wrong).
	crashes, hangs, corrupted, wrong int
}

// errCorrupted marks an attack's error as stored data changed.
var errCorrupted = errors.New("stored data changed")

// attack runs one attack; f returns what went wrong, or nil.
func (s *suite) attack(name string, f func() error) {
	s.attacks++
	err := f()
	if err == nil {
		return
	}
	s.t.Errorf("attack %q: %v", name, err)
	var timeout interface{ Timeout() bool }
	select {
	case <-s.dead:
		s.crashes++
	default:
		switch {
		case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &timeout) && timeout.Timeout():
			s.hangs++
		case errors.Is(err, errCorrupted):
			s.corrupted++
		default:
			s.wrong++
		}
	}
}

type answer struct {
	status int
	typ    string // AWS __type, or the REST gateway's gRPC code
	msg    string
	body   []byte
}

func (a answer) String() string {
	b := a.body
	if len(b) > 300 {
		b = append(b[:300:300], "…"...)
	}
	return fmt.Sprintf("%d %s", a.status, b)
}

// do sends one request with the token (unless noToken) and reads the answer.
func (s *suite) do(method, path, contentType string, body []byte, header map[string]string) (answer, error) {
	req, err := http.NewRequest(method, s.base+path, bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, body: b}
	var e struct {
		Type    string `json:"__type"`
		Code    *int   `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &e) == nil {
		a.typ, a.msg = e.Type, e.Message
		if e.Code != nil {
			a.typ = codes.Code(*e.Code).String()
		}
	}
	return a, nil
}

func (s *suite) aws(op string, req any) (answer, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return answer{}, err
	}
	return s.do("POST", "/", "application/x-amz-json-1.0", b, map[string]string{"X-Amz-Target": "AWSStepFunctions." + op})
}

func (s *suite) rest(method, path string, req any) (answer, error) {
	var b []byte
	if req != nil {
		var err error
		if b, err = json.Marshal(req); err != nil {
			return answer{}, err
		}
	}
	return s.do(method, path, "application/json", b, nil)
}

// refused checks that an answer is a 4xx with one of the given types
// ("" accepts any) and, when field is set, a message naming it.
func refused(a answer, err error, field string, types ...string) error {
	if err != nil {
		return fmt.Errorf("no answer: %w", err)
	}
	if a.status < 400 || a.status > 499 {
		return fmt.Errorf("answer %v; want a 4xx", a)
	}
	if len(types) > 0 && !contains(types, a.typ) {
		return fmt.Errorf("answer %v; want one of %v", a, types)
	}
	if field != "" && !strings.Contains(a.msg, field) {
		return fmt.Errorf("answer %v; want its message to name %q", a, field)
	}
	return nil
}

func refusedAny(a answer, err error) error { return refused(a, err, "") }

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// machine creates a state machine on the AWS endpoint.
func (s *suite) machine(name, def string) error {
	a, err := s.aws("CreateStateMachine", map[string]any{"name": name, "definition": def, "roleArn": role})
	if err != nil || a.status != 200 {
		return fmt.Errorf("CreateStateMachine %s = %v %v; want 200", name, a, err)
	}
	return nil
}

type execution struct {
	Status string `json:"status"`
	Output string `json:"output"`
	Error  string `json:"error"`
	Cause  string `json:"cause"`
}

// run starts an execution and waits for it to end (a hang fails).
func (s *suite) run(machine, name, input string) (execution, error) {
	a, err := s.aws("StartExecution", map[string]any{"stateMachineArn": arnBase + "stateMachine:" + machine, "name": name, "input": input})
	if err != nil || a.status != 200 {
		return execution{}, fmt.Errorf("StartExecution = %v %v; want 200", a, err)
	}
	return s.wait(arnBase + "execution:" + machine + ":" + name)
}

func (s *suite) wait(arn string) (execution, error) {
	deadline := time.Now().Add(hang)
	for {
		a, err := s.aws("DescribeExecution", map[string]any{"executionArn": arn})
		if err != nil || a.status != 200 {
			return execution{}, fmt.Errorf("DescribeExecution = %v %v; want 200", a, err)
		}
		var x execution
		if err := json.Unmarshal(a.body, &x); err != nil {
			return execution{}, err
		}
		if x.Status != "RUNNING" {
			return x, nil
		}
		if time.Now().After(deadline) {
			return x, fmt.Errorf("%s still RUNNING after %v", arn, hang)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func rss(pid int, field string) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	m := regexp.MustCompile(field + `:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n / 1024
}

// TestHostile runs every attack against one server, then checks its health,
// an earlier execution and its peak RSS.
func TestHostile(t *testing.T) {
	dsn := pgtest.SchemaDSN(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "stepwise")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/stepwise").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	httpAddr, grpcAddr := testserver.FreeAddr(t), testserver.FreeAddr(t)
	var log bytes.Buffer
	var logMu sync.Mutex
	cmd := exec.Command(bin, "server", "--db", dsn, "--nats", "", "--http", httpAddr, "--grpc", grpcAddr,
		"--auth-token", token, "--max-connections", strconv.Itoa(maxConns), "--poll", "100ms")
	cmd.Stdout, cmd.Stderr = lockedWriter{&log, &logMu}, lockedWriter{&log, &logMu}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dead := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(dead)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-dead
		if t.Failed() {
			logMu.Lock()
			t.Logf("server log (last 4 KB):\n%s", tail(log.String(), 4096))
			logMu.Unlock()
		}
	})
	s := &suite{t: t, base: "http://" + httpAddr, httpAddr: httpAddr, dead: dead,
		client: &http.Client{Timeout: hang, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}}
	for i := 0; ; i++ {
		if resp, err := s.client.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if i == 600 {
			t.Fatalf("stepwise server did not answer /healthz:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	s.grpc, s.machines = stepwisev1.NewExecutionServiceClient(conn), stepwisev1.NewStateMachineServiceClient(conn)
	pid := cmd.Process.Pid
	idle := rss(pid, "VmRSS")

	// An execution from before the attacks, checked after them.
	if err := s.machine("before", `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"kept":[1,2.5,"x"]},"ResultPath":"$.r","End":true}}}`); err != nil {
		t.Fatal(err)
	}
	before, err := s.run("before", "b1", `{"n":12345678901234567890}`)
	if err != nil || before.Status != "SUCCEEDED" {
		t.Fatalf("the execution before the attacks = %+v %v; want SUCCEEDED", before, err)
	}
	beforeHistory, err := s.aws("GetExecutionHistory", map[string]any{"executionArn": arnBase + "execution:before:b1"})
	if err != nil || beforeHistory.status != 200 {
		t.Fatalf("GetExecutionHistory = %v %v", beforeHistory, err)
	}

	s.definitionAttacks()
	s.executionAttacks()
	s.loopAttack()
	s.httpAttacks()
	s.nulAttacks()
	s.fieldAttacks()
	s.grpcAttacks()

	// Afterwards: healthy, no 5xx served, the earlier execution intact.
	s.attack("healthy afterwards", func() error {
		a, err := s.do("GET", "/healthz", "", nil, nil)
		if err != nil || a.status != 200 {
			return fmt.Errorf("/healthz = %v %v; want 200", a, err)
		}
		select {
		case <-dead:
			return errors.New("the server exited")
		default:
		}
		return nil
	})
	s.attack("metrics need the token; no 5xx served", func() error {
		a, err := s.do("GET", "/metrics", "", nil, map[string]string{"Authorization": ""})
		if err != nil || a.status != 401 {
			return fmt.Errorf("/metrics without the token = %v %v; want 401", a, err)
		}
		a, err = s.do("GET", "/metrics", "", nil, nil)
		if err != nil || a.status != 200 {
			return fmt.Errorf("/metrics = %v %v; want 200", a, err)
		}
		if !bytes.Contains(a.body, []byte("\nstepwise_http_server_errors_total 0\n")) {
			return fmt.Errorf("/metrics = %s; want stepwise_http_server_errors_total 0", a.body)
		}
		return nil
	})
	s.attack("earlier execution intact", func() error {
		x, err := s.wait(arnBase + "execution:before:b1")
		if err != nil || x != before {
			return fmt.Errorf("%w: the execution from before = %+v %v; want %+v", errCorrupted, x, err, before)
		}
		h, err := s.aws("GetExecutionHistory", map[string]any{"executionArn": arnBase + "execution:before:b1"})
		if err != nil || !bytes.Equal(h.body, beforeHistory.body) {
			return fmt.Errorf("%w: its history changed: %v %v", errCorrupted, h, err)
		}
		return nil
	})

	peak := rss(pid, "VmHWM")
	t.Logf("server RSS: %d MiB idle, %d MiB peak (ceiling %d MiB)", idle, peak, PeakRSSCeiling)
	if peak < 0 || peak > PeakRSSCeiling || peak-idle > AboveIdleCeiling {
		t.Errorf("peak RSS %d MiB (%d MiB idle); want at most %d MiB, and %d MiB above idle", peak, idle, PeakRSSCeiling, AboveIdleCeiling)
	}
	fmt.Printf("hostile: %d attacks, %d crashes, %d hangs, %d corrupted, %d wrong answers, max RSS %d MiB (%d above idle; ceilings %d and %d)\n",
		s.attacks, s.crashes, s.hangs, s.corrupted, s.wrong, peak, peak-idle, PeakRSSCeiling, AboveIdleCeiling)
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func pass(extra string) string {
	return `{"StartAt":"P","States":{"P":{"Type":"Pass",` + extra + `"End":true}}}`
}

// definitionAttacks: definitions nested far deeper than any real one, and
// one over 1 MB, on the AWS endpoint and the REST gateway.
func (s *suite) definitionAttacks() {
	const n = 100_000
	not := strings.Repeat(`{"Not":`, n) + `{"Variable":"$.a","IsPresent":true}` + strings.Repeat(`}`, n-1) + `,"Next":"E"}`
	deepNot := `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[` + not + `],"Default":"E"},"E":{"Type":"Succeed"}}}`
	deepParams := pass(`"Parameters":` + strings.Repeat(`{"a":`, n) + `1` + strings.Repeat(`}`, n) + `,`)
	var par strings.Builder
	const levels = 8000
	for range levels {
		par.WriteString(`{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[`)
	}
	par.WriteString(pass(""))
	for range levels {
		par.WriteString(`]}}}`)
	}
	big := pass(`"Comment":"` + strings.Repeat("c", 1_500_000) + `",`)
	for _, c := range []struct{ name, def string }{
		{"Choice Not nested 100,000 deep", deepNot},
		{"Parameters nested 100,000 deep", deepParams},
		{"Parallel nested 8,000 deep", par.String()},
		{"definition of 1.5 MB", big},
	} {
		s.attack(c.name+" (AWS CreateStateMachine)", func() error {
			a, err := s.aws("CreateStateMachine", map[string]any{"name": "deep", "definition": c.def, "roleArn": role})
			return refused(a, err, "", "InvalidDefinition", "ValidationException")
		})
		s.attack(c.name+" (REST create)", func() error {
			a, err := s.rest("POST", "/v1/state-machines", map[string]any{"name": "deep", "definition": c.def})
			return refused(a, err, "", "InvalidArgument")
		})
	}
	s.attack("definition nested 100,000 deep (ValidateStateMachineDefinition)", func() error {
		a, err := s.aws("ValidateStateMachineDefinition", map[string]any{"definition": deepNot})
		if err != nil {
			return err
		}
		if a.status == 200 && bytes.Contains(a.body, []byte(`"result":"FAIL"`)) {
			return nil
		}
		return refused(a, err, "")
	})
}

// executionAttacks: executions whose steps would build huge values: `$..`
// on a deep input, 300 large States.Format results, huge ranges and
// partitions, JSONata over large ranges. Each must end (FAILED with an
// error, or SUCCEEDED where the result is small), never hang, within the
// memory ceiling.
func (s *suite) executionAttacks() {
	deep := strings.Repeat(`{"a":`, 4000) + `1` + strings.Repeat(`}`, 4000)
	wide := `{"a":[` + strings.TrimSuffix(strings.Repeat(`{"a":{"a":{"a":[1,2,3,4,5,6,7,8]}}},`, 3000), ",") + `]}`
	str := strings.Repeat("s", 200_000)
	var formats strings.Builder
	var slow strings.Builder
	for i := range 30 {
		if i > 0 {
			slow.WriteString(",")
		}
		fmt.Fprintf(&slow, `"v%d":"{%% $count([1..1000000].($ * %d)) %%}"`, i, i+2)
	}
	for i := range 300 {
		fmt.Fprintf(&formats, `"f%d.$":"States.Format('{}{}', $.s, $.s)",`, i)
	}
	for _, c := range []struct {
		name, def, input string
		okToSucceed      bool
	}{
		{"$..a on an input nested 4,000 deep", pass(`"Parameters":{"x.$":"$..a","y.$":"$..*"},`), deep, true},
		{"$..a and $..* on a wide input", pass(`"Parameters":{"x.$":"$..a","y.$":"$..*","z.$":"$..a..a"},`), wide, true},
		{"300 × States.Format over 200 KB", pass(`"Parameters":{` + strings.TrimSuffix(formats.String(), ",") + `},`), `{"s":"` + str + `"}`, false},
		{"States.ArrayRange of 100 million", pass(`"Parameters":{"r.$":"States.ArrayRange(1, 100000000, 1)"},`), `{}`, false},
		{"States.ArrayPartition and States.ArrayUnique on a big array", pass(`"Parameters":{"p.$":"States.ArrayPartition($.a, 1)","u.$":"States.ArrayUnique($.a)","h.$":"States.Hash($.s, 'SHA-512')"},`),
			`{"a":[` + strings.TrimSuffix(strings.Repeat(`"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",`, 2500), ",") + `],"s":"` + str[:80_000] + `"}`, true},
		{"States.StringToJson of a deep document", pass(`"Parameters":{"j.$":"States.StringToJson($.s)"},`), `{"s":` + strconv.Quote(strings.Repeat("[", 100_000)+strings.Repeat("]", 100_000)) + `}`, true},
		{"JSONata $spread over a large range", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $count($spread([1..10000000])) %}","End":true}}}`, `{}`, true},
		{"Pass/Choice loop of 1,000 iterations over 100 KB", `{"StartAt":"Inc","States":{
			"Inc":{"Type":"Pass","Parameters":{"i.$":"States.MathAdd($.i, 1)","big.$":"$.big"},"Next":"More"},
			"More":{"Type":"Choice","Choices":[{"Variable":"$.i","NumericLessThan":1000,"Next":"Inc"}],"Default":"Done"},
			"Done":{"Type":"Pass","OutputPath":"$.i","End":true}}}`, `{"i":0,"big":"` + str[:100_000] + `"}`, true},
		{"30 slow JSONata expressions in one state", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Assign":{` + slow.String() + `},"End":true}}}`, `{}`, true},
		{"Wait until a Timestamp in 9999", `{"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"9999-12-31T23:59:59Z","End":true}}}`, `{}`, false},
		{"JSONata wildcard over a large array", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% [1..5000000].* %}","End":true}}}`, `{}`, true},
	} {
		s.attack(c.name, func() error {
			name := "x" + strconv.Itoa(s.attacks)
			if err := s.machine(name, c.def); err != nil {
				return err
			}
			if len(c.input) > 256*1024 {
				return fmt.Errorf("the attack's input is %d bytes, over the 256 KiB limit", len(c.input))
			}
			a, err := s.aws("StartExecution", map[string]any{"stateMachineArn": arnBase + "stateMachine:" + name, "name": "e", "input": c.input})
			if err != nil {
				return err
			}
			if a.status != 200 {
				return refused(a, err, "") // an input refused at the door is an answer too
			}
			x, err := s.wait(arnBase + "execution:" + name + ":e")
			if err != nil {
				return err
			}
			if x.Status == "FAILED" && x.Error != "" || c.okToSucceed && x.Status == "SUCCEEDED" {
				return nil
			}
			return fmt.Errorf("execution ended %s %q %.200q; want FAILED with an error", x.Status, x.Error, x.Cause)
		})
	}
}

// loopAttack: while a Pass/Choice loop over 100 KB runs, another
// execution's Wait of one second still ends; how late it ended is logged
// (a figure, not an assertion).
func (s *suite) loopAttack() {
	s.attack("a Wait while a loop over 100 KB runs", func() error {
		loop := `{"StartAt":"Inc","States":{
			"Inc":{"Type":"Pass","Parameters":{"i.$":"States.MathAdd($.i, 1)","big.$":"$.big"},"Next":"More"},
			"More":{"Type":"Choice","Choices":[{"Variable":"$.i","NumericLessThan":1000,"Next":"Inc"}],"Default":"Done"},
			"Done":{"Type":"Pass","OutputPath":"$.i","End":true}}}`
		if err := s.machine("loop", loop); err != nil {
			return err
		}
		if err := s.machine("wait1", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}}`); err != nil {
			return err
		}
		a, err := s.aws("StartExecution", map[string]any{"stateMachineArn": arnBase + "stateMachine:loop", "name": "l",
			"input": `{"i":0,"big":"` + strings.Repeat("b", 100_000) + `"}`})
		if err != nil || a.status != 200 {
			return fmt.Errorf("StartExecution loop = %v %v; want 200", a, err)
		}
		w, err := s.run("wait1", "w", `{}`)
		if err != nil || w.Status != "SUCCEEDED" {
			return fmt.Errorf("the Wait = %+v %v; want SUCCEEDED", w, err)
		}
		h, err := s.aws("GetExecutionHistory", map[string]any{"executionArn": arnBase + "execution:wait1:w"})
		if err != nil || h.status != 200 {
			return fmt.Errorf("GetExecutionHistory = %v %v", h, err)
		}
		var hist struct {
			Events []struct {
				Type      string  `json:"type"`
				Timestamp float64 `json:"timestamp"`
			} `json:"events"`
		}
		if err := json.Unmarshal(h.body, &hist); err != nil || len(hist.Events) < 2 {
			return fmt.Errorf("history %.200s: %v", h.body, err)
		}
		took := hist.Events[len(hist.Events)-1].Timestamp - hist.Events[0].Timestamp
		l, err := s.wait(arnBase + "execution:loop:l")
		if err != nil || l.Status != "SUCCEEDED" || l.Output != "1000" {
			return fmt.Errorf("the loop = %s %.100q %v; want SUCCEEDED 1000", l.Status, l.Output, err)
		}
		s.t.Logf("a Wait of 1 s beside a 1,000-iteration loop over 100 KB ended %.2f s after it started", took)
		return nil
	})
}

// rawConn opens a TCP connection to the HTTP port.
func (s *suite) rawConn() (net.Conn, error) {
	c, err := net.DialTimeout("tcp", s.httpAddr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(hang))
	return c, nil
}

// httpAttacks: bodies over the limit, slow bodies, huge headers, more
// connections than the server holds.
func (s *suite) httpAttacks() {
	huge := bytes.Repeat([]byte("x"), 10<<20)
	s.attack("REST body of 10 MB", func() error {
		a, err := s.do("POST", "/v1/state-machines", "application/json", huge, nil)
		return refused(a, err, "", "InvalidArgument")
	})
	s.attack("AWS body of 10 MB", func() error {
		a, err := s.do("POST", "/", "application/x-amz-json-1.0", huge, map[string]string{"X-Amz-Target": "AWSStepFunctions.StartExecution"})
		return refused(a, err, "", "RequestEntityTooLargeException")
	})
	s.attack("REST chunked body of 10 MB", func() error {
		req, _ := http.NewRequest("POST", s.base+"/v1/state-machines", io.MultiReader(bytes.NewReader(huge)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		req.ContentLength = -1
		resp, err := s.client.Do(req)
		if err != nil {
			// The server may answer and close before the client has sent
			// the whole body: that is a refusal, not a hang.
			if errors.Is(err, io.EOF) || strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe") {
				return nil
			}
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 413 {
			return fmt.Errorf("status %d; want 413", resp.StatusCode)
		}
		return nil
	})
	s.attack("body of 10 MB without a token", func() error {
		a, err := s.do("POST", "/v1/state-machines", "application/json", huge, map[string]string{"Authorization": ""})
		return refused(a, err, "", "Unauthenticated")
	})
	s.attack("headers of 128 KiB", func() error {
		a, err := s.do("GET", "/v1/state-machines", "", nil, map[string]string{"X-Big": strings.Repeat("h", 128<<10)})
		if err != nil && strings.Contains(err.Error(), "connection reset") {
			// The server answered 431 and closed the connection with
			// the rest of the headers unread, which resets it, before
			// the client read the answer: a refusal all the same.
			return nil
		}
		if err != nil {
			return err
		}
		if a.status != 431 {
			return fmt.Errorf("answer %v; want 431", a)
		}
		return nil
	})
	s.attack("slow body without a token", func() error {
		c, err := s.rawConn()
		if err != nil {
			return err
		}
		defer c.Close()
		_, _ = io.WriteString(c, "POST /v1/state-machines HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{\"na")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return fmt.Errorf("no answer while the body trickles: %w", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			return fmt.Errorf("status %d; want 401", resp.StatusCode)
		}
		return nil
	})
	s.attack("40 slow bodies with the token, /healthz meanwhile", func() error {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for range 40 {
			c, err := s.rawConn()
			if err != nil {
				return err
			}
			conns = append(conns, c)
			_, _ = io.WriteString(c, "POST /v1/state-machines HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+token+"\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{\"na")
		}
		a, err := s.do("GET", "/healthz", "", nil, nil)
		if err != nil || a.status != 200 {
			return fmt.Errorf("/healthz while 40 bodies trickle = %v %v; want 200", a, err)
		}
		return nil
	})
	s.attack(fmt.Sprintf("%d connections against a bound of %d", 2*maxConns, maxConns), func() error {
		s.client.CloseIdleConnections()
		conns := make([]net.Conn, 0, 2*maxConns)
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for range 2 * maxConns {
			c, err := s.rawConn()
			if err != nil {
				return err
			}
			conns = append(conns, c)
			_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n") // headers never finished
		}
		// Every connection ends, without a hang: those beyond the bound at
		// once with 429, the others when their headers time out.
		var refused429 int
		var wg sync.WaitGroup
		var mu sync.Mutex
		var problem error
		for _, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				line, err := bufio.NewReader(c).ReadString('\n')
				mu.Lock()
				defer mu.Unlock()
				switch {
				case strings.HasPrefix(line, "HTTP/1.1 429"), err != nil && strings.Contains(err.Error(), "connection reset"):
					refused429++
				case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
					problem = fmt.Errorf("a connection hung")
				}
			}()
		}
		wg.Wait()
		if problem != nil {
			return problem
		}
		if refused429 < maxConns/2 {
			return fmt.Errorf("%d connections answered 429; want at least %d of the %d beyond the bound", refused429, maxConns/2, maxConns)
		}
		for _, c := range conns {
			c.Close()
		}
		// The server serves again once they are gone.
		for i := 0; ; i++ {
			a, err := s.do("GET", "/healthz", "", nil, nil)
			if err == nil && a.status == 200 {
				return nil
			}
			if i == 100 {
				return fmt.Errorf("/healthz after the connections closed = %v %v; want 200", a, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

// nulAttacks: U+0000 wherever a request carries a string. An input or
// output keeps an escaped NUL as it came; everywhere else it is refused
// with a ValidationException naming the field (never a 500).
func (s *suite) nulAttacks() {
	const nul = "\x00"
	if err := s.machine("nulwait", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"`+arnBase+`activity:nulact","End":true}}}`); err != nil {
		s.t.Fatal(err)
	}
	if a, err := s.aws("CreateActivity", map[string]any{"name": "nulact"}); err != nil || a.status != 200 {
		s.t.Fatalf("CreateActivity = %v %v", a, err)
	}
	s.attack("NUL in an input and its output", func() error {
		if err := s.machine("nulpass", pass("")); err != nil {
			return err
		}
		x, err := s.run("nulpass", "n1", `{"a":"x\u0000y"}`)
		if err != nil || x.Status != "SUCCEEDED" || x.Output != `{"a":"x\u0000y"}` {
			return fmt.Errorf("execution = %+v %v; want SUCCEEDED with the escaped NUL kept", x, err)
		}
		return nil
	})
	s.attack("NUL in an execution name", func() error {
		a, err := s.aws("StartExecution", map[string]any{"stateMachineArn": arnBase + "stateMachine:nulpass", "name": "x" + nul})
		return refused(a, err, "", "InvalidName", "ValidationException")
	})
	s.attack("NUL in a state name", func() error {
		a, err := s.aws("CreateStateMachine", map[string]any{"name": "nulstate", "roleArn": role,
			"definition": `{"StartAt":"A\u0000","States":{"A\u0000":{"Type":"Pass","End":true}}}`})
		return refused(a, err, "definition", "InvalidDefinition")
	})
	s.attack("NUL in a Fail state's cause", func() error {
		a, err := s.rest("POST", "/v1/state-machines", map[string]any{"name": "nulfail",
			"definition": `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"a\u0000b"}}}`})
		return refused(a, err, "definition", "InvalidArgument")
	})
	s.attack("NUL selected by a Fail state's ErrorPath and CausePath", func() error {
		if err := s.machine("nulfailpath", `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"$.c"}}}`); err != nil {
			return err
		}
		x, err := s.run("nulfailpath", "f1", `{"e":"E\u0000","c":"a\u0000b"}`)
		if err != nil || x.Status != "FAILED" || x.Error != "States.Runtime" || !strings.Contains(x.Cause, `"a\u0000b"`) {
			return fmt.Errorf("execution = %+v %v; want FAILED with States.Runtime quoting the cause", x, err)
		}
		return nil
	})
	s.attack("NUL in StopExecution's cause and error", func() error {
		a, err := s.aws("StartExecution", map[string]any{"stateMachineArn": arnBase + "stateMachine:nulwait", "name": "w1"})
		if err != nil || a.status != 200 {
			return fmt.Errorf("StartExecution = %v %v", a, err)
		}
		arn := arnBase + "execution:nulwait:w1"
		if err := refusedAny(s.aws("StopExecution", map[string]any{"executionArn": arn, "cause": "a" + nul + "b"})); err != nil {
			return err
		}
		if err := refusedAny(s.rest("POST", "/v1/executions/"+url.PathEscape(arn)+":stop", map[string]any{"error": "E" + nul})); err != nil {
			return err
		}
		return nil
	})
	s.attack("NUL in SendTaskFailure's cause", func() error {
		a, err := s.aws("GetActivityTask", map[string]any{"activityArn": arnBase + "activity:nulact"})
		if err != nil || a.status != 200 {
			return fmt.Errorf("GetActivityTask = %v %v", a, err)
		}
		var task struct {
			TaskToken string `json:"taskToken"`
		}
		_ = json.Unmarshal(a.body, &task)
		if task.TaskToken == "" {
			return fmt.Errorf("GetActivityTask = %v; want a task", a)
		}
		if err := refusedAny(s.aws("SendTaskFailure", map[string]any{"taskToken": task.TaskToken, "error": "E", "cause": nul})); err != nil {
			return err
		}
		if err := refusedAny(s.rest("POST", "/v1/tasks:failure", map[string]any{"task_token": task.TaskToken, "cause": nul})); err != nil {
			return err
		}
		// The execution was not harmed: a proper failure ends it.
		if a, err := s.aws("SendTaskFailure", map[string]any{"taskToken": task.TaskToken, "error": "E", "cause": "c"}); err != nil || a.status != 200 {
			return fmt.Errorf("SendTaskFailure after the refusals = %v %v; want 200", a, err)
		}
		x, err := s.wait(arnBase + "execution:nulwait:w1")
		if err != nil || x.Status != "FAILED" || x.Error != "E" {
			return fmt.Errorf("execution = %+v %v; want FAILED with E", x, err)
		}
		return nil
	})
	s.attack("NUL in SendTaskSuccess's output", func() error {
		a, err := s.aws("SendTaskSuccess", map[string]any{"taskToken": "t", "output": "{\"a\":\"" + nul + "\"}"})
		return refused(a, err, "")
	})
	s.attack("NUL in a tag", func() error {
		a, err := s.aws("TagResource", map[string]any{"resourceArn": arnBase + "stateMachine:nulpass", "tags": []map[string]string{{"key": "k" + nul, "value": "v"}}})
		return refused(a, err, "", "ValidationException")
	})
	s.attack("NUL in the ARNs of lookups", func() error {
		for _, c := range []struct{ op, field, arn string }{
			{"DescribeExecution", "executionArn", arnBase + "execution:nulpass:x" + nul},
			{"DescribeStateMachine", "stateMachineArn", arnBase + "stateMachine:nulpass" + nul},
			{"DescribeActivity", "activityArn", arnBase + "activity:nul" + nul},
		} {
			if err := refusedAny(s.aws(c.op, map[string]any{c.field: c.arn})); err != nil {
				return fmt.Errorf("%s: %w", c.op, err)
			}
		}
		return nil
	})
	s.attack("NUL in REST paths and queries", func() error {
		for _, p := range []string{"/v1/executions/x%00y", "/v1/state-machines/x%00y", "/v1/executions?state_machine_name=p%00", "/v1/executions?state_machine_name=nulpass&filter=name%3D%3D%22a%00%22"} {
			if err := refusedAny(s.do("GET", p, "", nil, nil)); err != nil {
				return fmt.Errorf("GET %s: %w", p, err)
			}
		}
		return nil
	})
}

// fieldAttacks: every field over AWS's limit, on the AWS endpoint and the
// REST gateway.
func (s *suite) fieldAttacks() {
	long := func(n int) string { return strings.Repeat("x", n) }
	if err := s.machine("fields", pass("")); err != nil {
		s.t.Fatal(err)
	}
	arn := arnBase + "stateMachine:fields"
	for _, c := range []struct {
		name  string
		aws   func() (answer, error)
		field string
	}{
		{"name of 81 characters (AWS)", func() (answer, error) {
			return s.aws("CreateStateMachine", map[string]any{"name": long(81), "definition": pass(""), "roleArn": role})
		}, "name"},
		{"name of 81 characters (REST)", func() (answer, error) {
			return s.rest("POST", "/v1/state-machines", map[string]any{"name": long(81), "definition": pass("")})
		}, "name"},
		{"name with a space (REST)", func() (answer, error) {
			return s.rest("POST", "/v1/state-machines/fields/executions", map[string]any{"name": "a b"})
		}, "name"},
		{"roleArn of 300 characters (REST)", func() (answer, error) {
			return s.rest("POST", "/v1/state-machines", map[string]any{"name": "r", "definition": pass(""), "roleArn": long(300)})
		}, "roleArn"},
		{"input over 256 KiB (AWS)", func() (answer, error) {
			return s.aws("StartExecution", map[string]any{"stateMachineArn": arn, "input": `"` + long(262144) + `"`})
		}, "input"},
		{"input over 256 KiB (REST)", func() (answer, error) {
			return s.rest("POST", "/v1/state-machines/fields/executions", map[string]any{"input": `"` + long(262144) + `"`})
		}, "input"},
		{"cause of 40,000 characters (AWS)", func() (answer, error) {
			return s.aws("StopExecution", map[string]any{"executionArn": arnBase + "execution:fields:x", "cause": long(40000)})
		}, "cause"},
		{"cause of 40,000 characters (REST)", func() (answer, error) {
			return s.rest("POST", "/v1/executions/"+url.PathEscape(arnBase+"execution:fields:x")+":stop", map[string]any{"cause": long(40000)})
		}, "cause"},
		{"error of 300 characters (REST)", func() (answer, error) {
			return s.rest("POST", "/v1/tasks:failure", map[string]any{"task_token": "t", "error": long(300)})
		}, "error"},
		{"51 tags (AWS)", func() (answer, error) {
			tags := make([]map[string]string, 51)
			for i := range tags {
				tags[i] = map[string]string{"key": "k" + strconv.Itoa(i), "value": "v"}
			}
			return s.aws("TagResource", map[string]any{"resourceArn": arn, "tags": tags})
		}, ""},
		{"invalid regular expression in a list filter (REST)", func() (answer, error) {
			return s.do("GET", "/v1/executions?state_machine_name=fields&filter="+url.QueryEscape(`name.matches("(")`), "", nil, nil)
		}, ""},
		{"AWS call without a token", func() (answer, error) {
			return s.do("POST", "/", "application/x-amz-json-1.0", []byte(`{}`), map[string]string{"X-Amz-Target": "AWSStepFunctions.ListStateMachines", "Authorization": ""})
		}, ""},
		{"expensive list filter (REST)", func() (answer, error) {
			f := strings.Repeat(`name.matches("(a+)+$") || `, 200) + "false"
			return s.do("GET", "/v1/executions?state_machine_name=fields&filter="+url.QueryEscape(f), "", nil, nil)
		}, ""},
	} {
		s.attack(c.name, func() error {
			a, err := c.aws()
			return refused(a, err, c.field)
		})
	}
}

// grpcAttacks: the same limits on the gRPC port.
func (s *suite) grpcAttacks() {
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
	ctx, cancel := context.WithTimeout(ctx, hang)
	defer cancel()
	invalid := func(err error) error {
		if status.Code(err) != codes.InvalidArgument {
			return fmt.Errorf("error %v; want InvalidArgument", err)
		}
		return nil
	}
	s.attack("cause of 40,000 characters (gRPC)", func() error {
		_, err := s.grpc.StopExecution(ctx, &stepwisev1.StopExecutionRequest{Arn: arnBase + "execution:fields:x", Cause: strings.Repeat("c", 40000)})
		return invalid(err)
	})
	s.attack("gRPC call without a token", func() error {
		_, err := s.grpc.ListExecutions(context.Background(), &stepwisev1.ListExecutionsRequest{StateMachineName: "fields"})
		if status.Code(err) != codes.Unauthenticated {
			return fmt.Errorf("error %v; want Unauthenticated", err)
		}
		return nil
	})
	s.attack("NUL in a name to look up (gRPC)", func() error {
		_, err := s.machines.DescribeStateMachine(ctx, &stepwisev1.DescribeStateMachineRequest{Name: "a\x00"})
		return invalid(err)
	})
	s.attack("NUL in a definition (gRPC)", func() error {
		_, err := s.machines.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "g", Definition: `{"StartAt":"A\u0000","States":{"A\u0000":{"Type":"Pass","End":true}}}`})
		return invalid(err)
	})
	s.attack("definition over 1 MB (gRPC)", func() error {
		_, err := s.machines.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "g", Definition: pass(`"Comment":"` + strings.Repeat("c", 1_100_000) + `",`)})
		return invalid(err)
	})
}
