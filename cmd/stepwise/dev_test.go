package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// devProc is a `stepwise dev` process on free ports.
type devProc struct {
	cmd    *exec.Cmd
	http   string // host:port
	out    *strings.Builder
	stderr *strings.Builder
	eof    chan struct{} // closed when stdout is read to its end
}

// buildStepwise builds the binary once per test.
func buildStepwise(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "stepwise")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startDev starts `stepwise dev` on dataDir, with extra flags, and waits
// for "ready".
func startDev(t *testing.T, bin, dataDir, httpAddr, grpcAddr, natsAddr string, extra ...string) *devProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"dev", "--data-dir", dataDir, "--http", httpAddr, "--grpc", grpcAddr, "--nats-listen", natsAddr, "--poll", "50ms"}, extra...)...)
	cmd.Env = append(os.Environ(), "STEPWISE_DEV_DB=", "STEPWISE_DEV_NATS_URL=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &devProc{cmd: cmd, http: httpAddr, out: &strings.Builder{}, stderr: &stderr, eof: make(chan struct{})}
	t.Cleanup(func() { p.kill() })
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.out.WriteString(sc.Text() + "\n")
			if sc.Text() == "ready" {
				ready <- true
			}
		}
		ready <- false
		_, _ = io.Copy(io.Discard, stdout)
		close(p.eof)
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("stepwise dev exited before it was ready:\n%s\n%s", p.out, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("stepwise dev not ready after 60s:\n%s\n%s", p.out, stderr.String())
	}
	return p
}

func (p *devProc) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}

func (p *devProc) get(t *testing.T, path string) map[string]any {
	t.Helper()
	resp, err := http.Get("http://" + p.http + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &m); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", path, resp.StatusCode, b)
	}
	return m
}

func (p *devProc) post(t *testing.T, path, body string) map[string]any {
	t.Helper()
	resp, err := http.Post("http://"+p.http+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &m); err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST %s %s = %d %s", path, body, resp.StatusCode, b)
	}
	return m
}

