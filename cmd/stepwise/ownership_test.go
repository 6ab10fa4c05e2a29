package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// runDevOnce runs `stepwise dev` with args until it exits by itself (a
// minute at most, against a hang) and returns its exit code and output.
func runDevOnce(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"dev"}, args...)...)
	cmd.Env = append(os.Environ(), "STEPWISE_DEV_DB=", "STEPWISE_DEV_NATS_URL=")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case ctx.Err() != nil:
		t.Fatalf("stepwise dev %v did not exit within a minute:\n%s", args, out)
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out)
	default:
		t.Fatal(err)
	}
	return 0, ""
}

// TestDevDataDirLock starts `stepwise dev`, then a second one on the same
// data dir, on the first one's ports and on ports of its own: each exits
// at once with an error naming the first one's PID and HTTP address. The
// first keeps working (an execution started afterwards runs its tasks over
// the embedded NATS to the end), and stops cleanly on SIGTERM.
func TestDevDataDirLock(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := buildStepwise(t)
	dataDir := t.TempDir()
	httpAddr, grpcAddr, natsAddr := testserver.FreeAddr(t), testserver.FreeAddr(t), testserver.FreeAddr(t)
	first := startDev(t, bin, dataDir, httpAddr, grpcAddr, natsAddr)

	for _, ports := range [][3]string{{httpAddr, grpcAddr, natsAddr}, {testserver.FreeAddr(t), testserver.FreeAddr(t), testserver.FreeAddr(t)}} {
		code, out := runDevOnce(t, bin, "--data-dir", dataDir, "--http", ports[0], "--grpc", ports[1], "--nats-listen", ports[2])
		pid := "process " + strconv.Itoa(first.cmd.Process.Pid)
		if code != 1 || !strings.Contains(out, pid) || !strings.Contains(out, "http://"+httpAddr) || !strings.Contains(out, "--data-dir") {
			t.Errorf("a second stepwise dev on the data dir (ports %v) = exit %d, %q; want exit 1 naming %s, http://%s and --data-dir", ports, code, out, pid, httpAddr)
		}
	}

	def, err := os.ReadFile("../../examples/map-fanout/fanout.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"name": "fanout", "definition": string(def)})
	first.post(t, "/v1/state-machines", string(body))
	in, _ := json.Marshal(map[string]any{"album": "after", "images": []string{"a.png", "b.png", "c.png"}})
	start, _ := json.Marshal(map[string]string{"name": "after", "input": string(in)})
	first.post(t, "/v1/state-machines/fanout/executions", string(start))
	x := first.wait(t, "arn:aws:states:us-east-1:111111111111:execution:fanout:after")
	if !strings.Contains(fmt.Sprint(x["status"]), "SUCCEEDED") {
		t.Errorf("an execution started on the first stepwise dev after the second one's attempts = %v; want SUCCEEDED", x)
	}

	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-first.eof
	if err := first.cmd.Wait(); err != nil {
		t.Errorf("stepwise dev after SIGTERM: %v\n%s", err, first.stderr)
	}
	if !strings.Contains(first.out.String(), "stopped in ") {
		t.Errorf("stepwise dev printed %q on SIGTERM; want how long it took to stop", first.out)
	}
}

// TestDevPortInUse starts `stepwise dev` with each of its ports taken in
// turn: it exits with an error naming the flag that changes that port,
// having opened nothing in its data dir but the lock file.
func TestDevPortInUse(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := buildStepwise(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, flag := range []string{"--http", "--grpc", "--nats-listen"} {
		dataDir := t.TempDir()
		ports := map[string]string{"--http": testserver.FreeAddr(t), "--grpc": testserver.FreeAddr(t), "--nats-listen": testserver.FreeAddr(t)}
		ports[flag] = taken.Addr().String()
		code, out := runDevOnce(t, bin, "--data-dir", dataDir, "--http", ports["--http"], "--grpc", ports["--grpc"], "--nats-listen", ports["--nats-listen"])
		want := "listen on " + taken.Addr().String() + ": address already in use; choose another port with " + flag
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("stepwise dev with %s taken = exit %d, %q; want exit 1 and %q", flag, code, out, want)
		}
		if names, _ := filepath.Glob(filepath.Join(dataDir, "*")); len(names) != 1 || filepath.Base(names[0]) != lockName {
			t.Errorf("stepwise dev with %s taken left %v in its data dir; want only %s", flag, names, lockName)
		}
	}
}

// TestEmbeddedNATSPortInUse checks what the check before it (checkFree)
// normally catches: a port taken between the check and the embedded
// server's start is reported at once, with its flag, not after the
// server's ready timeout.
func TestEmbeddedNATSPortInUse(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	ns, err := startEmbeddedNATS(taken.Addr().String(), t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		ns.Shutdown()
	}
	want := "address already in use; choose another port with --nats-listen"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("startEmbeddedNATS(%q) = %v; want an error ending %q", taken.Addr(), err, want)
	}
}

// TestFileLock takes a lock file twice in one process (flock locks open
// files, not processes): the second attempt names the holder, and after
// Close the lock can be taken again.
func TestFileLock(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), lockName)
	l, err := lockFile(path)
	if errors.Is(err, errNoLock) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := l.describe("http://localhost:8080"); err != nil {
		t.Fatal(err)
	}
	_, err = lockFile(path)
	var inUse *inUseError
	if !errors.As(err, &inUse) || inUse.PID != os.Getpid() || inUse.HTTP != "http://localhost:8080" {
		t.Fatalf("lockFile(%q) while held = %v; want an *inUseError naming pid %d and http://localhost:8080", path, err, os.Getpid())
	}
	l.Close()
	l, err = lockFile(path)
	if err != nil {
		t.Fatalf("lockFile(%q) after Close = %v; want the lock", path, err)
	}
	l.Close()
}
