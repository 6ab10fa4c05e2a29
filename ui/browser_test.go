package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
)

// The browser tests run the real UI bundle in headless Chromium against a
// real server: the engine on a fresh Postgres schema, the REST gateway and
// the embedded UI on one httptest server. They skip when chromium is
// missing, unless STEPWISE_REQUIRE_BROWSER is set (CI installs it).

const xss = `<img src=x onerror=alert(1)>`

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("STEPWISE_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p == "" {
			continue
		}
		if full, err := exec.LookPath(p); err == nil {
			return full
		}
	}
	if os.Getenv("STEPWISE_REQUIRE_BROWSER") != "" {
		t.Fatal("chromium not found and STEPWISE_REQUIRE_BROWSER is set")
	}
	t.Skip("chromium not found (apt-get install chromium); set STEPWISE_REQUIRE_BROWSER to fail instead")
	return ""
}

// workers answers tasks by resource, in goroutines, like a worker fleet.
type workers struct {
	eng *engine.Engine
	wg  sync.WaitGroup
}

func (w *workers) Dispatch(ctx context.Context, task engine.Task) error {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		ctx := context.Background()
		res := task.Resource[strings.LastIndex(task.Resource, ":")+1:]
		var err error
		switch res {
		case "flaky": // fails twice, then succeeds: retried
			if task.Attempt < 2 {
				err = w.eng.SendTaskFailure(ctx, task.Token, "Flaky.Error", fmt.Sprintf("attempt %d failed", task.Attempt+1))
			} else {
				err = w.eng.SendTaskSuccess(ctx, task.Token, `{"charged":true,"big":12345678901234567890}`)
			}
		case "boom": // always fails: caught
			err = w.eng.SendTaskFailure(ctx, task.Token, "Payment.Declined", "card "+xss+" declined")
		case "slow": // never answers: the execution stays RUNNING
		default:
			err = w.eng.SendTaskSuccess(ctx, task.Token, task.Input)
		}
		_ = err
	}()
	return nil
}

const ordersASL = `{
  "Comment": "orders: Pass, Parallel with Retry and Catch, Map, Choice",
  "StartAt": "Validate",
  "States": {
    "Validate": {"Type": "Pass", "Next": "Fanout"},
    "Fanout": {"Type": "Parallel", "ResultPath": "$.fanout", "Next": "Items", "Branches": [
      {"StartAt": "Charge", "States": {"Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:flaky",
        "Retry": [{"ErrorEquals": ["Flaky.Error"], "IntervalSeconds": 1, "BackoffRate": 1, "MaxAttempts": 3}], "End": true}}},
      {"StartAt": "<img src=x onerror=alert(1)>", "States": {
        "<img src=x onerror=alert(1)>": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:boom",
          "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recovered"}], "End": true},
        "Recovered": {"Type": "Pass", "End": true}}}
    ]},
    "Items": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.processed", "Next": "Route",
      "ItemProcessor": {"StartAt": "Process", "States": {"Process": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:echo", "End": true}}}},
    "Route": {"Type": "Choice", "Choices": [{"Variable": "$.customer.tier", "StringEquals": "gold", "Next": "Done"}], "Default": "Reject"},
    "Done": {"Type": "Succeed"},
    "Reject": {"Type": "Fail", "Error": "Order.Rejected", "Cause": "only gold customers"}
  }
}`

const waiterASL = `{"StartAt": "Wait for it", "States": {"Wait for it": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:slow", "End": true}}}`

// bigASL makes a history of about 25,000 events: 6,200 Map iterations of
// one Pass state, four events each.
const bigASL = `{"StartAt": "Spread", "States": {"Spread": {"Type": "Map", "ItemsPath": "$.items", "End": true,
  "ItemProcessor": {"StartAt": "Touch", "States": {"Touch": {"Type": "Pass", "End": true}}}}}}`

type fixture struct {
	url  string
	eng  *engine.Engine
	arns map[string]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, _ := pgtest.Store(t)
	w := &workers{}
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: w, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w.eng = eng
	t.Cleanup(w.wg.Wait) // after serveUI's cleanup: cleanups run last first
	url := serveUI(t, eng, "")

	for name, def := range map[string]string{"orders": ordersASL, "waiter": waiterASL, "big": bigASL} {
		if _, err := eng.CreateStateMachine(ctx, name, def, ""); err != nil {
			t.Fatalf("CreateStateMachine(%q): %v", name, err)
		}
	}
	f := &fixture{url: url, eng: eng, arns: map[string]string{}}
	items := make([]string, 6200)
	for i := range items {
		items[i] = fmt.Sprintf(`{"i":%d}`, i)
	}
	starts := []struct{ machine, name, input string }{
		{"orders", "gold-order", `{"customer":{"tier":"gold","name":"` + xss + `"},"items":[{"sku":"a"},{"sku":"b"},{"sku":"c"}]}`},
		{"orders", "silver-order", `{"customer":{"tier":"silver","name":"Sam"},"items":[{"sku":"d"}]}`},
		{"waiter", "stuck-order", `{"customer":{"tier":"bronze"}}`},
		{"big", "big-history", `{"items":[` + strings.Join(items, ",") + `]}`},
	}
	for _, s := range starts {
		x, err := eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: s.machine, Name: s.name, Input: s.input})
		if err != nil {
			t.Fatalf("StartExecution(%q): %v", s.name, err)
		}
		f.arns[s.name] = x.ARN
	}
	for _, name := range []string{"gold-order", "silver-order", "big-history"} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			x, err := eng.DescribeExecution(ctx, f.arns[name])
			if err != nil {
				t.Fatal(err)
			}
			if x.Status != engine.StatusRunning {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("execution %q still RUNNING after 30s", name)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return f
}

