package engine

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports checks that engine depends on no database, NATS, gRPC or
// proto package, and on no Stepwise package except statelang (and its
// subpackages) and internal/arn.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		bad := strings.Contains(p, "pgx") || strings.Contains(p, "database/sql") || strings.Contains(p, "nats") ||
			strings.Contains(p, "grpc") || strings.Contains(p, "protobuf") ||
			(strings.HasPrefix(p, "github.com/stepwise-dev/stepwise/") && p != "github.com/stepwise-dev/stepwise/statelang" &&
				!strings.HasPrefix(p, "github.com/stepwise-dev/stepwise/statelang/") && p != "github.com/stepwise-dev/stepwise/engine" &&
				p != "github.com/stepwise-dev/stepwise/internal/arn")
		if bad {
			t.Errorf("engine depends on %s", p)
		}
	}
}
