package namedsql

import (
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"q/a.sql": {Data: []byte("-- a file comment\n-- name: One\nSELECT 1;\n\n-- name: Two\nSELECT\n  2;\n")},
		"q/b.sql": {Data: []byte("-- name: Three\nSELECT 3;\n")},
	}
	q, err := Load(fsys, "q/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"One": "SELECT 1;", "Two": "SELECT\n  2;", "Three": "SELECT 3;"} {
		if got := q.Get(name); got != want {
			t.Errorf("Get(%q) = %q; want %q", name, got, want)
		}
	}
	fsys["q/c.sql"] = &fstest.MapFile{Data: []byte("-- name: One\nSELECT 4;\n")}
	if _, err := Load(fsys, "q/*.sql"); err == nil {
		t.Errorf("Load with a name defined twice = nil error; want an error")
	}
}
