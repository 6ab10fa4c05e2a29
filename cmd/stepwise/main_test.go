package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestReadmeCommands runs the README's `stepwise validate` and `stepwise
// run` commands on the example they name.
func TestReadmeCommands(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"validate", "../../examples/hello.asl.json"}, &out, &errOut); code != 0 {
		t.Fatalf("validate exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "valid (5 states)") {
		t.Errorf("validate printed %q; want it to report 5 valid states", out.String())
	}
	out.Reset()
	if code := run([]string{"run", "../../examples/hello.asl.json", `{"name": "world"}`}, &out, &errOut); code != 0 {
		t.Fatalf("run exit %d: %s%s", code, out.String(), errOut.String())
	}
	want := `output: {"doubled":[{"value":2},{"value":4},{"value":6}],"echoed":{"greeting":"Hello, world!","items":[1,2,3]},"greeting":"Hello, world!","items":[1,2,3]}`
	if !strings.Contains(out.String(), want) {
		t.Errorf("run printed %q; want %q", out.String(), want)
	}
}

func TestValidateReportsLocations(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/bad.json"
	if err := writeFile(path, `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"validate", path}, &out, &errOut); code != 1 {
		t.Fatalf("validate exit %d; want 1", code)
	}
	if !strings.Contains(errOut.String(), "/States/A/Next: Missing 'Next' target: B") {
		t.Errorf("validate printed %q; want the location of the missing target", errOut.String())
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }
