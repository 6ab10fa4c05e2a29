package api_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/internal/testserver"
)

const passASL = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`

// call makes one request with the given headers and returns the status, the
// response headers and the body.
func call(t *testing.T, method, u string, body io.Reader, headers ...string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := testserver.HTTPClient.Do(request(t, method, u, body, headers...))
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// request makes a request with the given headers (name, value, ...).
func request(t *testing.T, method, u string, body io.Reader, headers ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

// callChunked posts body without announcing its length. The server
// answers 413 once the limit is read and closes the connection: a client
// still writing the rest (a slow one, on a loaded machine) may see the
// connection reset before it reads the answer, which reset reports.
func callChunked(t *testing.T, u, body string, headers ...string) (code int, b []byte, reset bool) {
	t.Helper()
	resp, err := testserver.HTTPClient.Do(request(t, "POST", u, io.MultiReader(strings.NewReader(body)), headers...))
	if err != nil {
		if strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe") {
			return 0, nil, true
		}
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ = io.ReadAll(resp.Body)
	return resp.StatusCode, b, false
}

func jsonField(b []byte, key string) any {
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m[key]
}

func createBody(name string) string {
	b, _ := json.Marshal(map[string]string{"name": name, "definition": passASL})
	return string(b)
}

// sendHeadOnly writes a request's head and the first bytes of a body it
// announces as much longer, then reads the answer without sending more:
// the server must answer without waiting for the rest, and close the
// connection. The deadline only keeps a broken server from hanging the test.
func sendHeadOnly(t *testing.T, base, head string) (*http.Response, []byte) {
	t.Helper()
	u, _ := url.Parse(base)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	if _, err := io.WriteString(c, head+"\r\n{\"name\":"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer while the body is incomplete: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("after the refusal the connection is still open (read: %v); want it closed", err)
	}
	return resp, b
}

// TestAuthRefusedBeforeTheBody: without a valid token a request is refused
// at once, however much body it announces, and its connection is closed.
func TestAuthRefusedBeforeTheBody(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{AuthToken: "s3cret"})
	for _, tt := range []struct{ path, head, wantJSON string }{
		{"/v1/state-machines", "Content-Type: application/json\r\nContent-Length: 100000\r\n", `"code":16`},
		{"/v1/state-machines", "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n", `"code":16`},
		{"/", "Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\nContent-Length: 1000\r\n", `"__type":"UnrecognizedClientException"`},
	} {
		resp, b := sendHeadOnly(t, srv.HTTPURL, "POST "+tt.path+" HTTP/1.1\r\nHost: stepwise\r\n"+tt.head)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), tt.wantJSON) {
			t.Errorf("POST %s without a token, body unsent = %d %s; want 401 with %s", tt.path, resp.StatusCode, b, tt.wantJSON)
		}
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{AuthToken: "s3cret"})
	for _, h := range []string{"Bearer s3cret", "bearer s3cret", "BEARER s3cret"} {
		if code, _, b := call(t, "GET", srv.HTTPURL+"/v1/state-machines", nil, "Authorization", h); code != 200 {
			t.Errorf("GET /v1/state-machines with %q = %d %s; want 200", h, code, b)
		}
	}
	for _, h := range []string{"", "Bearer wrong", "Basic s3cret", "Bearers3cret"} {
		code, hdr, b := call(t, "GET", srv.HTTPURL+"/v1/state-machines", nil, "Authorization", h)
		if code != 401 || jsonField(b, "code") != 16.0 || hdr.Get("WWW-Authenticate") == "" {
			t.Errorf("GET /v1/state-machines with %q = %d %s; want 401 {code: 16} with WWW-Authenticate", h, code, b)
		}
	}
	code, hdr, b := call(t, "POST", srv.HTTPURL+"/", strings.NewReader("{}"),
		"Content-Type", "application/x-amz-json-1.0", "X-Amz-Target", "AWSStepFunctions.ListStateMachines", "Authorization", "Bearer wrong")
	if code != 401 || jsonField(b, "__type") != "UnrecognizedClientException" || hdr.Get("Content-Type") != "application/x-amz-json-1.0" {
		t.Errorf("AWS endpoint with a wrong token = %d %q %s; want 401 UnrecognizedClientException as AWS JSON", code, hdr.Get("Content-Type"), b)
	}
	code, _, b = call(t, "POST", srv.HTTPURL+"/", strings.NewReader("{}"),
		"Content-Type", "application/x-amz-json-1.0", "X-Amz-Target", "AWSStepFunctions.ListStateMachines", "Authorization", "bearer s3cret")
	if code != 200 {
		t.Errorf("AWS endpoint with the token = %d %s; want 200", code, b)
	}
}

// TestCrossSiteRefused: without a token (dev mode), what a web page on
// another site can send (a form, a text/plain fetch, any request from a
// foreign Origin) changes nothing; curl-like clients and the same-origin UI
// still work.
func TestCrossSiteRefused(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	create := srv.HTTPURL + "/v1/state-machines"
	refused := []struct {
		name    string
		want    int
		headers []string
	}{
		{"text/plain fetch", 415, []string{"Content-Type", "text/plain"}},
		{"form", 415, []string{"Content-Type", "application/x-www-form-urlencoded"}},
		{"multipart form", 415, []string{"Content-Type", "multipart/form-data; boundary=x"}},
		{"no content type", 415, nil},
		{"foreign Origin", 403, []string{"Content-Type", "application/json", "Origin", "https://evil.example"}},
		{"cross-site fetch", 403, []string{"Content-Type", "application/json", "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}},
		{"same-site fetch", 403, []string{"Content-Type", "application/json", "Sec-Fetch-Site", "same-site"}},
	}
	for i, tt := range refused {
		name := "m" + string(rune('a'+i))
		code, _, b := call(t, "POST", create, strings.NewReader(createBody(name)), tt.headers...)
		if code != tt.want || jsonField(b, "message") == nil {
			t.Errorf("%s: POST /v1/state-machines = %d %s; want %d with a message", tt.name, code, b, tt.want)
		}
		if code, _, _ := call(t, "GET", create+"/"+name, nil); code != 404 {
			t.Errorf("%s: the refused request created the machine (GET = %d)", tt.name, code)
		}
	}
	accepted := [][]string{
		{"Content-Type", "application/json"}, // curl, SDKs: no Origin
		{"Content-Type", "application/json; charset=utf-8", "Origin", srv.HTTPURL, "Sec-Fetch-Site", "same-origin"}, // the UI
		{"Content-Type", "application/json", "Origin", srv.HTTPURL},                                                 // an older browser, same origin
	}
	for i, h := range accepted {
		name := "ok" + string(rune('a'+i))
		if code, _, b := call(t, "POST", create, strings.NewReader(createBody(name)), h...); code != 200 {
			t.Errorf("POST /v1/state-machines with %q = %d %s; want 200", h, code, b)
		}
	}
	// Reads are not state-changing: a cross-site GET is answered (the
	// browser keeps its answer from the page, as there is no CORS).
	if code, _, b := call(t, "GET", create, nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"); code != 200 {
		t.Errorf("cross-site GET /v1/state-machines = %d %s; want 200", code, b)
	}

	aws := func(body string, headers ...string) (int, []byte) {
		code, hdr, b := call(t, "POST", srv.HTTPURL+"/", strings.NewReader(body), append([]string{"X-Amz-Target", "AWSStepFunctions.CreateStateMachine"}, headers...)...)
		if code != 200 && hdr.Get("Content-Type") != "application/x-amz-json-1.0" {
			t.Errorf("AWS endpoint refusal has Content-Type %q; want application/x-amz-json-1.0", hdr.Get("Content-Type"))
		}
		return code, b
	}
	awsCreate := func(name string) string {
		b, _ := json.Marshal(map[string]string{"name": name, "definition": passASL, "roleArn": "arn:aws:iam::111111111111:role/r"})
		return string(b)
	}
	if code, b := aws(awsCreate("awsa"), "Content-Type", "text/plain"); code != 415 || jsonField(b, "__type") != "UnsupportedMediaTypeException" {
		t.Errorf("AWS endpoint, text/plain = %d %s; want 415 UnsupportedMediaTypeException", code, b)
	}
	if code, b := aws(awsCreate("awsb"), "Content-Type", "application/x-amz-json-1.0", "Origin", "https://evil.example"); code != 403 || jsonField(b, "__type") != "AccessDeniedException" {
		t.Errorf("AWS endpoint, foreign Origin = %d %s; want 403 AccessDeniedException", code, b)
	}
	for _, ct := range []string{"application/x-amz-json-1.0", "application/x-amz-json-1.1"} {
		name := "aws" + strings.ReplaceAll(ct[len(ct)-3:], ".", "")
		if code, b := aws(awsCreate(name), "Content-Type", ct); code != 200 {
			t.Errorf("AWS endpoint, %s = %d %s; want 200", ct, code, b)
		}
	}
	if code, _, _ := call(t, "GET", create+"/awsa", nil); code != 404 {
		t.Errorf("the refused AWS request created the machine (GET = %d)", code)
	}
}

// TestBodyLimit: every API route refuses a body over the limit with 413,
// whether its length is announced or not.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	big := `{"name":"big","definition":"` + strings.Repeat(" ", 5<<20) + `"}`
	// Announced length.
	code, hdr, b := call(t, "POST", srv.HTTPURL+"/v1/state-machines", strings.NewReader(big), "Content-Type", "application/json")
	if code != 413 || !strings.Contains(string(b), "larger than") || hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("POST /v1/state-machines, 5 MiB = %d %s; want 413 'larger than', nosniff", code, b)
	}
	// Unknown length (chunked): io.MultiReader hides the length.
	code, b, reset := callChunked(t, srv.HTTPURL+"/v1/state-machines", big, "Content-Type", "application/json")
	if !reset && (code != 413 || !strings.Contains(string(b), "larger than")) {
		t.Errorf("POST /v1/state-machines, 5 MiB chunked = %d %s; want 413 'larger than'", code, b)
	}
	code, _, b = call(t, "POST", srv.HTTPURL+"/", strings.NewReader(big),
		"Content-Type", "application/x-amz-json-1.0", "X-Amz-Target", "AWSStepFunctions.CreateStateMachine")
	if code != 413 || jsonField(b, "__type") != "RequestEntityTooLargeException" {
		t.Errorf("AWS CreateStateMachine, 5 MiB = %d %s; want 413 RequestEntityTooLargeException", code, b)
	}
	code, b, reset = callChunked(t, srv.HTTPURL+"/", big,
		"Content-Type", "application/x-amz-json-1.0", "X-Amz-Target", "AWSStepFunctions.CreateStateMachine")
	if !reset && (code != 413 || jsonField(b, "__type") != "RequestEntityTooLargeException") {
		t.Errorf("AWS CreateStateMachine, 5 MiB chunked = %d %s; want 413 RequestEntityTooLargeException", code, b)
	}
	if code, _, _ := call(t, "GET", srv.HTTPURL+"/v1/state-machines/big", nil); code != 404 {
		t.Errorf("a refused body created the machine (GET = %d)", code)
	}
	// Under the limit, the request reaches the API (which rejects an
	// over-long definition on its own terms).
	code, _, b = call(t, "POST", srv.HTTPURL+"/v1/state-machines", strings.NewReader(createBody("small")), "Content-Type", "application/json")
	if code != 200 {
		t.Errorf("POST /v1/state-machines, small = %d %s; want 200", code, b)
	}
}

func TestNosniff(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	for _, p := range []string{"/v1/state-machines", "/v1/nothing", "/healthz", "/nothing"} {
		_, hdr, _ := call(t, "GET", srv.HTTPURL+p, nil)
		if got := hdr.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options = %q; want nosniff", p, got)
		}
	}
}

// TestRESTFieldLimits: the REST gateway keeps AWS's field limits and
// refuses NUL before anything is stored, answering 400 InvalidArgument
// with a message that names the field and does not echo the value.
func TestRESTFieldLimits(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	base := srv.HTTPURL
	if code, _, b := call(t, "POST", base+"/v1/state-machines", strings.NewReader(createBody("lim")), "Content-Type", "application/json"); code != 200 {
		t.Fatalf("create = %d %s", code, b)
	}
	long := strings.Repeat("c", 40000)
	for _, c := range []struct {
		method, path, body, field string
	}{
		{"POST", "/v1/executions/arn:aws:states:us-east-1:111111111111:execution:lim:x:stop", `{"cause":"` + long + `"}`, "cause"},
		{"POST", "/v1/tasks:failure", `{"task_token":"t","error":"` + long[:300] + `"}`, "error"},
		{"POST", "/v1/state-machines", `{"name":"` + long[:81] + `","definition":"{}"}`, "name"},
		{"POST", "/v1/state-machines", `{"name":"r","definition":"{}","roleArn":"` + long[:300] + `"}`, "roleArn"},
		{"POST", "/v1/state-machines/lim/executions", `{"input":"\"` + strings.Repeat("i", 262144) + `\""}`, "input"},
		{"POST", "/v1/state-machines/lim/executions", `{"name":"a\u0000"}`, "name"},
		{"POST", "/v1/state-machines", `{"name":"n","definition":"{\"StartAt\":\"A\\u0000\",\"States\":{\"A\\u0000\":{\"Type\":\"Pass\",\"End\":true}}}"}`, "definition"},
		{"GET", "/v1/state-machines/a%00b", "", "path"},
	} {
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		code, _, b := call(t, c.method, base+c.path, body, "Content-Type", "application/json")
		msg, _ := jsonField(b, "message").(string)
		if code != 400 || !strings.Contains(msg, c.field) || len(b) > 1000 {
			t.Errorf("%s %s (%s) = %d %.300s; want 400 naming %s, the value not echoed", c.method, c.path, c.field, code, b, c.field)
		}
	}
	// An escaped NUL inside an input is stored as it came.
	code, _, b := call(t, "POST", base+"/v1/state-machines/lim/executions", strings.NewReader(`{"name":"n1","input":"{\"a\":\"x\\u0000y\"}"}`), "Content-Type", "application/json")
	if code != 200 {
		t.Fatalf("start with an escaped NUL in the input = %d %s; want 200", code, b)
	}
}

// TestLimitListener: beyond its bound a port answers 429 and closes the
// connection at once; a slot frees when a connection closes.
func TestLimitListener(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })}
	go func() { _ = hs.Serve(api.LimitListener(ln, 2, api.TooManyConnections)) }()
	t.Cleanup(func() { _ = hs.Close() })
	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(time.Minute)) // only against a hang
		return c, bufio.NewReader(c)
	}
	get := func(c net.Conn, br *bufio.Reader) int {
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return 0
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return 0
		}
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	c1, r1 := dial()
	c2, r2 := dial()
	if a, b := get(c1, r1), get(c2, r2); a != 200 || b != 200 {
		t.Fatalf("two connections within the bound = %d, %d; want 200, 200", a, b)
	}
	c3, r3 := dial()
	if code := get(c3, r3); code != 429 {
		t.Errorf("a third connection = %d; want 429", code)
	}
	c3.Close()
	c1.Close()
	// The server notices the close when its read fails; then a slot is free.
	for i := 0; ; i++ {
		c, r := dial()
		code := get(c, r)
		c.Close()
		if code == 200 {
			break
		}
		if i == 100 {
			t.Fatalf("after a connection closed, a new one = %d; want 200", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c2.Close()
}
