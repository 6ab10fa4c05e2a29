package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestMountObjects: /s3/ reaches the S3 handler as it was sent (no
// redirect of a//b, no JSON content-type or size checks), the rest the
// API, and cross-site browser requests to /s3/ are refused.
func TestMountObjects(t *testing.T) {
	t.Parallel()
	var s3Path string
	s3 := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s3Path = r.URL.Path; _, _ = io.WriteString(w, "s3") })
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "api") })
	srv := httptest.NewServer(mountObjects(mux, s3))
	defer srv.Close()
	do := func(method, path, origin string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader("<xml/>"))
		req.Header.Set("Content-Type", "application/xml")
		if origin != "" {
			req.Header.Set("Origin", origin)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := do("PUT", "/s3/bucket/a//b", ""); code != 200 || body != "s3" || s3Path != "/bucket/a//b" {
		t.Errorf("PUT /s3/bucket/a//b = %d %q, path %q; want 200 s3 /bucket/a//b", code, body, s3Path)
	}
	if code, body := do("GET", "/s3", ""); code != 200 || body != "s3" || s3Path != "/" {
		t.Errorf("GET /s3 = %d %q, path %q", code, body, s3Path)
	}
	if code, body := do("GET", "/s3x", ""); body != "api" {
		t.Errorf("GET /s3x = %d %q; want the API", code, body)
	}
	if code, _ := do("PUT", "/s3/bucket/k", "https://evil.example"); code != http.StatusForbidden {
		t.Errorf("cross-site PUT /s3/bucket/k = %d; want 403", code)
	}
	if h := mountObjects(mux, nil); h == nil {
		t.Error("mountObjects(api, nil) = nil")
	}
}
