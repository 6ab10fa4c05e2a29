package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRunObjects runs examples/csv-orders with `stepwise run --objects
// DIR`, as its README does, orders.csv in DIR/csv-orders (the bucket, a
// folder): the ItemReader reads the CSV, a child a row (the tasks echo:
// every row succeeds), the ResultWriter writes the results into the
// folder, and the S3 tasks read them back. The flags may follow the
// positional arguments. Without --objects, the ItemReader fails and says
// what to do.
func TestRunObjects(t *testing.T) {
	t.Parallel()
	const (
		def   = "examples/csv-orders/statemachine.asl.json"
		input = `{"bucket": "csv-orders", "key": "orders.csv"}`
	)
	readme, err := os.ReadFile("../../examples/csv-orders/README.md")
	if err != nil {
		t.Fatal(err)
	}
	if cmd := `go run ./cmd/stepwise run --objects "$DIR" ` + def + ` '` + input + `'`; !strings.Contains(string(readme), cmd) {
		t.Errorf("examples/csv-orders/README.md has no %s", cmd)
	}
	dir := t.TempDir()
	csv, err := os.ReadFile("../../examples/csv-orders/orders.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "csv-orders"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "csv-orders", "orders.csv"), csv, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"run", "--objects", dir, "../../" + def, input},
		{"run", "../../" + def, input, "--objects=" + dir},
	} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 0 {
			t.Fatalf("stepwise %q: exit %d: %s%s", args, code, out.String(), errOut.String())
		}
		m := regexp.MustCompile(`(?m)^output: (.*)$`).FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("stepwise %q printed %q; want an output", args, out.String())
		}
		// Summarize echoes its parameters.
		var got struct {
			MapRunArn, Manifest string
			Succeeded           []struct{ Input, Output string }
		}
		if err := json.Unmarshal([]byte(m[1]), &got); err != nil || len(got.Succeeded) != 30 ||
			!strings.Contains(got.MapRunArn, ":mapRun:machine/orders:") {
			t.Fatalf("stepwise %q output %s (%v); want the Map Run and its 30 rows", args, m[1], err)
		}
		if first := got.Succeeded[0]; first.Output != first.Input || !strings.Contains(first.Input, `"id":"A-1001"`) {
			t.Errorf("first result %+v; want the first row, echoed", first)
		}
		key, ok := strings.CutPrefix(got.Manifest, "s3://csv-orders/")
		if !ok {
			t.Fatalf("manifest %q; want one in csv-orders", got.Manifest)
		}
		for _, name := range []string{"manifest.json", "SUCCEEDED_0.json"} {
			if _, err := os.Stat(filepath.Join(dir, "csv-orders", filepath.FromSlash(strings.TrimSuffix(key, "manifest.json")), name)); err != nil {
				t.Errorf("the ResultWriter wrote no %s: %v", name, err)
			}
		}
	}

	var out, errOut bytes.Buffer
	if code := run([]string{"run", "../../" + def, input}, &out, &errOut); code != 3 ||
		!strings.Contains(out.String(), "error: States.ItemReaderFailed") || !strings.Contains(out.String(), "--objects DIR") {
		t.Errorf("stepwise run without --objects: exit %d, %q; want 3 and States.ItemReaderFailed naming --objects", code, out.String())
	}
}
