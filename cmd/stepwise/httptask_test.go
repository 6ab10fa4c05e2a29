package main

import (
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// TestHTTPTaskWiring: the connections file named by STEPWISE_HTTP_CONNECTIONS
// (or --http-connections) is read with its ${NAME} secrets, and the
// engine config gets a service that calls APIs with them.
func TestHTTPTaskWiring(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "me" || p != "from-env" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer api.Close()
	file := filepath.Join(t.TempDir(), "connections.yaml")
	yml := "connections:\n  billing:\n    basic: {username: me, password: \"${BILLING_PASSWORD}\"}\n"
	if err := os.WriteFile(file, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STEPWISE_HTTP_CONNECTIONS", file)
	t.Setenv("BILLING_PASSWORD", "from-env")

	for _, flags := range []func(*flag.FlagSet) httpTaskConfig{
		func(fs *flag.FlagSet) httpTaskConfig { return serverFlags(fs).HTTPTask },
		func(fs *flag.FlagSet) httpTaskConfig { return devFlags(fs).HTTPTask },
	} {
		c := flags(flag.NewFlagSet("t", flag.ContinueOnError))
		if c.Connections != file {
			t.Fatalf("HTTPTask.Connections = %q; want STEPWISE_HTTP_CONNECTIONS's %q", c.Connections, file)
		}
		ecfg, err := withHTTPTask(engine.Config{Region: "us-east-1"}, c)
		if err != nil {
			t.Fatal(err)
		}
		if len(ecfg.Services) != 1 || !ecfg.Services[0].Serves(statelang.ParseResource("arn:aws:states:::http:invoke")) {
			t.Fatalf("Services = %v; want the HTTP task's", ecfg.Services)
		}
		out, err := ecfg.Services[0].Invoke(context.Background(), engine.Task{Input: `{"ApiEndpoint":"` + api.URL +
			`","Method":"GET","Authentication":{"ConnectionArn":"arn:aws:events:us-east-1:111111111111:connection/billing/1"}}`})
		if err != nil || !strings.Contains(out, `"StatusCode":200`) {
			t.Errorf("Invoke = %s, %v; want 200 with the connection's credentials", out, err)
		}
	}

	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c := serverFlags(fs)
	if err := fs.Parse([]string{"--http-connections", filepath.Join(t.TempDir(), "absent.yaml")}); err != nil {
		t.Fatal(err)
	}
	if _, err := withHTTPTask(engine.Config{}, c.HTTPTask); err == nil || !strings.Contains(err.Error(), "absent.yaml") {
		t.Errorf("withHTTPTask(absent file) = %v; want an error naming it", err)
	}
	t.Setenv("BILLING_PASSWORD", "")
	os.Unsetenv("BILLING_PASSWORD")
	if _, err := withHTTPTask(engine.Config{}, httpTaskConfig{Connections: file}); err == nil || !strings.Contains(err.Error(), "BILLING_PASSWORD") {
		t.Errorf("withHTTPTask(unset variable) = %v; want an error naming it", err)
	}
}
