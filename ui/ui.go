// Package ui serves the Stepwise web UI: a React single-page application
// whose built bundle (ui/dist, committed) is embedded in the binary, so
// `go build` and `go run` need no Node. The sources are in ui/src; `make ui`
// rebuilds the bundle and `make ui-check` fails when it is stale.
//
// The UI talks only to the REST gateway (/v1/). This package imports no
// other Stepwise package.
package ui

import (
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed dist
var dist embed.FS

// Handler serves the bundle: files under dist by path, with content types
// from their extensions; hashed assets are cached for a year; every other
// path gets index.html (the SPA's routes: /executions/{arn}, ...).
func Handler() http.Handler {
	root, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	index, err := fs.ReadFile(root, "index.html")
	if err != nil {
		panic("ui: dist/index.html is missing: run make ui")
	}
	return &handler{root: root, index: index}
}

type handler struct {
	root  fs.FS
	index []byte
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name != "" && name != "index.html" {
		if b, err := fs.ReadFile(h.root, name); err == nil {
			ct := mime.TypeByExtension(path.Ext(name))
			if ct == "" {
				ct = http.DetectContentType(b)
			}
			w.Header().Set("Content-Type", ct)
			w.Header().Set("X-Content-Type-Options", "nosniff")
			if strings.HasPrefix(name, "assets/") {
				w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			}
			if r.Method == http.MethodHead {
				return
			}
			_, _ = w.Write(b)
			return
		}
		if strings.HasPrefix(name, "assets/") {
			http.NotFound(w, r) // a missing asset is an error, not a route
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(h.index)
}
