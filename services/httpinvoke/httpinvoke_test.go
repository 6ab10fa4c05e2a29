package httpinvoke_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/services/httpinvoke"
)

// seen is what a test server received.
type seen struct {
	mu   sync.Mutex
	reqs []*http.Request
	body []string
}

func (s *seen) last(t *testing.T) (*http.Request, string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		t.Fatal("the server received no request")
	}
	return s.reqs[len(s.reqs)-1], s.body[len(s.body)-1]
}

// server starts an httptest server answering with h after recording the
// request.
func server(t *testing.T, h http.HandlerFunc) (*httptest.Server, *seen) {
	t.Helper()
	s := &seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		s.mu.Lock()
		s.reqs = append(s.reqs, r)
		s.body = append(s.body, string(b))
		s.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, s
}

func service(t *testing.T, cfg httpinvoke.Config) *httpinvoke.Service {
	t.Helper()
	if cfg.Connections == nil {
		cfg.Connections = []httpinvoke.Connection{{Name: "public"}}
	}
	svc, err := httpinvoke.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

const arn = "arn:aws:events:us-east-1:111111111111:connection/public/0b1c2d3e"

func invoke(t *testing.T, svc *httpinvoke.Service, input string) (map[string]any, *engine.TaskFailure) {
	t.Helper()
	out, err := svc.Invoke(context.Background(), engine.Task{Resource: httpinvoke.Resource, Input: input})
	if err != nil {
		var f *engine.TaskFailure
		if !errors.As(err, &f) {
			t.Fatalf("Invoke(%s) = %v; want a *engine.TaskFailure", input, err)
		}
		return nil, f
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("output %q is not JSON: %v", out, err)
	}
	return m, nil
}

func mustInvoke(t *testing.T, svc *httpinvoke.Service, input string) map[string]any {
	t.Helper()
	out, f := invoke(t, svc, input)
	if f != nil {
		t.Fatalf("Invoke(%s) failed: %s: %s", input, f.Name, f.Cause)
	}
	return out
}

// mustFail returns the failure (a value: its pointer is an error).
func mustFail(t *testing.T, svc *httpinvoke.Service, input, name string) engine.TaskFailure {
	t.Helper()
	out, f := invoke(t, svc, input)
	if f == nil {
		t.Fatalf("Invoke(%s) = %v; want failure %s", input, out, name)
	}
	if f.Name != name {
		t.Fatalf("Invoke(%s) failed with %s (%s); want %s", input, f.Name, f.Cause, name)
	}
	return *f
}

func params(endpoint, method string, extra string) string {
	return fmt.Sprintf(`{"ApiEndpoint":%q,"Method":%q,"Authentication":{"ConnectionArn":%q}%s}`, endpoint, method, arn, extra)
}

func TestMethods(t *testing.T) {
	t.Parallel()
	srv, got := server(t, nil)
	svc := service(t, httpinvoke.Config{Region: "eu-west-1"})
	for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"} {
		body := ""
		if m == "POST" || m == "PUT" || m == "PATCH" {
			body = `,"RequestBody":{"b":2,"a":[1,1.0,12345678901234567890]}`
		}
		out := mustInvoke(t, svc, params(srv.URL+"/things", m, body))
		r, b := got.last(t)
		if r.Method != m || r.URL.Path != "/things" {
			t.Errorf("%s: the server got %s %s", m, r.Method, r.URL.Path)
		}
		if ua := r.Header.Get("User-Agent"); ua != "Amazon|StepFunctions|HttpInvoke|eu-west-1" {
			t.Errorf("%s: User-Agent = %q", m, ua)
		}
		if rg := r.Header.Get("Range"); rg != "bytes=0-262144" {
			t.Errorf("%s: Range = %q", m, rg)
		}
		if body != "" {
			if b != `{"b":2,"a":[1,1.0,12345678901234567890]}` {
				t.Errorf("%s: body = %s; want the RequestBody as JSON, in order, numbers as written", m, b)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=UTF-8" {
				t.Errorf("%s: Content-Type = %q", m, ct)
			}
		} else if b != "" {
			t.Errorf("%s: body = %q; want none", m, b)
		}
		if out["StatusCode"] != float64(200) || out["StatusText"] != "OK" {
			t.Errorf("%s: output = %v", m, out)
		}
	}
}

