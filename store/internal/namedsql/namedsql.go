// Package namedsql loads the named SQL queries of a store: .sql files in
// which each query starts with a "-- name: X" line. The stores embed their
// query files and look queries up by name, so SQL lives in .sql files and
// never in Go strings.
package namedsql

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Queries maps query names to their SQL text.
type Queries map[string]string

// Load reads every file matching pattern in fsys. A name defined twice is
// an error.
func Load(fsys fs.FS, pattern string) (Queries, error) {
	files, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	out := Queries{}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		for name, q := range Parse(string(b)) {
			if _, dup := out[name]; dup {
				return nil, fmt.Errorf("query %s is defined twice (again in %s)", name, f)
			}
			out[name] = q
		}
	}
	return out, nil
}

// MustLoad is Load for package initialisation: the files are embedded, so
// an error is a programming error.
func MustLoad(fsys fs.FS, pattern string) Queries {
	q, err := Load(fsys, pattern)
	if err != nil {
		panic(err)
	}
	return q
}

// Parse splits one query file at its "-- name: X" lines.
func Parse(text string) Queries {
	out := Queries{}
	var name string
	var sb strings.Builder
	flush := func() {
		if name != "" {
			out[name] = strings.TrimSpace(sb.String())
		}
		sb.Reset()
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "-- name: "); ok {
			flush()
			name = strings.TrimSpace(n)
			continue
		}
		if name != "" {
			sb.WriteString(line)
			sb.WriteByte('\n')
		}
	}
	flush()
	return out
}

// Get returns the query with the given name; a missing name is a
// programming error and panics.
func (q Queries) Get(name string) string {
	s, ok := q[name]
	if !ok {
		panic("namedsql: no query named " + name)
	}
	return s
}

// Calls returns the names passed as string literals to the function named
// fn (such as a store's q("GetTask")) in the non-test Go files of dir, with
// the position of each call. A store's tests check them against its
// Queries, so a misspelt name fails a test, not a request.
func Calls(dir, fn string) (map[string][]string, error) {
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return nil, err
		}
		var bad error
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != fn {
				return true
			}
			var lit *ast.BasicLit
			if len(call.Args) == 1 {
				lit, _ = call.Args[0].(*ast.BasicLit)
			}
			if lit == nil || lit.Kind != token.STRING {
				bad = fmt.Errorf("%s: %s called with %s, not a name", fset.Position(call.Pos()), fn, nodeText(call.Args))
				return false
			}
			name, err := strconv.Unquote(lit.Value)
			if err != nil {
				bad = err
				return false
			}
			out[name] = append(out[name], fset.Position(call.Pos()).String())
			return true
		})
		if bad != nil {
			return nil, bad
		}
	}
	return out, nil
}

func nodeText(args []ast.Expr) string {
	if len(args) == 0 {
		return "no argument"
	}
	return fmt.Sprintf("%T", args[0])
}

// Check reports, against the calls Calls found, every name called that no
// query has and every query no call names.
func (q Queries) Check(calls map[string][]string) []string {
	var problems []string
	for name, at := range calls {
		if _, ok := q[name]; !ok {
			problems = append(problems, fmt.Sprintf("%s: no query named %q", at[0], name))
		}
	}
	for name := range q {
		if _, ok := calls[name]; !ok {
			problems = append(problems, fmt.Sprintf("query %s is never used", name))
		}
	}
	sort.Strings(problems)
	return problems
}