func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1500, 1000),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// artifacts is where screenshots go: $STEPWISE_ARTIFACTS or the test's
// output directory (testdata-free; kept after the test).
func artifacts(t *testing.T) string {
	dir := os.Getenv("STEPWISE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "stepwise-ui-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(artifacts(t), name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Error(err)
	}
	t.Logf("screenshot: %s", p)
}

func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS polls a JavaScript expression until it is true.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(wctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 2000)`))
		t.Fatalf("waiting for %s (%s): %v\npage text:\n%s", what, expr, err, body)
	}
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func q(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestBrowserExecutions(t *testing.T) {
	f := newFixture(t)
	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(f.url+"/executions"),
		// Any alert() would mean injected HTML ran.
		chromedp.Evaluate[chromedp.Void](`window.__alerts = 0; window.alert = () => { window.__alerts++ }`))

	// The list shows every execution with its status.
	waitJS(t, ctx, "the executions list", `document.querySelectorAll('[data-execution]').length >= 4`)
	for name, want := range map[string]string{"gold-order": "SUCCEEDED", "silver-order": "FAILED", "stuck-order": "RUNNING", "big-history": "SUCCEEDED"} {
		got := js[string](t, ctx, `document.querySelector('[data-execution=`+q(name)+`]')?.dataset.status ?? ''`)
		if got != want {
			t.Errorf("list status of %q = %q; want %q", name, got, want)
		}
	}
	screenshot(t, ctx, "executions-list.png")

	// The CEL search finds an execution by an input field.
	do(t, ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid=cel-filter]`), `input.customer.tier == "gold"`), chromedp.Click(chromedp.CSS(`[data-testid=cel-search]`)))
	waitJS(t, ctx, "the CEL search result", `[...document.querySelectorAll('[data-execution]')].map(e => e.dataset.execution).join() === 'gold-order'`)

	// A filter that does not compile shows CEL's error inline.
	do(t, ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid=cel-filter]`), ` &&`), chromedp.Click(chromedp.CSS(`[data-testid=cel-search]`)))
	waitJS(t, ctx, "the inline CEL error", `!!document.querySelector('[data-testid=cel-error]')`)
	celErr := js[string](t, ctx, `document.querySelector('[data-testid=cel-error]').innerText`)
	if !strings.Contains(celErr, "Filter error") || len(celErr) < 20 {
		t.Errorf("CEL error text = %q; want the server's message", celErr)
	}
	t.Logf("CEL error shown: %q", celErr)
	screenshot(t, ctx, "executions-cel-error.png")

	// The execution page: every state drawn with what happened to it.
	do(t, ctx, chromedp.Navigate(f.url+"/executions/"+urlEscape(f.arns["gold-order"])),
		chromedp.Evaluate[chromedp.Void](`window.__alerts = 0; window.alert = () => { window.__alerts++ }`))
	waitJS(t, ctx, "the graph", `document.querySelectorAll('.sw-node[data-status]').length >= 9 && !!document.querySelector('.sw-node[data-status=succeeded]')`)
	want := map[string]string{
		"Validate": "succeeded", "Fanout": "succeeded", "Charge": "retried", xss: "caught", "Recovered": "succeeded",
		"Items": "succeeded", "Process": "succeeded", "Route": "succeeded", "Done": "succeeded", "Reject": "notReached",
	}
	for state, st := range want {
		got := js[string](t, ctx, `[...document.querySelectorAll('.sw-node')].find(n => n.dataset.state === `+q(state)+`)?.dataset.status ?? 'missing'`)
		if got != st {
			t.Errorf("graph status of %q = %q; want %q", state, got, st)
		}
	}
	if got := js[string](t, ctx, `[...document.querySelectorAll('.sw-node')].find(n => n.dataset.state === 'Charge')?.querySelector('.badge.retry')?.innerText ?? ''`); !strings.Contains(got, "2") {
		t.Errorf("Charge retry badge = %q; want 2 retries", got)
	}
	if got := js[string](t, ctx, `[...document.querySelectorAll('.sw-node')].find(n => n.dataset.state === 'Charge')?.className ?? ''`); !strings.Contains(got, "status-retried") {
		t.Errorf("Charge class = %q; want status-retried", got)
	}

	// The malicious state name and input are text: no <img> element, no alert.
	if n := js[int](t, ctx, `document.querySelectorAll('img').length`); n != 0 {
		t.Errorf("the page has %d <img> elements; want 0 (state names must render as text)", n)
	}
	if got := js[string](t, ctx, `[...document.querySelectorAll('.sw-node-label')].map(e => e.textContent).find(s => s.includes('onerror')) ?? ''`); got != xss {
		t.Errorf("the malicious state's label = %q; want the literal %q", got, xss)
	}

	// Clicking a state shows its input and output.
	do(t, ctx, chromedp.Click(chromedp.CSS(`.react-flow__node[data-id="s:Validate"]`)))
	waitJS(t, ctx, "the state panel", `!!document.querySelector('[data-testid=state-panel]')`)
	in := js[string](t, ctx, `document.querySelector('[data-testid=state-input]').innerText`)
	out := js[string](t, ctx, `document.querySelector('[data-testid=state-output]').innerText`)
	if !strings.Contains(in, `"tier": "gold"`) || !strings.Contains(in, xss) {
		t.Errorf("Validate input panel = %q; want the execution input", in)
	}
	if !strings.Contains(out, `"tier": "gold"`) || !strings.Contains(out, `"items"`) {
		t.Errorf("Validate output panel = %q; want its output", out)
	}
	screenshot(t, ctx, "execution-page.png")

	// The caught state shows its error and cause; the retried one its attempts.
	do(t, ctx, chromedp.Click(chromedp.CSS(`.react-flow__node[data-id="s:Charge"]`)))
	waitJS(t, ctx, "Charge's retries", `document.querySelector('[data-testid=retry-count]')?.innerText === '2'`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('.react-flow__node')].find(n => n.dataset.id === 's:' + `+q(xss)+`).click()`))
	waitJS(t, ctx, "the caught error", `(document.querySelector('[data-testid=state-error]')?.innerText ?? '').includes('Payment.Declined')`)
	if n := js[int](t, ctx, `document.querySelectorAll('img').length + window.__alerts`); n != 0 {
		t.Errorf("after showing the cause: %d <img> elements or alerts; want 0", n)
	}

	// The event table filters by state.
	waitJS(t, ctx, "the event table", `document.querySelectorAll('[data-event-id]').length > 10`)

	// Stop works on a running execution, with a confirmation.
	do(t, ctx, chromedp.Navigate(f.url+"/executions/"+urlEscape(f.arns["stuck-order"])))
	waitJS(t, ctx, "the running state", `[...document.querySelectorAll('.sw-node')].some(n => n.dataset.state === 'Wait for it' && n.dataset.status === 'running')`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=stop]`)))
	waitJS(t, ctx, "the confirmation", `!!document.querySelector('[data-testid=confirm-stop]')`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=confirm-stop-yes]`)))
	waitJS(t, ctx, "ABORTED", `document.querySelector('.header [data-status]')?.dataset.status === 'ABORTED'`)
	x, err := f.eng.DescribeExecution(context.Background(), f.arns["stuck-order"])
	if err != nil || x.Status != engine.StatusAborted {
		t.Errorf("after Stop: status %v, %v; want ABORTED", x.Status, err)
	}
	if n := js[int](t, ctx, `window.__alerts ?? 0`); n != 0 {
		t.Errorf("alert() ran %d times; want 0", n)
	}
}