func TestBadMethodAndMissingFields(t *testing.T) {
	t.Parallel()
	svc := service(t, httpinvoke.Config{})
	f := mustFail(t, svc, `{"Method":"TRACE","Headers":{"Host":"x","X-Amz-Date":"d","Accept":"a"}}`, "States.Runtime")
	for _, want := range []string{"'ApiEndpoint' is required", `Method "TRACE"`, `"Host" is not allowed`, `"X-Amz-Date" is not allowed`} {
		if !strings.Contains(f.Cause, want) {
			t.Errorf("cause %q lacks %q (every problem is reported at once)", f.Cause, want)
		}
	}
	f = mustFail(t, svc, `{"ApiEndpoint":"https://example.com","Method":"GET"}`, "States.Runtime")
	if !strings.Contains(f.Cause, "ConnectionArn") {
		t.Errorf("cause %q does not say the ConnectionArn is required", f.Cause)
	}
	mustFail(t, svc, params("ftp://example.com", "GET", ""), "States.Runtime")
}

func TestQueryParameters(t *testing.T) {
	t.Parallel()
	srv, got := server(t, nil)
	svc := service(t, httpinvoke.Config{})
	mustInvoke(t, svc, params(srv.URL+"/search?fixed=1", "GET",
		`,"QueryParameters":{"currency":"usd","q":"a b&c=d","ids":[1,2],"flag":true}`))
	r, _ := got.last(t)
	if want := "fixed=1&currency=usd&q=a%20b%26c%3Dd&ids=1&ids=2&flag=true"; r.URL.RawQuery != want {
		t.Errorf("query = %s; want %s", r.URL.RawQuery, want)
	}
	mustInvoke(t, svc, params(srv.URL+"/search", "GET", `,"QueryParameters":"x=1&y=two%20words"`))
	r, _ = got.last(t)
	if want := "x=1&y=two%20words"; r.URL.RawQuery != want {
		t.Errorf("query = %s; want %s", r.URL.RawQuery, want)
	}
}

func TestURLEncodedBody(t *testing.T) {
	t.Parallel()
	srv, got := server(t, nil)
	svc := service(t, httpinvoke.Config{})
	body := `{"array":["a","b"],"description":"Monthly subscription","metadata":{"order_details":"x y"},"n":1}`
	for _, c := range []struct{ format, want string }{
		{"", "array%5B0%5D=a&array%5B1%5D=b&description=Monthly%20subscription&metadata%5Border_details%5D=x%20y&n=1"},
		{"INDICES", "array%5B0%5D=a&array%5B1%5D=b&description=Monthly%20subscription&metadata%5Border_details%5D=x%20y&n=1"},
		{"REPEAT", "array=a&array=b&description=Monthly%20subscription&metadata%5Border_details%5D=x%20y&n=1"},
		{"COMMAS", "array=a%2Cb&description=Monthly%20subscription&metadata%5Border_details%5D=x%20y&n=1"},
		{"BRACKETS", "array%5B%5D=a&array%5B%5D=b&description=Monthly%20subscription&metadata%5Border_details%5D=x%20y&n=1"},
	} {
		opts := ""
		if c.format != "" {
			opts = fmt.Sprintf(`,"RequestEncodingOptions":{"ArrayFormat":%q}`, c.format)
		}
		mustInvoke(t, svc, params(srv.URL, "POST", `,"RequestBody":`+body+`,"Transform":{"RequestBodyEncoding":"URL_ENCODED"`+opts+`}`))
		r, b := got.last(t)
		if b != c.want {
			t.Errorf("ArrayFormat %q: body = %s; want %s", c.format, b, c.want)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("ArrayFormat %q: Content-Type = %q", c.format, ct)
		}
	}
	mustFail(t, svc, params(srv.URL, "POST", `,"RequestBody":{},"Transform":{"RequestBodyEncoding":"URL_ENCODED","RequestEncodingOptions":{"ArrayFormat":"PIPES"}}`), "States.Runtime")
}

