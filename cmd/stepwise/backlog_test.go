package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/pgtest"
	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// TestMetricsBacklog: the real binary finds Backlog on its store and
// /metrics shows the backlog gauges (stepwise_tasks_open,
// stepwise_executions_running): `stepwise server` on Postgres and
// `stepwise dev` on SQLite and in memory, each with one execution waiting
// on a task no worker takes and one that ended.
func TestMetricsBacklog(t *testing.T) {
	t.Parallel()
	bin := buildStepwise(t)
	t.Run("server", func(t *testing.T) {
		t.Parallel()
		httpAddr := testserver.FreeAddr(t)
		// No NATS: tasks stay SCHEDULED.
		cmd := exec.Command(bin, "server", "--db", pgtest.SchemaDSN(t), "--nats", "", "--http", httpAddr, "--grpc", testserver.FreeAddr(t))
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		for i := 0; ; i++ {
			if resp, err := http.Get("http://" + httpAddr + "/healthz"); err == nil {
				resp.Body.Close()
				break
			}
			if i == 600 {
				t.Fatalf("stepwise server did not answer /healthz:\n%s", out.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
		checkBacklogGauges(t, &devProc{http: httpAddr})
	})
	t.Run("dev", func(t *testing.T) {
		t.Parallel()
		checkBacklogGauges(t, startDev(t, bin, t.TempDir(), testserver.FreeAddr(t), testserver.FreeAddr(t), testserver.FreeAddr(t)))
	})
	t.Run("dev memory", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		p := startDev(t, bin, dir, testserver.FreeAddr(t), testserver.FreeAddr(t), testserver.FreeAddr(t), "--db", "memory")
		if !strings.Contains(p.out.String(), "store:   memory (not durable") {
			t.Errorf("stepwise dev --db memory printed %q; want it to show the memory store", p.out)
		}
		checkBacklogGauges(t, p)
		if _, err := os.Stat(filepath.Join(dir, "stepwise.db")); !os.IsNotExist(err) {
			t.Errorf("stepwise dev --db memory made a SQLite file (%v)", err)
		}
	})
}

func checkBacklogGauges(t *testing.T, p *devProc) {
	t.Helper()
	for name, def := range map[string]string{
		"waits": `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:nobody","End":true}}}`,
		"ends":  `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`,
	} {
		body, _ := json.Marshal(map[string]string{"name": name, "definition": def})
		p.post(t, "/v1/state-machines", string(body))
		p.post(t, "/v1/state-machines/"+name+"/executions", `{"name":"one","input":"{}"}`)
	}
	want := map[string]float64{"stepwise_tasks_open": 1, "stepwise_executions_running": 1}
	var got map[string]float64
	// The Pass execution ends in its start's commit, the task is open from
	// its start on; a few scrapes allow for a slow start-up.
	for range 50 {
		got = scrapeGauges(t, "http://"+p.http+"/metrics", want)
		if len(got) == len(want) && got["stepwise_tasks_open"] == 1 && got["stepwise_executions_running"] == 1 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("/metrics backlog gauges = %v; want %v", got, want)
}

// scrapeGauges returns the values of the unlabelled series named in want
// that /metrics shows.
func scrapeGauges(t *testing.T, url string, want map[string]float64) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d", url, resp.StatusCode)
	}
	got := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if _, asked := want[name]; !ok || !asked {
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			got[name] = f
		}
	}
	return got
}