func TestBrowserBigHistory(t *testing.T) {
	f := newFixture(t)
	ctx := newBrowser(t)
	start := time.Now()
	do(t, ctx, chromedp.Navigate(f.url+"/executions/"+urlEscape(f.arns["big-history"])))
	waitJS(t, ctx, "the 25,000-event table", `/^2[45],?\d{3} events$/.test(document.querySelector('[data-testid=event-count]')?.innerText ?? '')`)
	count := js[string](t, ctx, `document.querySelector('[data-testid=event-count]').innerText`)
	renderMs := js[float64](t, ctx, `window.__historyRenderMs ?? -1`)
	rows := js[int](t, ctx, `document.querySelectorAll('[data-event-id]').length`)
	t.Logf("big history: %s; time to first render %.0f ms in the page, %v wall clock; %d rows in the DOM", count, renderMs, time.Since(start).Round(time.Millisecond), rows)
	if rows > 200 {
		t.Errorf("%d event rows in the DOM; want a virtualised table (< 200)", rows)
	}
	// Scroll to the end: the last event is rendered.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('[data-testid=event-scroll]'); s.scrollTop = s.scrollHeight })()`))
	waitJS(t, ctx, "the last event", `[...document.querySelectorAll('[data-event-id]')].some(r => r.querySelector('.c-type').innerText === 'ExecutionSucceeded')`)
	waitJS(t, ctx, "the Map state coloured", `[...document.querySelectorAll('.sw-node')].some(n => n.dataset.state === 'Spread' && n.dataset.status === 'succeeded')`)
	screenshot(t, ctx, "execution-big-history.png")
}

func urlEscape(s string) string {
	r := strings.NewReplacer(":", "%3A", "/", "%2F", " ", "%20")
	return r.Replace(s)
}
