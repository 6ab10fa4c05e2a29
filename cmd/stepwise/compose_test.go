package main

import (
	"flag"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// dockerBuild is the build command of the Dockerfile's build stage, which
// TestDockerfile also runs (into a temporary directory instead of /out/).
const dockerBuild = "CGO_ENABLED=0 go build -o /out/ ./cmd/stepwise ./examples/order-processing/workers ./examples/map-fanout/fanout-worker ./examples/approval/approval-worker ./examples/approval/approver"

// TestDockerfile checks that the Dockerfile builds with dockerBuild, and
// runs that command.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var runs []string
	for _, line := range strings.Split(string(b), "\n") {
		if cmd, ok := strings.CutPrefix(line, "RUN "); ok && strings.Contains(cmd, "go build") {
			runs = append(runs, cmd)
		}
	}
	if len(runs) != 1 || runs[0] != dockerBuild {
		t.Fatalf("the Dockerfile's go build = %q; want exactly %q", runs, dockerBuild)
	}
	if !strings.Contains(string(b), "FROM golang:1.26 AS build") || !strings.Contains(string(b), "COPY --from=build /out/ /usr/local/bin/") {
		t.Error("the Dockerfile is not the multi-stage build (golang:1.26 → /usr/local/bin) this test expects")
	}
	if !strings.Contains(string(b), "COPY workers/go.mod workers/go.sum ./workers/\nRUN go mod download") {
		t.Error("the Dockerfile does not copy the worker SDK's go.mod (go.mod replaces it with ./workers) before go mod download")
	}
	if testing.Short() {
		return
	}
	out := t.TempDir() + "/"
	args := strings.Fields(strings.TrimPrefix(dockerBuild, "CGO_ENABLED=0 "))
	for i, a := range args {
		if a == "/out/" {
			args[i] = out
		}
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", dockerBuild, err, b)
	}
	for _, bin := range imageBinaries() {
		if _, err := os.Stat(filepath.Join(out, bin)); err != nil {
			t.Errorf("the image would lack %s: %v", bin, err)
		}
	}
}

// imageBinaries are the programs dockerBuild puts in /usr/local/bin.
func imageBinaries() []string {
	var out []string
	for _, f := range strings.Fields(dockerBuild) {
		if strings.HasPrefix(f, "./") {
			out = append(out, path.Base(f))
		}
	}
	return out
}

type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Command     []string          `yaml:"command"`
		Entrypoint  []string          `yaml:"entrypoint"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Profiles    []string          `yaml:"profiles"`
		Volumes     []string          `yaml:"volumes"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck *struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
}

// serverEnv returns the STEPWISE_* variables `stepwise server` reads, from
// its flags' usage, with their flag names.
func serverEnv() map[string]string {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	serverFlags(fs)
	out := map[string]string{}
	re := regexp.MustCompile(`\((STEPWISE_[A-Z_]+)\)`)
	fs.VisitAll(func(f *flag.Flag) {
		if m := re.FindStringSubmatch(f.Usage); m != nil {
			out[m[1]] = f.Name
		}
	})
	return out
}

