package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/pgtest"
	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// TestServerFrontDoor runs `stepwise server --auth-token` and checks, on the
// real process: a request without the token that announces a body and
// sends almost none of it is refused at once and its connection closed;
// the scheme's case does not matter; /metrics needs the token; HEAD /
// serves the UI's headers.
func TestServerFrontDoor(t *testing.T) {
	t.Parallel()
	dsn := pgtest.SchemaDSN(t)
	bin := buildStepwise(t)
	httpAddr := testserver.FreeAddr(t)
	cmd := exec.Command(bin, "server", "--db", dsn, "--nats", "", "--http", httpAddr, "--grpc", testserver.FreeAddr(t), "--auth-token", "s3cret")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + httpAddr
	for i := 0; ; i++ {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i == 600 {
			t.Fatalf("stepwise server did not answer /healthz:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	c, err := net.Dial("tcp", httpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute)) // only against a hang
	_, _ = io.WriteString(c, "POST /v1/state-machines HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"nam")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to a request without a token while its body trickles: %v", err)
	}
	_, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 401 {
		t.Errorf("POST without a token = %d; want 401", resp.StatusCode)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("the refused connection is still open (read: %v); want it closed", err)
	}

	req, _ := http.NewRequest("GET", base+"/v1/state-machines", nil)
	req.Header.Set("Authorization", "bearer s3cret")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET /v1/state-machines with 'bearer s3cret' = %v %v; want 200 with nosniff", resp, err)
	} else {
		resp.Body.Close()
	}
	if resp, err := http.Get(base + "/metrics"); err != nil || resp.StatusCode != 401 {
		t.Errorf("GET /metrics without the token = %v %v; want 401", resp, err)
	} else {
		resp.Body.Close()
	}
	req, _ = http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /metrics with the token = %v %v; want 200", resp, err)
	} else {
		resp.Body.Close()
	}
	if resp, err := http.Head(base + "/"); err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("HEAD / = %v %v; want 200 with the UI's CSP", resp, err)
	}
}
