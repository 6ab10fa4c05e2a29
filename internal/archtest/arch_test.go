// Package archtest checks the import rules of STYLE.md: statelang imports
// only the standard library, ojg, cel-go, internal/arn and its own JSONata
// package (which uses regexp2); internal/arn only the standard library;
// engine imports no database, NATS, gRPC or proto package; schedule no
// store or API package; nothing imports cmd.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/stepwise-dev/stepwise"

// deps lists the non-test dependencies of a package, standard library
// excluded.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
	}
	var list []string
	for _, l := range strings.Fields(string(out)) {
		if l != pkg {
			list = append(list, l)
		}
	}
	return list
}

func TestStatelangImports(t *testing.T) {
	allowed := []string{"github.com/ohler55/ojg", "github.com/google/cel-go", "cel.dev/expr",
		module + "/statelang/jsonata", module + "/internal/arn", "github.com/dlclark/regexp2",
		"github.com/antlr4-go/antlr", "google.golang.org/protobuf", "google.golang.org/genproto", "golang.org/x/exp", "golang.org/x/text"}
	for _, d := range deps(t, module+"/statelang") {
		ok := false
		for _, a := range allowed {
			if strings.HasPrefix(d, a) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("statelang depends on %s; it may import only the standard library, ojg, cel-go, internal/arn and statelang/jsonata (with regexp2)", d)
		}
	}
}

func TestEngineImports(t *testing.T) {
	out, err := exec.Command("go", "list", module+"/engine").CombinedOutput()
	if err != nil {
		t.Skipf("engine package not present yet: %s", out)
	}
	forbidden := []string{"github.com/jackc/", "github.com/nats-io/", "google.golang.org/grpc", module + "/store", module + "/api", module + "/proto", "modernc.org/sqlite", "database/sql"}
	for _, d := range deps(t, module+"/engine") {
		for _, f := range forbidden {
			if strings.HasPrefix(d, f) {
				t.Errorf("engine depends on %s; it must not import databases, NATS, gRPC or proto", d)
			}
		}
	}
}

func TestNothingImportsCmd(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		for _, imp := range f[min(1, len(f)):] {
			if strings.HasPrefix(imp, module+"/cmd") {
				t.Errorf("%s imports %s; nothing may import cmd", f[0], imp)
			}
		}
	}
}

func TestScheduleImports(t *testing.T) {
	forbidden := []string{"github.com/jackc/", "github.com/nats-io/", "google.golang.org/grpc", module + "/store", module + "/api", module + "/proto", "modernc.org/sqlite", "database/sql"}
	for _, d := range deps(t, module+"/schedule") {
		for _, f := range forbidden {
			if strings.HasPrefix(d, f) {
				t.Errorf("schedule depends on %s; it imports engine, and no store, API, NATS or database package", d)
			}
		}
	}
}

func TestARNImports(t *testing.T) {
	if d := deps(t, module+"/internal/arn"); len(d) > 0 {
		t.Errorf("internal/arn depends on %v; it may import only the standard library (every package imports it)", d)
	}
}