// TestCompose checks docker-compose.yml against the server's
// configuration: services, healthchecks, ports and environment.
func TestCompose(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range []string{"postgres", "nats", "stepwise", "order-workers", "fanout-worker", "approval-worker", "approver"} {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("service %s is missing", name)
		}
	}
	for _, name := range []string{"postgres", "nats", "stepwise"} {
		if hc := c.Services[name].Healthcheck; hc == nil || len(hc.Test) < 2 {
			t.Errorf("service %s has no healthcheck", name)
		}
	}
	for name, s := range c.Services {
		for dep, d := range s.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("%s depends on an unknown service %s", name, dep)
			}
			if d.Condition == "service_healthy" && c.Services[dep].Healthcheck == nil {
				t.Errorf("%s waits for %s to be healthy, which has no healthcheck", name, dep)
			}
		}
	}
	if nats := c.Services["nats"]; !strings.Contains(strings.Join(nats.Command, " "), "-js") {
		t.Errorf("nats command %q does not enable JetStream (-js)", nats.Command)
	}

	sw := c.Services["stepwise"]
	if sw.Build == nil || len(sw.Command) == 0 || sw.Command[0] != "server" {
		t.Errorf("stepwise service: build %v, command %q; want built from the Dockerfile, running server", sw.Build, sw.Command)
	}
	known := serverEnv()
	for k := range sw.Environment {
		if _, ok := known[k]; !ok {
			t.Errorf("stepwise service sets %s, which stepwise server does not read (it reads %v)", k, known)
		}
	}
	for _, k := range []string{"STEPWISE_DB", "STEPWISE_NATS_URL", "STEPWISE_HTTP_ADDR", "STEPWISE_GRPC_ADDR"} {
		if sw.Environment[k] == "" {
			t.Errorf("stepwise service does not set %s", k)
		}
	}
	// The database URL names the postgres service and its credentials.
	db, err := url.Parse(sw.Environment["STEPWISE_DB"])
	pg := c.Services["postgres"].Environment
	if err != nil || db.Hostname() != "postgres" || db.Port() != "5432" || db.User.Username() != pg["POSTGRES_USER"] ||
		strings.TrimPrefix(db.Path, "/") != pg["POSTGRES_DB"] {
		t.Errorf("STEPWISE_DB %q does not match the postgres service %v", sw.Environment["STEPWISE_DB"], pg)
	}
	if pw, _ := db.User.Password(); pw != pg["POSTGRES_PASSWORD"] {
		t.Errorf("STEPWISE_DB's password does not match POSTGRES_PASSWORD")
	}
	natsURL := sw.Environment["STEPWISE_NATS_URL"]
	if natsURL != "nats://nats:4222" {
		t.Errorf("STEPWISE_NATS_URL = %q; want nats://nats:4222", natsURL)
	}
	// The published ports are the ones the server listens on.
	ports := map[string]bool{}
	for _, p := range sw.Ports {
		parts := strings.Split(p, ":")
		ports[parts[len(parts)-1]] = true
	}
	for _, k := range []string{"STEPWISE_HTTP_ADDR", "STEPWISE_GRPC_ADDR"} {
		_, port, err := net.SplitHostPort(sw.Environment[k])
		if err != nil || !ports[port] {
			t.Errorf("%s = %q; its port is not published (%v)", k, sw.Environment[k], sw.Ports)
		}
	}
	_, httpPort, _ := net.SplitHostPort(sw.Environment["STEPWISE_HTTP_ADDR"])
	if hc := sw.Healthcheck; hc == nil || !strings.Contains(strings.Join(hc.Test, " "), "healthcheck http://localhost:"+httpPort+"/healthz") {
		t.Errorf("stepwise healthcheck %v does not probe /healthz on the HTTP port %s", sw.Healthcheck, httpPort)
	}
	// Workers: programs in the image, connected to the same NATS.
	bins := map[string]bool{}
	for _, b := range imageBinaries() {
		bins[b] = true
	}
	for _, name := range []string{"order-workers", "fanout-worker", "approval-worker", "approver"} {
		s := c.Services[name]
		if s.Image != sw.Image || len(s.Entrypoint) != 1 || !bins[path.Base(s.Entrypoint[0])] {
			t.Errorf("%s: image %q entrypoint %q; want the stepwise image (%q) and one of its programs %v", name, s.Image, s.Entrypoint, sw.Image, imageBinaries())
		}
		args := " " + strings.Join(s.Command, " ") + " "
		if !strings.Contains(args, " -nats "+natsURL+" ") {
			t.Errorf("%s: command %q does not connect to %s", name, s.Command, natsURL)
		}
		if s.DependsOn["stepwise"].Condition != "service_healthy" {
			t.Errorf("%s does not wait for a healthy stepwise", name)
		}
	}
	if args := strings.Join(c.Services["approver"].Command, " "); !strings.Contains(args, "-api http://stepwise:"+httpPort) {
		t.Errorf("approver command %q does not call the stepwise service's HTTP port", args)
	}
	// Prometheus and Grafana: only under the observability profile, with
	// the files of deploy/ mounted, Prometheus scraping the HTTP port.
	for _, name := range []string{"prometheus", "grafana"} {
		s := c.Services[name]
		if len(s.Profiles) != 1 || s.Profiles[0] != "observability" {
			t.Errorf("%s: profiles %q; want [observability]", name, s.Profiles)
		}
		if len(s.Volumes) == 0 {
			t.Errorf("%s mounts nothing from deploy/", name)
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if _, err := os.Stat(filepath.Join("../..", src)); err != nil {
				t.Errorf("%s mounts %s: %v", name, src, err)
			}
		}
	}
	for _, name := range []string{"postgres", "nats", "stepwise", "order-workers"} {
		if len(c.Services[name].Profiles) != 0 {
			t.Errorf("%s has profiles %q; the default services have none", name, c.Services[name].Profiles)
		}
	}
	prom, err := os.ReadFile("../../deploy/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(prom), `"stepwise:`+httpPort+`"`) {
		t.Errorf("deploy/prometheus.yml does not scrape stepwise:%s:\n%s", httpPort, prom)
	}
}
