package csvorders_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	csvorders "github.com/stepwise-dev/stepwise/examples/csv-orders"
	"github.com/stepwise-dev/stepwise/internal/testserver"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/workers"
)

func TestPrice(t *testing.T) {
	t.Parallel()
	row := func(sku, qty, unit string) csvorders.Item {
		return csvorders.Item{Line: 7, Order: csvorders.Row{ID: "A-1", Customer: "acme", SKU: sku, Quantity: qty, UnitPrice: unit}}
	}
	tests := []struct {
		in                             csvorders.Item
		subtotal, discount, tax, total string
		quantity, totalCents           int64
		errName                        string
	}{
		// 2 × 12.50 = 25.00; books' VAT 5.5%: 1.375 → 1.38.
		{in: row("BOOK-001", "2", "12.50"), quantity: 2, subtotal: "25.00", discount: "0.00", tax: "1.38", total: "26.38", totalCents: 2638},
		// 9 units: no bulk discount; 20% VAT.
		{in: row("PEN-010", "9", "1.2"), quantity: 9, subtotal: "10.80", discount: "0.00", tax: "2.16", total: "12.96", totalCents: 1296},
		// 10 units: 10% off, then VAT on 10.80.
		{in: row("PEN-010", "10", "1.20"), quantity: 10, subtotal: "12.00", discount: "1.20", tax: "2.16", total: "12.96", totalCents: 1296},
		{in: row("DESK-300", " 1 ", "249"), quantity: 1, subtotal: "249.00", discount: "0.00", tax: "49.80", total: "298.80", totalCents: 29880},
		{in: row("SOFA-999", "1", "799.00"), errName: csvorders.ErrUnknownSKU},
		{in: row("MUG-100", "-2", "8.00"), errName: csvorders.ErrInvalidOrder},
		{in: row("MUG-100", "0", "8.00"), errName: csvorders.ErrInvalidOrder},
		{in: row("MUG-100", "1.5", "8.00"), errName: csvorders.ErrInvalidOrder},
		{in: row("MUG-100", "", "8.00"), errName: csvorders.ErrInvalidOrder},
		{in: row("MUG-100", "1", "8.001"), errName: csvorders.ErrInvalidOrder},
		{in: row("MUG-100", "1", "-8.00"), errName: csvorders.ErrInvalidOrder},
		{in: row("MUG-100", "1", "8.-1"), errName: csvorders.ErrInvalidOrder},
		{in: row("MUG-100", "1", "0.00"), errName: csvorders.ErrInvalidOrder},
		{in: row("MUG-100", "1", "eight"), errName: csvorders.ErrInvalidOrder},
	}
	for _, tt := range tests {
		got, err := csvorders.Price(tt.in)
		if tt.errName != "" {
			var we *workers.Error
			if !errors.As(err, &we) || we.Name != tt.errName || !strings.Contains(we.Cause, "line 7: order A-1") {
				t.Errorf("Price(%+v) = %+v, %v; want the error %s", tt.in.Order, got, err, tt.errName)
			}
			continue
		}
		want := csvorders.Priced{ID: "A-1", Customer: "acme", SKU: tt.in.Order.SKU, Quantity: tt.quantity,
			Subtotal: tt.subtotal, Discount: tt.discount, Tax: tt.tax, Total: tt.total, TotalCents: tt.totalCents}
		if err != nil || got != want {
			t.Errorf("Price(%+v) = %+v, %v; want %+v", tt.in.Order, got, err, want)
		}
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	out := func(id, customer string, cents int64) csvorders.ChildResult {
		b, _ := json.Marshal(csvorders.Priced{ID: id, Customer: customer, TotalCents: cents})
		return csvorders.ChildResult{Status: "SUCCEEDED", Output: string(b)}
	}
	got, err := csvorders.Summarize(csvorders.Results{MapRunArn: "run", Manifest: "s3://b/m.json",
		Succeeded: []csvorders.ChildResult{out("A-1", "acme", 1050), out("A-2", "hooli", 99), out("A-3", "acme", 2000)}})
	if err != nil || got.Orders != 3 || got.Revenue != "31.49" || got.Largest != "A-3" || got.MapRunArn != "run" ||
		got.ByCustomer["acme"] != "30.50" || got.ByCustomer["hooli"] != "0.99" {
		t.Errorf("Summarize = %+v, %v", got, err)
	}
	var we *workers.Error
	if _, err := csvorders.Summarize(csvorders.Results{Succeeded: []csvorders.ChildResult{{Output: "{"}}}); !errors.As(err, &we) || we.Name != "BadResult" {
		t.Errorf("Summarize of a bad output = %v; want BadResult", err)
	}
}

// TestDefinition checks that the state machine is valid and its Map is
// distributed, reads the CSV and writes its results.
func TestDefinition(t *testing.T) {
	t.Parallel()
	m, err := statelang.Parse([]byte(csvorders.Definition))
	if err != nil {
		t.Fatal(err)
	}
	s := m.States[m.StartAt]
	if s == nil || s.Type != statelang.TypeMap || s.ProcessorMode != "DISTRIBUTED" || s.Processor == nil {
		t.Fatalf("start state %+v; want a distributed Map", s)
	}
}

// expected prices orders.csv with Price: the priced orders and the rows
// that fail.
func expected(t *testing.T) (priced []csvorders.Priced, failed []string) {
	t.Helper()
	f, err := os.Open("orders.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows[1:] {
		p, err := csvorders.Price(csvorders.Item{Line: i + 2, Order: csvorders.Row{ID: r[0], Customer: r[1], SKU: r[2], Quantity: r[3], UnitPrice: r[4]}})
		if err != nil {
			failed = append(failed, err.(*workers.Error).Name)
			continue
		}
		priced = append(priced, p)
	}
	return priced, failed
}

// TestCSVOrders runs README.md's ```sh block word for word with bash
// (its addresses localhost:8080, :9090 and :4222 replaced by free ports;
// TMPDIR a temporary folder, where the block builds stepwise and the
// worker and keeps dev mode's data), then checks, through the dev mode it
// left running, the execution, the Map Run's children and the files the
// ResultWriter wrote.
func TestCSVOrders(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs stepwise dev")
	}
	need := []string{"/usr/bin/aws", "jq", "curl", "bash"}
	for _, tool := range need {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("STEPWISE_REQUIRE_AWSCLI") != "" {
				t.Fatalf("%s is needed (STEPWISE_REQUIRE_AWSCLI is set): %v", tool, err)
			}
			t.Skipf("%s is not installed: the README's block needs %s", tool, strings.Join(need, ", "))
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) != 1 {
		t.Fatalf("README.md has %d ```sh blocks; want 1", len(blocks))
	}
	block := blocks[0][1]
	httpAddr, grpcAddr, natsAddr := testserver.FreeAddr(t), testserver.FreeAddr(t), testserver.FreeAddr(t)
	script := strings.NewReplacer("localhost:8080", httpAddr, "localhost:9090", grpcAddr, "localhost:4222", natsAddr).Replace(block)
	for _, addr := range []string{"localhost:8080", "localhost:9090", "localhost:4222"} {
		if !strings.Contains(block, addr) {
			t.Fatalf("the README block does not name %s", addr)
		}
	}

	tmp := t.TempDir()
	env := []string{"TMPDIR=" + tmp, "PATH=/usr/bin:/bin:" + os.Getenv("PATH"), "AWS_PAGER=",
		"AWS_CONFIG_FILE=" + tmp + "/aws-config", "AWS_SHARED_CREDENTIALS_FILE=" + tmp + "/aws-credentials"}
	for _, kv := range os.Environ() { // Go's own settings (GOCACHE, HOME ...) stay for the block's go build
		if k, _, _ := strings.Cut(kv, "="); k != "PATH" && k != "TMPDIR" && !strings.HasPrefix(k, "AWS_") && !strings.HasPrefix(k, "STEPWISE_") {
			env = append(env, kv)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute) // a cold go build on 2 busy cores takes minutes
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", "set -euo pipefail\n"+script)
	cmd.Dir = "../.."
	cmd.Env = env
	// The block leaves dev mode and the worker running in its process
	// group: they are killed with it when the test ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if cmd.Process != nil {
		t.Cleanup(func() { killGroup(t, cmd.Process.Pid) })
	}
	if err != nil {
		logs, _ := filepath.Glob(filepath.Join(tmp, "*", "*.log")) // the block's dev.log and worker.log
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			out = fmt.Appendf(out, "--- %s\n%s", l, b)
		}
		t.Fatalf("README block: %v\n--- output\n%s", err, out)
	}
	t.Logf("README block output:\n%s", out)

	// The execution: SUCCEEDED, with the orders Price prices.
	priced, failed := expected(t)
	if len(priced) != 28 || len(failed) != 2 {
		t.Fatalf("orders.csv: %d rows priced and %d failed; want 28 and 2", len(priced), len(failed))
	}
	var revenue int64
	for _, p := range priced {
		revenue += p.TotalCents
	}
	var list struct {
		Executions []struct{ ARN, Status, Output string }
	}
	getJSON(t, "http://"+httpAddr+"/v1/executions?state_machine_name=csv-orders", &list)
	if len(list.Executions) != 1 || list.Executions[0].Status != "EXECUTION_STATUS_SUCCEEDED" {
		t.Fatalf("csv-orders executions = %+v; want one SUCCEEDED", list.Executions)
	}
	var sum csvorders.Summary
	if err := json.Unmarshal([]byte(list.Executions[0].Output), &sum); err != nil {
		t.Fatalf("output %q: %v", list.Executions[0].Output, err)
	}
	if sum.Orders != 28 || sum.Revenue != fmt.Sprintf("%d.%02d", revenue/100, revenue%100) ||
		!strings.Contains(sum.MapRunArn, ":mapRun:csv-orders/orders:") {
		t.Errorf("execution output = %+v; want 28 orders and a revenue of %d cents", sum, revenue)
	}

	// The Map Run's children: 28 SUCCEEDED, 2 FAILED.
	getJSON(t, "http://"+httpAddr+"/v1/executions?state_machine_name=csv-orders/orders", &list)
	count := map[string]int{}
	for _, x := range list.Executions {
		count[x.Status]++
	}
	if count["EXECUTION_STATUS_SUCCEEDED"] != 28 || count["EXECUTION_STATUS_FAILED"] != 2 || len(list.Executions) != 30 {
		t.Errorf("children by status = %v; want 28 SUCCEEDED and 2 FAILED", count)
	}

	// The ResultWriter's files in the bucket (read from the embedded S3
	// endpoint, which needs no signature).
	key, ok := strings.CutPrefix(sum.Manifest, "s3://csv-orders/")
	if !ok {
		t.Fatalf("manifest %q; want one in s3://csv-orders/", sum.Manifest)
	}
	var manifest struct {
		MapRunArn   string
		ResultFiles map[string][]struct{ Key string }
	}
	getJSON(t, "http://"+httpAddr+"/s3/csv-orders/"+key, &manifest)
	if manifest.MapRunArn != sum.MapRunArn || len(manifest.ResultFiles["SUCCEEDED"]) != 1 || len(manifest.ResultFiles["FAILED"]) != 1 {
		t.Fatalf("manifest = %+v; want one SUCCEEDED file and one FAILED file", manifest)
	}
	var ok28, failed2 []struct{ Status, Error, Cause string }
	getJSON(t, "http://"+httpAddr+"/s3/csv-orders/"+manifest.ResultFiles["SUCCEEDED"][0].Key, &ok28)
	getJSON(t, "http://"+httpAddr+"/s3/csv-orders/"+manifest.ResultFiles["FAILED"][0].Key, &failed2)
	if len(ok28) != 28 || len(failed2) != 2 {
		t.Fatalf("%d results in the SUCCEEDED file and %d in the FAILED file; want 28 and 2", len(ok28), len(failed2))
	}
	gotErrs := failed2[0].Error + " " + failed2[1].Error
	if !strings.Contains(gotErrs, failed[0]) || !strings.Contains(gotErrs, failed[1]) {
		t.Errorf("FAILED file = %+v; want the errors %v", failed2, failed)
	}
	// What the block printed: the summary and the children by status.
	for _, want := range []string{`"status": "SUCCEEDED"`, `"orders": 28`, `"EXECUTION_STATUS_SUCCEEDED": 28`, `"EXECUTION_STATUS_FAILED": 2`, "UnknownSku", "MapRunStarted"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the block's output does not show %s", want)
		}
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v\n%s", url, err, b)
	}
}

// killGroup kills the block's process group (dev mode and the worker it
// left running) and waits until none of it runs, so that the temporary
// folder can be removed. (Orphans are reaped by whoever adopts them: a
// zombie has ended.)
func killGroup(t *testing.T, pgid int) {
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if !running(pgid) {
			return
		}
	}
	t.Errorf("the README block's processes (group %d) are still running", pgid)
}

// running reports whether a process of group pgid runs (is not a zombie),
// from /proc/<pid>/stat: "pid (comm) state ppid pgrp ...".
func running(pgid int) bool {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		f := strings.Fields(string(b[i+1:]))
		if i < 0 || len(f) < 3 {
			continue
		}
		if f[2] == strconv.Itoa(pgid) && f[0] != "Z" && f[0] != "X" {
			return true
		}
	}
	return false
}
