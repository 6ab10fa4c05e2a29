package ui_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
	"github.com/stepwise-dev/stepwise/ui"
)

// serveUI serves eng's API and the UI on a test server until the test
// ends, running the engine meanwhile; token is api.Config.AuthToken.
func serveUI(t *testing.T, eng *engine.Engine, token string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := api.New(api.Config{Engine: eng, AuthToken: token, UI: ui.Handler()})
	if err != nil {
		t.Fatal(err)
	}
	h, err := srv.HTTPHandler(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(ctx) }()
	t.Cleanup(func() { hs.Close(); cancel(); <-done })
	return hs.URL
}

// tokenServer is a server started with an auth token, serving the UI, with
// one state machine "hello".
func tokenServer(t *testing.T, token string) (string, *engine.Engine) {
	t.Helper()
	st, _ := pgtest.Store(t)
	eng, err := engine.New(engine.Config{Store: st, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	url := serveUI(t, eng, token)
	if _, err := eng.CreateStateMachine(context.Background(), "hello", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, ""); err != nil {
		t.Fatal(err)
	}
	return url, eng
}

// TestPageHeaders: the page is served to GET and HEAD with its CSP; the
// data calls need the token.
func TestPageHeaders(t *testing.T) {
	t.Parallel()
	url, _ := tokenServer(t, "s3cret")
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		req, _ := http.NewRequest(method, url+"/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if resp.StatusCode != 200 || !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s / = %d, CSP %q, nosniff %q; want 200 with a CSP and nosniff", method, resp.StatusCode, csp, resp.Header.Get("X-Content-Type-Options"))
		}
	}
	resp, err := http.Get(url + "/v1/state-machines")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("GET /v1/state-machines without the token = %d; want 401", resp.StatusCode)
	}
}

// TestBrowserToken: against a server with --auth-token the UI asks for the
// token once, says so when it is wrong, keeps it for the tab, and its
// writes (a same-origin JSON POST) pass the cross-site checks.
func TestBrowserToken(t *testing.T) {
	url, eng := tokenServer(t, "s3cret")
	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(url+"/state-machines/hello"))
	waitJS(t, ctx, "the token prompt", `!!document.querySelector('.token-prompt input[name=token]')`)
	do(t, ctx, chromedp.SendKeys(chromedp.CSS(`.token-prompt input[name=token]`), "wrong"), chromedp.Click(chromedp.CSS(`.token-prompt button[type=submit]`)))
	waitJS(t, ctx, "the prompt for a wrong token", `(document.querySelector('.token-prompt')?.innerText ?? '').includes('not accepted')`)
	do(t, ctx, chromedp.SendKeys(chromedp.CSS(`.token-prompt input[name=token]`), "s3cret"), chromedp.Click(chromedp.CSS(`.token-prompt button[type=submit]`)))
	waitJS(t, ctx, "the machine page", `!document.querySelector('.token-prompt') && !!document.querySelector('[data-testid=start-open]')`)

	// Kept for the tab: a reload does not ask again.
	do(t, ctx, chromedp.Navigate(url+"/state-machines/hello"))
	waitJS(t, ctx, "the machine page after a reload", `!!document.querySelector('[data-testid=start-open]')`)
	if js[bool](t, ctx, `!!document.querySelector('.token-prompt')`) {
		t.Errorf("the token prompt came back after a reload")
	}

	// A write from the page: start an execution.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=start-open]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=start-name]`), "from-ui"),
		chromedp.Click(chromedp.CSS(`[data-testid=start-submit]`)))
	waitJS(t, ctx, "the execution page", `location.pathname.startsWith('/executions/')`)
	x, err := eng.DescribeExecution(context.Background(), "arn:aws:states:us-east-1:111111111111:execution:hello:from-ui")
	if err != nil {
		t.Fatalf("the execution started from the UI: %v", err)
	}
	t.Logf("started from the UI: %s", x.ARN)
}
