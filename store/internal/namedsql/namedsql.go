// Package namedsql loads the named SQL queries of a store: .sql files in
// which each query starts with a "-- name: X" line. The stores embed their
// query files and look queries up by name, so SQL lives in .sql files and
// never in Go strings.
package namedsql

import (
	"bufio"
	"fmt"
	"io/fs"
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
