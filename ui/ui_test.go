package ui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	t.Parallel()
	h := Handler()
	get := func(p string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		return rec
	}
	for _, p := range []string{"/", "/executions", "/executions/arn%3Aaws%3Astates%3Ax", "/state-machines/m"} {
		rec := get(p)
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") || !strings.Contains(rec.Body.String(), `<div id="root">`) {
			t.Errorf("GET %q = %d %q; want 200 index.html", p, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	// Every asset index.html references is served with its content type.
	body := get("/").Body.String()
	n := 0
	for _, part := range strings.Split(body, `"/assets/`)[1:] {
		name := "/assets/" + part[:strings.IndexByte(part, '"')]
		rec := get(name)
		want := map[bool]string{true: "text/css", false: "text/javascript"}[strings.HasSuffix(name, ".css")]
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), want) {
			t.Errorf("GET %q = %d %q; want 200 %s", name, rec.Code, rec.Header().Get("Content-Type"), want)
		}
		n++
	}
	if n < 2 {
		t.Errorf("index.html references %d assets; want a script and a stylesheet", n)
	}
	if rec := get("/assets/missing.js"); rec.Code != 404 {
		t.Errorf("GET /assets/missing.js = %d; want 404", rec.Code)
	}
}
