package telemetry_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/telemetry"
)

// TestDashboard checks that every query of the Grafana dashboard in
// deploy/ names metrics Stepwise serves, and that every Stepwise metric
// has a panel.
func TestDashboard(t *testing.T) {
	b, err := os.ReadFile("../deploy/grafana/dashboards/stepwise.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("stepwise.json: %v", err)
	}
	names := telemetry.NewMetrics().Names()
	names["stepwise_tasks_open"], names["stepwise_executions_running"] = true, true // BacklogCollector's
	used := map[string]bool{}
	re := regexp.MustCompile(`\b(?:stepwise|grpc)_[a-z_]+`)
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, n := range re.FindAllString(tg.Expr, -1) {
				if strings.HasPrefix(n, "grpc_") && !strings.HasPrefix(n, "grpc_server_") {
					continue // a label
				}
				base := n
				for _, suf := range []string{"_bucket", "_count", "_sum"} {
					if b, ok := strings.CutSuffix(n, suf); ok && names[b] {
						base = b
					}
				}
				if !names[base] {
					t.Errorf("panel %q queries %s, which Stepwise does not serve", p.Title, n)
				}
				used[base] = true
			}
		}
	}
	for n := range names {
		if (strings.HasPrefix(n, "stepwise_") || strings.HasPrefix(n, "grpc_")) && !used[n] && n != "stepwise_http_server_errors_total" {
			t.Errorf("no panel shows %s", n)
		}
	}
}