func TestResponses(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/json":
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Add("X-Multi", "1")
			w.Header().Add("X-Multi", "2")
			fmt.Fprint(w, `{"big": 12345678901234567890, "f": 1.0, "s": "x"}`)
		case "/text":
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, "hello")
		case "/created":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `[1]`)
		case "/image":
			w.Header().Set("Content-Type", "image/png")
			fmt.Fprint(w, "\x89PNG")
		case "/binary":
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte{0xff, 0xfe, 0x00})
		}
	})
	svc := service(t, httpinvoke.Config{})
	out, err := svc.Invoke(context.Background(), engine.Task{Input: params(srv.URL+"/json", "GET", "")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"ResponseBody":{"big":12345678901234567890,"f":1.0,"s":"x"}`) {
		t.Errorf("output %s: want the JSON body as JSON, numbers as sent", out)
	}
	if !strings.Contains(out, `"x-multi":["1","2"]`) || !strings.Contains(out, `"content-type":["application/json; charset=utf-8"]`) {
		t.Errorf("output %s: want lower-case header names, each with its list of values", out)
	}
	if !strings.Contains(out, `"StatusCode":200,"StatusText":"OK"`) {
		t.Errorf("output %s: want StatusCode 200 (a number) and StatusText OK", out)
	}
	if got := mustInvoke(t, svc, params(srv.URL+"/text", "GET", ""))["ResponseBody"]; got != "hello" {
		t.Errorf("text ResponseBody = %v; want \"hello\"", got)
	}
	o := mustInvoke(t, svc, params(srv.URL+"/created", "POST", ""))
	if o["StatusCode"] != float64(201) || o["StatusText"] != "Created" || fmt.Sprint(o["ResponseBody"]) != "[1]" {
		t.Errorf("201 output = %v", o)
	}
	mustFail(t, svc, params(srv.URL+"/image", "GET", ""), "States.Runtime")
	mustFail(t, svc, params(srv.URL+"/binary", "GET", ""), "States.Runtime")
}

func TestStatusCodeErrors(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		var code int
		_, _ = fmt.Sscanf(r.URL.Path, "/%d", &code)
		w.WriteHeader(code)
		fmt.Fprint(w, `{"detail":"the body is not in the cause"}`)
	})
	svc := service(t, httpinvoke.Config{MaxRedirects: -1})
	for _, c := range []struct {
		code  int
		cause string
	}{{400, "Bad Request"}, {404, "Not Found"}, {429, "Too Many Requests"}, {500, "Internal Server Error"}, {503, "Service Unavailable"}, {302, "Found"}} {
		f := mustFail(t, svc, params(fmt.Sprintf("%s/%d", srv.URL, c.code), "GET", ""), fmt.Sprintf("States.Http.StatusCode.%d", c.code))
		if f.Cause != c.cause {
			t.Errorf("%d: cause = %q; want %q", c.code, f.Cause, c.cause)
		}
	}
}

func TestTimeoutAndSocketErrors(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	svc := service(t, httpinvoke.Config{Timeout: 200 * time.Millisecond})
	f := mustFail(t, svc, params(srv.URL+"/slow?k=v", "GET", ""), "States.Http.Socket")
	if !strings.Contains(f.Cause, "timed out after 200ms") || strings.Contains(f.Cause, "k=v") {
		t.Errorf("cause = %q; want a timeout, without the query", f.Cause)
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL
	closed.Close()
	f = mustFail(t, svc, params(url+"/x", "GET", ""), "States.Http.Socket")
	if !strings.Contains(f.Cause, "refused") {
		t.Errorf("cause = %q; want connection refused", f.Cause)
	}
}

func TestResponseSizeLimit(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		n := 256 << 10
		if r.URL.Path == "/over" {
			n++
		}
		fmt.Fprint(w, strings.Repeat("a", n))
	})
	svc := service(t, httpinvoke.Config{})
	if got := mustInvoke(t, svc, params(srv.URL+"/at", "GET", ""))["ResponseBody"].(string); len(got) != 256<<10 {
		t.Errorf("a body of exactly 256 KiB gave %d bytes", len(got))
	}
	f := mustFail(t, svc, params(srv.URL+"/over", "GET", ""), "States.DataLimitExceeded")
	if !strings.Contains(f.Cause, "262144") {
		t.Errorf("cause = %q; want the limit named", f.Cause)
	}
}

func TestConnectionNotFound(t *testing.T) {
	t.Parallel()
	svc := service(t, httpinvoke.Config{})
	in := `{"ApiEndpoint":"https://example.com","Method":"GET","InvocationConfig":{"ConnectionArn":"arn:aws:events:us-east-1:1:connection/stripe/abc"}}`
	f := mustFail(t, svc, in, "Events.ConnectionResource.ResourceNotFound")
	if !strings.Contains(f.Cause, "stripe") {
		t.Errorf("cause = %q; want the connection named", f.Cause)
	}
}

func TestConnectionMerge(t *testing.T) {
	t.Parallel()
	srv, got := server(t, nil)
	svc := service(t, httpinvoke.Config{Connections: []httpinvoke.Connection{{
		Name:            "public",
		Headers:         map[string]string{"Header-Param": "connection"},
		QueryParameters: map[string]string{"QueryParam": "connection"},
		BodyParameters:  map[string]string{"BodyParam": "connection"},
	}}})
	mustInvoke(t, svc, params(srv.URL+"/path", "POST", `,"Headers":{"Request-Id":"r1","header-param":"task"},`+
		`"QueryParameters":{"QueryParam":"task","Other":"o"},"RequestBody":{"Job":"Engineer","BodyParam":"task"}`))
	r, b := got.last(t)
	if r.Header.Get("Header-Param") != "connection" || r.Header.Get("Request-Id") != "r1" || len(r.Header.Values("Header-Param")) != 1 {
		t.Errorf("headers = %v; want the connection's Header-Param and the task's Request-Id", r.Header)
	}
	if r.URL.RawQuery != "Other=o&QueryParam=connection" {
		t.Errorf("query = %s", r.URL.RawQuery)
	}
	if b != `{"Job":"Engineer","BodyParam":"connection"}` {
		t.Errorf("body = %s", b)
	}
	mustFail(t, svc, params(srv.URL, "POST", `,"RequestBody":"raw text"`), "States.Runtime")
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	srv, got := server(t, nil)
	svc := service(t, httpinvoke.Config{Connections: []httpinvoke.Connection{{
		Name: "public", Basic: &httpinvoke.BasicAuth{Username: "user", Password: "pa55word"},
	}}})
	mustInvoke(t, svc, params(srv.URL, "GET", ""))
	r, _ := got.last(t)
	if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "pa55word" {
		t.Errorf("BasicAuth() = %q, %q, %v", u, p, ok)
	}
	// A task may not set Authorization itself.
	mustFail(t, svc, params(srv.URL, "GET", `,"Headers":{"Authorization":"Basic x"}`), "States.Runtime")
}

func TestAPIKeyAndRedaction(t *testing.T) {
	t.Parallel()
	const key = "k3y-s3cr3t-value"
	srv, got := server(t, func(w http.ResponseWriter, r *http.Request) {
		// An API that echoes what it got, credentials included.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo", r.Header.Get("X-Api-Key"))
		_ = json.NewEncoder(w).Encode(map[string]any{"key": r.Header.Get("X-Api-Key")})
	})
	svc := service(t, httpinvoke.Config{Connections: []httpinvoke.Connection{{
		Name: "public", APIKey: &httpinvoke.APIKeyAuth{Header: "X-Api-Key", Value: key},
	}}})
	out, err := svc.Invoke(context.Background(), engine.Task{Input: params(srv.URL, "GET", "")})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := got.last(t)
	if r.Header.Get("X-Api-Key") != key {
		t.Errorf("X-Api-Key = %q; want the connection's key", r.Header.Get("X-Api-Key"))
	}
	if strings.Contains(out, key) || !strings.Contains(out, `"key":"***"`) {
		t.Errorf("output %s: the key must be masked", out)
	}
}

func TestRedirects(t *testing.T) {
	t.Parallel()
	other, got := server(t, nil)
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/landed", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	})
	svc := service(t, httpinvoke.Config{MaxRedirects: 3, Connections: []httpinvoke.Connection{{
		Name: "public", APIKey: &httpinvoke.APIKeyAuth{Header: "X-Api-Key", Value: "secret-key"},
	}}})
	mustInvoke(t, svc, params(srv.URL+"/away", "GET", ""))
	r, _ := got.last(t)
	if r.URL.Path != "/landed" || r.Header.Get("X-Api-Key") != "" {
		t.Errorf("redirected request: %s with X-Api-Key %q; want /landed without the key", r.URL.Path, r.Header.Get("X-Api-Key"))
	}
	mustFail(t, svc, params(srv.URL+"/loop", "GET", ""), "States.Http.StatusCode.302")
}

// clock is a manual clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestOAuthClientCredentials(t *testing.T) {
	t.Parallel()
	var issued atomic.Int64
	tokens, tokenReqs := server(t, func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		_ = r.ParseForm()
		if id != "client" || secret != "cl1ent-secret" || r.PostForm.Get("grant_type") != "client_credentials" {
			http.Error(w, "invalid_client", http.StatusUnauthorized)
			return
		}
		n := issued.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600}`, n)
	})
	var reject atomic.Bool
	api, got := server(t, func(w http.ResponseWriter, r *http.Request) {
		if reject.Load() {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"auth":%q}`, r.Header.Get("Authorization"))
	})
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	conn := httpinvoke.Connection{Name: "public", OAuth: &httpinvoke.OAuthClientCredentials{
		TokenEndpoint: tokens.URL + "/oauth/token", ClientID: "client", ClientSecret: "cl1ent-secret", Scopes: []string{"read", "write"},
	}}
	svc := service(t, httpinvoke.Config{Now: clk.Now, Connections: []httpinvoke.Connection{conn}})

	for i := 0; i < 3; i++ {
		mustInvoke(t, svc, params(api.URL, "GET", ""))
		if r, _ := got.last(t); r.Header.Get("Authorization") != "Bearer tok-1" {
			t.Fatalf("call %d: Authorization = %q; want the cached Bearer tok-1", i, r.Header.Get("Authorization"))
		}
	}
	if n := issued.Load(); n != 1 {
		t.Errorf("%d tokens were requested for 3 calls; want 1 (cached)", n)
	}
	r, _ := tokenReqs.last(t)
	if r.Method != "POST" || r.PostForm.Get("scope") != "read write" {
		t.Errorf("token request: %s scope %q", r.Method, r.PostForm.Get("scope"))
	}
	out, err := svc.Invoke(context.Background(), engine.Task{Input: params(api.URL, "GET", "")})
	if err != nil || strings.Contains(out, "tok-1") {
		t.Errorf("output %s (%v): the token the API echoed must be masked", out, err)
	}

	clk.add(time.Hour) // expired
	mustInvoke(t, svc, params(api.URL, "GET", ""))
	if r, _ := got.last(t); r.Header.Get("Authorization") != "Bearer tok-2" {
		t.Errorf("after expiry Authorization = %q; want a new token", r.Header.Get("Authorization"))
	}

	reject.Store(true) // a revoked token: 401, and the next call gets a new one
	mustFail(t, svc, params(api.URL, "GET", ""), "States.Http.StatusCode.401")
	reject.Store(false)
	mustInvoke(t, svc, params(api.URL, "GET", ""))
	if r, _ := got.last(t); r.Header.Get("Authorization") != "Bearer tok-3" {
		t.Errorf("after a 401 Authorization = %q; want a new token", r.Header.Get("Authorization"))
	}

	bad := conn
	bad.OAuth = &httpinvoke.OAuthClientCredentials{TokenEndpoint: conn.OAuth.TokenEndpoint, ClientID: "client", ClientSecret: "wrong-secret"}
	svc = service(t, httpinvoke.Config{Connections: []httpinvoke.Connection{bad}})
	f := mustFail(t, svc, params(api.URL, "GET", ""), "Events.ConnectionResource.InvalidConnectionState")
	if !strings.Contains(f.Cause, "401") || strings.Contains(f.Cause, "wrong-secret") {
		t.Errorf("cause = %q; want the token endpoint's status, without the secret", f.Cause)
	}
}

func TestParseConnections(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PASS": "p@ss", "KEY": "the-key", "SECRET": "s3cret"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	yml := `
connections:
  stripe:
    basic: {username: me, password: "${PASS}"}
    headers: {X-Tenant: t1}
  svc:
    api_key: {header: x-api-key, value: "prefix-${KEY}"}
  auth0:
    oauth:
      token_endpoint: https://auth.example.com/oauth/token
      client_id: id
      client_secret: ${SECRET}
      scopes: [a, b]
      parameters: {audience: https://api.example.com}
`
	conns, err := httpinvoke.ParseConnections([]byte(yml), lookup)
	if err != nil {
		t.Fatal(err)
	}
	if len(conns) != 3 || conns[0].Name != "auth0" || conns[1].Name != "stripe" || conns[2].Name != "svc" {
		t.Fatalf("ParseConnections = %+v", conns)
	}
	if conns[1].Basic.Password != "p@ss" || conns[2].APIKey.Value != "prefix-the-key" || conns[0].OAuth.ClientSecret != "s3cret" {
		t.Errorf("${NAME} not resolved: %+v %+v %+v", conns[1].Basic, conns[2].APIKey, conns[0].OAuth)
	}
	if conns, err := httpinvoke.ParseConnections([]byte("connections:\n  open:\n  empty: {}\n"), lookup); err != nil || len(conns) != 2 {
		t.Errorf("ParseConnections(connections without credentials) = %+v, %v", conns, err)
	}
	js := `{"connections":{"j":{"api_key":{"header":"k","value":"v"}}}}`
	if conns, err := httpinvoke.ParseConnections([]byte(js), lookup); err != nil || len(conns) != 1 || conns[0].APIKey.Header != "k" {
		t.Errorf("ParseConnections(JSON) = %+v, %v", conns, err)
	}
	for _, bad := range []string{
		`connections: {x: {basic: {username: u, password: "${MISSING}"}}}`,
		`connections: {x: {basic: {username: u}, api_key: {header: h, value: v}}}`,
		`connections: {x: {oauth: {token_endpoint: "not a url", client_id: c}}}`,
		`connections: {x: {unknown_field: 1}}`,
	} {
		if _, err := httpinvoke.ParseConnections([]byte(bad), lookup); err == nil {
			t.Errorf("ParseConnections(%s) = nil error", bad)
		}
	}
	_, err = httpinvoke.ParseConnections([]byte(`connections: {x: {basic: {username: u, password: "${MISSING}"}}}`), lookup)
	if err == nil || !strings.Contains(err.Error(), "MISSING") {
		t.Errorf("error %v does not name the missing variable", err)
	}
}
