// Command skipped prints the last line of `make test`: the suites a run on
// this machine skipped because what they need is missing, and why. Each
// check is the one its tests make before they call t.Skip:
//
//   - ../shared/conformance/corpus.json: the conformance corpus (statelang,
//     api/awsjson, dispatch/nats, the stores);
//   - ../shared/jsonata-suite: the JSONata test suite (statelang/jsonata);
//   - chromium: the UI's browser tests (ui);
//   - /usr/bin/aws: the AWS CLI tests (api/awsjson, api/scheduler, the
//     README tour's aws blocks in cmd/stepwise, and examples/csv-orders
//     TestCSVOrders, which needs jq too);
//   - curl and jq: the README tour (cmd/stepwise TestDevTour);
//   - $STEPWISE_TEST_DATABASE_URL: every PostgreSQL test.
//
// CI (.ci/run) provides all of them and sets STEPWISE_REQUIRE_* so that a
// missing one fails instead. Run from the repository root:
//
//	go run ./internal/skipped
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// A need is what a set of suites needs, and the reason they skip without it.
type need struct {
	suites  string
	missing func() string // "" when present, else why the suites skip
}

var needs = []need{
	{"conformance corpus", func() string { return absent("../shared/conformance/corpus.json") }},
	{"JSONata suite", func() string { return absent("../shared/jsonata-suite/groups") }},
	{"browser tests", func() string {
		for _, p := range []string{os.Getenv("STEPWISE_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
			if p == "" {
				continue
			}
			if _, err := exec.LookPath(p); err == nil {
				return ""
			}
		}
		return "no chromium"
	}},
	{"AWS CLI tests", func() string { return absent("/usr/bin/aws") }},
	{"README tour", func() string {
		var no []string
		for _, tool := range []string{"curl", "jq"} {
			if _, err := exec.LookPath(tool); err != nil {
				no = append(no, tool)
			}
		}
		if len(no) > 0 {
			return "no " + strings.Join(no, ", no ")
		}
		return ""
	}},
	{"PostgreSQL tests", func() string {
		dsn := os.Getenv("STEPWISE_TEST_DATABASE_URL")
		if dsn == "" {
			dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return "database unreachable"
		}
		_ = conn.Close(ctx)
		return ""
	}},
}

func absent(path string) string {
	if _, err := os.Stat(path); err != nil {
		return "no " + filepath.Clean(path)
	}
	return ""
}

func main() {
	fmt.Println(summary())
}

func summary() string {
	var skipped []string
	for _, n := range needs {
		if why := n.missing(); why != "" {
			skipped = append(skipped, n.suites+" ("+why+")")
		}
	}
	if len(skipped) == 0 {
		return "skipped: none (../shared, chromium, the AWS CLI, curl and jq, and the database are all here)"
	}
	return "skipped: " + strings.Join(skipped, ", ") + "; README.md says what each needs"
}