// wait polls an execution until it is no longer RUNNING.
func (p *devProc) wait(t *testing.T, arn string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		x := p.get(t, "/v1/executions/"+arn)
		ex, _ := x["execution"].(map[string]any)
		if ex["status"] != "RUNNING" && ex["status"] != "EXECUTION_STATUS_RUNNING" || time.Now().After(deadline) {
			return ex
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readmeBlocks returns the README's ```sh blocks that talk to a running
// dev mode (they name localhost:8080).
func readmeBlocks(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		if strings.Contains(m[1], "localhost:8080") {
			out = append(out, m[1])
		}
	}
	return out
}

// runBlock runs one README block with bash in the repository root, the
// README's localhost:8080 replaced by the dev process's address.
func runBlock(t *testing.T, block, httpAddr string, env []string) string {
	t.Helper()
	script := "set -euo pipefail\n" + strings.ReplaceAll(block, "localhost:8080", httpAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = "../.."
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README block failed: %v\n--- block\n%s\n--- output\n%s", err, block, out)
	}
	return string(out)
}

// TestDevTour starts `stepwise dev` (the README's run command, built) on
// free ports with a temporary data dir and runs the README's tour against
// it: every ```sh block that talks to localhost:8080 (runTour). Then it
// starts executions that wait (a payment callback) or run (a Map fan-out),
// SIGKILLs dev mode, restarts it on the same data dir, checks that they
// finish, and runs the tour again there.
func TestDevTour(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	for _, tool := range []string{"curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	bin := buildStepwise(t)
	dataDir := t.TempDir()
	httpAddr, grpcAddr, natsAddr := testserver.FreeAddr(t), testserver.FreeAddr(t), testserver.FreeAddr(t)
	dev := startDev(t, bin, dataDir, httpAddr, grpcAddr, natsAddr)
	for _, want := range []string{"http://" + httpAddr + "/", "gRPC:    " + grpcAddr, "nats://" + natsAddr, "SQLite " + filepath.Join(dataDir, "stepwise.db"), "process-payment"} {
		if !strings.Contains(dev.out.String(), want) {
			t.Errorf("stepwise dev printed %q; want it to show %q", dev.out, want)
		}
	}

	home := t.TempDir()
	env := []string{"PATH=/usr/bin:/bin:" + os.Getenv("PATH"), "HOME=" + home, "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials")}
	tours := runTour(t, httpAddr, env) // order executions each run of the tour starts
	checkOrders(t, dev, tours)

	// Survive a SIGKILL: an order waiting for its payment and a fan-out.
	def, _ := os.ReadFile("../../examples/map-fanout/fanout.asl.json")
	body, _ := json.Marshal(map[string]string{"name": "fanout", "definition": string(def)})
	dev.post(t, "/v1/state-machines", string(body))
	var images []string
	for i := range 40 {
		images = append(images, fmt.Sprintf("img%02d.png", i))
	}
	in, _ := json.Marshal(map[string]any{"album": "trip", "images": images})
	fan, _ := json.Marshal(map[string]string{"name": "trip", "input": string(in)})
	dev.post(t, "/v1/state-machines/fanout/executions", string(fan))
	dev.post(t, "/v1/state-machines/order/executions", `{"name":"order-3","input":"{\"orderId\":\"A-3\",\"items\":[\"cup\"],\"totalAmount\":3}"}`)
	orderARN := "arn:aws:states:us-east-1:111111111111:execution:order:order-3"
	token := waitToken(t, dev, orderARN)
	dev.kill()
	dev = startDev(t, bin, dataDir, httpAddr, grpcAddr, natsAddr)
	dev.post(t, "/v1/tasks:success", fmt.Sprintf(`{"task_token":%q,"output":"{\"paymentId\":\"pay-A-3\"}"}`, token))
	if x := dev.wait(t, orderARN); !strings.Contains(fmt.Sprint(x["status"]), "SUCCEEDED") {
		t.Errorf("order-3 after a SIGKILL and restart = %v; want SUCCEEDED", x)
	}
	x := dev.wait(t, "arn:aws:states:us-east-1:111111111111:execution:fanout:trip")
	var sum struct {
		Count      int `json:"count"`
		TotalBytes int `json:"totalBytes"`
	}
	_ = json.Unmarshal([]byte(fmt.Sprint(x["output"])), &sum)
	if !strings.Contains(fmt.Sprint(x["status"]), "SUCCEEDED") || sum.Count != 40 {
		t.Errorf("fan-out after a SIGKILL and restart = %v; want SUCCEEDED with 40 thumbnails", x)
	}
	// The tour again, on the same data dir: the first run's executions
	// and order-3 stay, the new ones finish too.
	runTour(t, httpAddr, env)
	checkOrders(t, dev, 2*tours+1)
}

// runTour runs the README's tour blocks against httpAddr: the curl blocks
// always and the aws CLI blocks when /usr/bin/aws is installed (required
// when STEPWISE_REQUIRE_AWSCLI is set). It returns how many order
// executions they started (one a block).
func runTour(t *testing.T, httpAddr string, env []string) int {
	t.Helper()
	_, awsErr := os.Stat("/usr/bin/aws")
	ranCurl, ranAWS := 0, 0
	for _, b := range readmeBlocks(t) {
		if strings.Contains(b, "aws stepfunctions") {
			if awsErr != nil {
				if os.Getenv("STEPWISE_REQUIRE_AWSCLI") != "" {
					t.Fatalf("/usr/bin/aws: %v", awsErr)
				}
				t.Logf("skipping an aws CLI block: /usr/bin/aws is not installed")
				continue
			}
			ranAWS++
		} else {
			ranCurl++
		}
		out := runBlock(t, b, httpAddr, env)
		t.Logf("README block output:\n%s", out)
	}
	if ranCurl == 0 {
		t.Fatal("the README has no curl tour block naming localhost:8080")
	}
	return ranCurl + ranAWS
}

// checkOrders checks that the order machine has n executions, each
// SUCCEEDED with its order shipped.
func checkOrders(t *testing.T, dev *devProc, n int) {
	t.Helper()
	list := dev.get(t, "/v1/executions?state_machine_name=order")
	xs, _ := list["executions"].([]any)
	if len(xs) != n {
		t.Errorf("%d order executions listed; want %d", len(xs), n)
	}
	for _, x := range xs {
		arn, _ := x.(map[string]any)["arn"].(string)
		if ex := dev.wait(t, arn); !strings.Contains(fmt.Sprint(ex["status"]), "SUCCEEDED") || !strings.Contains(fmt.Sprint(ex["output"]), `"shipped":true`) {
			t.Errorf("order execution %s = %v; want SUCCEEDED and shipped", arn, ex)
		}
	}
}

// waitToken finds the task token of an execution's TaskScheduled event.
func waitToken(t *testing.T, dev *devProc, arn string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		h := dev.get(t, "/v1/executions/"+arn+"/history")
		evs, _ := h["events"].([]any)
		for _, e := range evs {
			ev, _ := e.(map[string]any)
			if ev["type"] != "TaskScheduled" {
				continue
			}
			var det struct {
				Parameters string `json:"parameters"`
			}
			_ = json.Unmarshal([]byte(fmt.Sprint(ev["details"])), &det)
			var params struct {
				Payload struct {
					TaskToken string `json:"taskToken"`
				}
			}
			_ = json.Unmarshal([]byte(det.Parameters), &params)
			if params.Payload.TaskToken != "" {
				return params.Payload.TaskToken
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no task token in the history of %s", arn)
	return ""
}
