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

func (w *workers) Dispatch(ctx context.Context, task engine.Task) (held bool, err error) {
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
		case "invoke.waitForTaskToken": // the callback comes from the page
		default:
			err = w.eng.SendTaskSuccess(ctx, task.Token, task.Input)
		}
		_ = err
	}()
	return false, nil
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

// seedASL is the project's seed machine (examples/order-processing): a
// Task with Retry and Catch, a Parallel of two branches, a task that waits
// for a callback, then two more states.
func seedASL(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../examples/order-processing/order.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// nestedASL is the machine of issue 15's report: Choice → Wait →
// Parallel (two branches, one with a Map) → Succeed, with JSONata and
// compound Choice rules.
const nestedASL = `{"StartAt": "Route", "States": {
  "Route": {"Type": "Choice", "Choices": [
    {"And": [{"Variable": "$.n", "NumericGreaterThanEquals": 10}, {"Not": {"Variable": "$.skip", "IsPresent": true}}], "Next": "Pause"},
    {"Variable": "$.kind", "StringEqualsPath": "$.wanted", "Next": "Both"}], "Default": "Both"},
  "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Both"},
  "Both": {"Type": "Parallel", "Next": "Done", "Branches": [
    {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": true}}},
    {"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true, "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
      "StartAt": "Work", "States": {"Work": {"Type": "Pass", "Next": "Check"}, "Check": {"Type": "Choice", "QueryLanguage": "JSONata",
        "Choices": [{"Condition": "{% $states.input.ok %}", "Next": "Fine"}], "Default": "Fine"}, "Fine": {"Type": "Succeed"}}}}}}]},
  "Done": {"Type": "Succeed"}}}`

// thirtyASL is a 30-state machine: a chain of Tasks and Passes with a
// Choice every tenth state, each rule going on or to a Fail.
func thirtyASL() string {
	var b strings.Builder
	b.WriteString(`{"StartAt": "Step01", "States": {`)
	for i := 1; i <= 29; i++ {
		name, next := fmt.Sprintf("Step%02d", i), fmt.Sprintf("Step%02d", i+1)
		if i == 29 {
			next = "Finished"
		}
		switch {
		case i%10 == 0:
			fmt.Fprintf(&b, `%q: {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": %d, "Next": %q}], "Default": "Finished"},`, name, i, next)
		case i%2 == 0:
			fmt.Fprintf(&b, `%q: {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:echo", "Next": %q},`, name, next)
		default:
			fmt.Fprintf(&b, `%q: {"Type": "Pass", "Next": %q},`, name, next)
		}
	}
	b.WriteString(`"Finished": {"Type": "Succeed"}}}`)
	return b.String()
}

type fixture struct {
	url  string
	eng  *engine.Engine
	arns map[string]string
}

// withBig adds the 25,000-event execution "big-history" to a fixture.
const withBig = true

func newFixture(t *testing.T, big ...bool) *fixture {
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

	machines := map[string]string{"nested": nestedASL, "orders": ordersASL, "waiter": waiterASL, "big": bigASL, "seed": seedASL(t), "thirty": thirtyASL(),
		"one": `{"StartAt": "Only", "States": {"Only": {"Type": "Pass", "End": true}}}`}
	for name, def := range machines {
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
	}
	if len(big) > 0 && big[0] {
		starts = append(starts, struct{ machine, name, input string }{"big", "big-history", `{"items":[` + strings.Join(items, ",") + `]}`})
	}
	for _, s := range starts {
		x, err := eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: s.machine, Name: s.name, Input: s.input})
		if err != nil {
			t.Fatalf("StartExecution(%q): %v", s.name, err)
		}
		f.arns[s.name] = x.ARN
	}
	for _, name := range []string{"gold-order", "silver-order", "big-history"} {
		if f.arns[name] == "" {
			continue
		}
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

// newBrowser starts headless Chromium with a 1500×1000 window, or the
// size given.
func newBrowser(t *testing.T, size ...int) context.Context {
	t.Helper()
	w, h := 1500, 1000
	if len(size) == 2 {
		w, h = size[0], size[1]
	}
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
		chromedp.WindowSize(w, h),
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
	waitJS(t, ctx, "the executions list", `document.querySelectorAll('[data-execution]').length >= 3`)
	for name, want := range map[string]string{"gold-order": "SUCCEEDED", "silver-order": "FAILED", "stuck-order": "RUNNING"} {
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
	do(t, ctx, chromedp.Click(chromedp.CSS(`.sw-state[data-state="Validate"]`)))
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
	do(t, ctx, chromedp.Click(chromedp.CSS(`.sw-state[data-state="Charge"]`)))
	waitJS(t, ctx, "Charge's retries", `document.querySelector('[data-testid=retry-count]')?.innerText === '2'`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('.sw-state')].find(n => n.dataset.state === `+q(xss)+`).click()`))
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
	f := newFixture(t, withBig)
	ctx := newBrowser(t)
	start := time.Now()
	do(t, ctx, chromedp.Navigate(f.url+"/executions/"+urlEscape(f.arns["big-history"])))
	waitJS(t, ctx, "the 25,000-event table", `/^2[45],?\d{3} events$/.test(document.querySelector('[data-testid=event-count]')?.innerText ?? '')`)
	count := js[string](t, ctx, `document.querySelector('[data-testid=event-count]').innerText`)
	renderMs := js[float64](t, ctx, `window.__historyRenderMs ?? -1`)
	waitJS(t, ctx, "the whole history", `window.__historyCompleteMs !== undefined`)
	completeMs := js[float64](t, ctx, `window.__historyCompleteMs`)
	rows := js[int](t, ctx, `document.querySelectorAll('[data-event-id]').length`)
	t.Logf("big history: %s; first events shown after %.0f ms, all after %.0f ms in the page, %v wall clock; %d rows in the DOM",
		count, renderMs, completeMs, time.Since(start).Round(time.Millisecond), rows)
	if rows > 200 {
		t.Errorf("%d event rows in the DOM; want a virtualised table (< 200)", rows)
	}
	// Scroll to the end: the last event is rendered.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('[data-testid=event-scroll]'); s.scrollTop = s.scrollHeight })()`))
	waitJS(t, ctx, "the last event", `[...document.querySelectorAll('[data-event-id]')].some(r => r.querySelector('.c-type').innerText === 'ExecutionSucceeded')`)
	waitJS(t, ctx, "the Map state coloured", `[...document.querySelectorAll('.sw-node')].some(n => n.dataset.state === 'Spread' && n.dataset.status === 'succeeded')`)
	// The event table uses the window's height.
	if h, wh := js[float64](t, ctx, `document.querySelector('[data-testid=event-scroll]').clientHeight`), js[float64](t, ctx, `window.innerHeight`); h < wh-250 {
		t.Errorf("event table %.0f px high in a %.0f px window; want at least the window less 250 px", h, wh)
	}
	screenshot(t, ctx, "execution-big-history.png")

	// The Map iterations tab: 6,200 iterations, a short page, few rows.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`), chromedp.Click(chromedp.CSS(`[data-testid=tab-iterations]`)))
	waitJS(t, ctx, "the iterations", `(document.querySelector('[data-testid=iteration-count]')?.innerText ?? '').startsWith('6200 iterations')`)
	rows = js[int](t, ctx, `document.querySelectorAll('[data-iteration]').length`)
	page := js[float64](t, ctx, `document.documentElement.scrollHeight`)
	wh := js[float64](t, ctx, `window.innerHeight`)
	t.Logf("Map iterations: %d rows in the DOM, page %.0f px high", rows, page)
	if rows == 0 || rows >= 100 {
		t.Errorf("%d iteration rows in the DOM; want a virtualised table (1–99)", rows)
	}
	if page > 2.5*wh {
		t.Errorf("page %.0f px high with the iterations tab in a %.0f px window; want it bounded", page, wh)
	}
	screenshot(t, ctx, "execution-iterations.png")
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('[data-testid=iteration-scroll]'); s.scrollTop = s.scrollHeight })()`))
	waitJS(t, ctx, "the last iteration", `!!document.querySelector('[data-iteration="6199"]')`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => {
	  const el = document.querySelector('[data-testid=iteration-status]')
	  Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(el, 'failed')
	  el.dispatchEvent(new Event('change', {bubbles: true}))
	})()`))
	waitJS(t, ctx, "no failed iteration", `(document.querySelector('[data-testid=iteration-count]')?.innerText ?? '').startsWith('0 of 6200')`)
	waitJS(t, ctx, "the empty table's message", `(document.querySelector('[data-testid=iterations]')?.innerText ?? '').includes('No iteration matches')`)
}

func urlEscape(s string) string {
	r := strings.NewReplacer(":", "%3A", "/", "%2F", " ", "%20")
	return r.Replace(s)
}

// graphFigures is what the page measures of a drawn graph.
type graphFigures struct {
	Zoom      float64 `json:"zoom"`      // rendered width / layout width of the canvas
	MinLabel  float64 `json:"minLabel"`  // smallest rendered font size of a state or edge label, px
	Labels    int     `json:"labels"`    // state and edge labels drawn
	PanelW    float64 `json:"panelW"`    // the graph panel's inner width
	GraphW    float64 `json:"graphW"`    // the drawn graph's width
	PanelH    float64 `json:"panelH"`    // the graph panel's height
	ScrollH   float64 `json:"scrollH"`   // its scroll height
	WindowH   float64 `json:"windowH"`   // the window's inner height
	Overflows bool    `json:"overflows"` // a label's text is cut (ellipsis) without a title to show it whole
}

const measureGraph = `(() => {
  const panel = document.querySelector('[data-testid=graph]')
  const canvas = panel.querySelector('.sw-canvas')
  const zoom = canvas.getBoundingClientRect().width / canvas.offsetWidth
  const labels = [...panel.querySelectorAll('.sw-node-label, .sw-edge-label')]
  const sizes = labels.map(l => parseFloat(getComputedStyle(l).fontSize) * zoom)
  return {
    zoom, minLabel: Math.min(...sizes), labels: labels.length,
    panelW: panel.clientWidth, graphW: canvas.getBoundingClientRect().width,
    panelH: panel.getBoundingClientRect().height, scrollH: panel.scrollHeight, windowH: window.innerHeight,
    overflows: labels.some(l => l.scrollWidth > l.clientWidth + 1 && !l.closest('[title]')),
  }
})()`

// TestBrowserGraph: at 1400×900, the graph of the seed's order machine, of
// the test's orders machine and of a 30-state machine opens with every
// label at 12 px or more, fitted to the panel (the tall one scrolls);
// Parallel branches are side by side in their order; a Map is a frame with
// its iteration count; Choice edges carry their rule and Catch edges are
// dashed with their error names; a one-state machine is not blown up; the
// current state of a running execution far down a tall machine is
// highlighted and scrolled into view; a state opens from the keyboard.
func TestBrowserGraph(t *testing.T) {
	f := newFixture(t)
	ctx := newBrowser(t, 1400, 900)

	for _, c := range []struct {
		machine string
		states  int
		tall    bool
	}{{"seed", 8, false}, {"orders", 10, false}, {"nested", 9, false}, {"thirty", 30, true}, {"one", 1, false}} {
		do(t, ctx, chromedp.Navigate(f.url+"/state-machines/"+c.machine))
		waitJS(t, ctx, c.machine+"'s graph", fmt.Sprintf(`document.querySelectorAll('[data-testid=graph] .sw-node[data-state]').length >= %d`, c.states))
		g := js[graphFigures](t, ctx, measureGraph)
		t.Logf("%s: zoom %.3f, smallest label %.1f px of %d, graph %.0f px wide in a %.0f px panel, panel %.0f px high (scrolls to %.0f)",
			c.machine, g.Zoom, g.MinLabel, g.Labels, g.GraphW, g.PanelW, g.PanelH, g.ScrollH)
		if g.MinLabel < 12 {
			t.Errorf("%s: smallest label drawn at %.2f px; want ≥ 12", c.machine, g.MinLabel)
		}
		if g.Zoom > 1.001 {
			t.Errorf("%s: zoom %.3f; want ≤ 1 (a small machine is not enlarged)", c.machine, g.Zoom)
		}
		if g.GraphW > g.PanelW+1 && g.Zoom > 12.0/13+0.001 {
			t.Errorf("%s: graph %.0f px wide in a %.0f px panel at zoom %.3f; want it fitted to the width", c.machine, g.GraphW, g.PanelW, g.Zoom)
		}
		if g.Overflows {
			t.Errorf("%s: a label is cut without a title", c.machine)
		}
		if g.PanelH > g.WindowH*0.85 {
			t.Errorf("%s: graph panel %.0f px high in a %.0f px window; want at most 85%%", c.machine, g.PanelH, g.WindowH)
		}
		if c.tall && g.ScrollH <= g.PanelH {
			t.Errorf("%s: panel %.0f px high, content %.0f px: want a scrolling panel for a tall machine", c.machine, g.PanelH, g.ScrollH)
		}
		if c.machine == "one" && g.PanelH > 250 {
			t.Errorf("one-state machine: panel %.0f px high; want ≤ 250", g.PanelH)
		}
		if c.machine == "seed" {
			screenshot(t, ctx, "machine-graph.png")
		}
	}

	// The seed's branches: side by side, Branch 1 on the left.
	type box struct{ X, Y float64 }
	pos := func(sel string) box {
		t.Helper()
		return js[box](t, ctx, `(() => { const r = document.querySelector(`+q(sel)+`)?.getBoundingClientRect(); return r ? {X: r.x, Y: r.y} : {X: -1, Y: -1} })()`)
	}
	do(t, ctx, chromedp.Navigate(f.url+"/state-machines/seed"))
	waitJS(t, ctx, "the seed's graph", `document.querySelectorAll('.sw-state[data-state]').length >= 7`)
	w1, w2 := pos(`.sw-state[data-state="CheckWarehouse1"]`), pos(`.sw-state[data-state="CheckWarehouse2"]`)
	if !(w1.X >= 0 && w1.X < w2.X && abs(w1.Y-w2.Y) < 2) {
		t.Errorf("CheckWarehouse1 at %v, CheckWarehouse2 at %v; want them side by side, 1 on the left", w1, w2)
	}
	if got := js[string](t, ctx, `[...document.querySelectorAll('.sw-edge-label[data-kind=catch]')].map(e => e.textContent).join('|')`); got != "ValidationError" {
		t.Errorf("seed catch labels = %q; want ValidationError", got)
	}
	if dash := js[string](t, ctx, `getComputedStyle(document.querySelector('.sw-edge.edge-catch')).strokeDasharray`); dash == "" || dash == "none" {
		t.Errorf("catch edge stroke-dasharray = %q; want dashed", dash)
	}

	// Nested scopes keep their order and carry their rules.
	do(t, ctx, chromedp.Navigate(f.url+"/state-machines/nested"))
	waitJS(t, ctx, "the nested graph", `!!document.querySelector('.sw-state[data-state=Work]')`)
	l, e := pos(`.sw-state[data-state="Left"]`), pos(`.sw-group[data-state="Each"]`)
	if !(l.X >= 0 && l.X < e.X) {
		t.Errorf("Left at %v, the Map Each at %v; want Branch 1 (Left) left of Branch 2 (Each)", l, e)
	}
	rules := js[[]string](t, ctx, `[...document.querySelectorAll('.sw-edge-label[data-kind=choice]')].map(e => e.getAttribute('title') || e.textContent)`)
	for _, want := range []string{`$.n >= 10 && !$.skip present`, `$.kind == $.wanted`, `$states.input.ok`} {
		if !contains(rules, want) {
			t.Errorf("choice labels %q; want %q", rules, want)
		}
	}
	if got := js[string](t, ctx, `document.querySelector('.sw-group[data-state=Each] [data-testid=group-sub]').innerText`); got != "Map (distributed)" {
		t.Errorf("Each frame says %q; want Map (distributed)", got)
	}
	screenshot(t, ctx, "machine-graph-nested.png")

	// The orders execution: branches in order, the Map framed with its
	// iteration count around its processor, the Choice rule on its edge.
	do(t, ctx, chromedp.Navigate(f.url+"/executions/"+urlEscape(f.arns["gold-order"])))
	waitJS(t, ctx, "the execution graph", `document.querySelectorAll('.sw-node[data-status]').length >= 10 && !!document.querySelector('.sw-node[data-status=succeeded]')`)
	b1, b2 := pos(`.sw-group[data-id="s:Fanout/b0"]`), pos(`.sw-group[data-id="s:Fanout/b1"]`)
	if !(b1.X >= 0 && b1.X < b2.X && abs(b1.Y-b2.Y) < 2) {
		t.Errorf("Fanout's Branch 1 at %v, Branch 2 at %v; want them side by side in order", b1, b2)
	}
	if got := js[string](t, ctx, `document.querySelector('.sw-group[data-state=Items] [data-testid=group-sub]')?.innerText ?? ''`); !strings.Contains(got, "3 iterations") {
		t.Errorf("Items frame says %q; want its 3 iterations", got)
	}
	inside := js[bool](t, ctx, `(() => {
	  const m = document.querySelector('.sw-group[data-state=Items]').getBoundingClientRect()
	  const p = document.querySelector('.sw-state[data-state=Process]').getBoundingClientRect()
	  return p.left > m.left && p.right < m.right && p.top > m.top && p.bottom < m.bottom })()`)
	if !inside {
		t.Error("the Map processor's state Process is not inside the Items frame")
	}
	labels := js[[]string](t, ctx, `[...document.querySelectorAll('.sw-edge-label')].map(e => e.dataset.kind + ': ' + e.textContent)`)
	for _, want := range []string{`choice: $.customer.tier == "gold"`, "default: Default", "catch: States.ALL"} {
		if !contains(labels, want) {
			t.Errorf("edge labels %q; want %q", labels, want)
		}
	}
	g := js[graphFigures](t, ctx, measureGraph)
	if g.MinLabel < 12 {
		t.Errorf("execution page: smallest label %.2f px; want ≥ 12", g.MinLabel)
	}
	screenshot(t, ctx, "execution-graph.png")

	// States are reached with the keyboard too.
	do(t, ctx, chromedp.Focus(chromedp.CSS(`.sw-state[data-state=Route]`)), chromedp.KeyEvent("\r"))
	waitJS(t, ctx, "Route's panel from the keyboard", `document.querySelector('[data-testid=state-panel] .state-title')?.innerText === 'Route'`)

	// A running execution's current state, far down a tall machine, is
	// highlighted and scrolled into the panel's view.
	var deep strings.Builder
	deep.WriteString(`{"StartAt": "Pass01", "States": {`)
	for i := 1; i <= 24; i++ {
		next := fmt.Sprintf("Pass%02d", i+1)
		if i == 24 {
			next = "Hold"
		}
		fmt.Fprintf(&deep, `"Pass%02d": {"Type": "Pass", "Next": %q},`, i, next)
	}
	deep.WriteString(`"Hold": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:slow", "Next": "Last"}, "Last": {"Type": "Succeed"}}}`)
	bg := context.Background()
	if _, err := f.eng.CreateStateMachine(bg, "deep", deep.String(), ""); err != nil {
		t.Fatal(err)
	}
	x, err := f.eng.StartExecution(bg, engine.StartExecutionInput{StateMachine: "deep", Name: "deep-run"})
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(f.url+"/executions/"+urlEscape(x.ARN)))
	waitJS(t, ctx, "Hold running", `document.querySelector('.sw-state[data-state=Hold]')?.dataset.status === 'running'`)
	waitJS(t, ctx, "Hold in view", `(() => {
	  const p = document.querySelector('[data-testid=graph]').getBoundingClientRect()
	  const n = document.querySelector('.sw-state[data-state=Hold]').getBoundingClientRect()
	  return n.top >= p.top && n.bottom <= p.bottom && document.querySelector('[data-testid=graph]').scrollTop > 0 })()`)
	if cls := js[string](t, ctx, `document.querySelector('.sw-state[data-state=Hold]').className`); !strings.Contains(cls, "current") {
		t.Errorf("Hold class = %q; want it highlighted as current", cls)
	}
	if _, err := f.eng.StopExecution(bg, x.ARN, "", ""); err != nil {
		t.Error(err)
	}
}

// selectAll focuses a text field and selects its text, so that typing
// replaces it.
func selectAll(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => { const el = document.querySelector(` + q(sel) + `); el.focus(); el.select() })()`)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestBrowserCallback: an execution of the seed machine waits on
// ProcessPayment (.waitForTaskToken). The page shows it as waiting for a
// callback, highlighted, with its token, wait and deadline; the form
// refuses bad JSON, sends a heartbeat, then a success, and the execution
// finishes with that output. A second execution is answered with a failure.
func TestBrowserCallback(t *testing.T) {
	f := newFixture(t)
	ctx := newBrowser(t, 1400, 900)
	bg := context.Background()
	input := `{"orderId":"o-1","totalAmount":42,"items":[{"sku":"a"}]}`
	start := func(name string) string {
		x, err := f.eng.StartExecution(bg, engine.StartExecutionInput{StateMachine: "seed", Name: name, Input: input})
		if err != nil {
			t.Fatal(err)
		}
		return x.ARN
	}
	paid, declined := start("pay-me"), start("decline-me")

	do(t, ctx, chromedp.Navigate(f.url+"/executions/"+urlEscape(paid)))
	waitJS(t, ctx, "the waiting task", `!!document.querySelector('[data-testid=callback-token]')`)
	waitJS(t, ctx, "ProcessPayment waiting in the graph", `document.querySelector('.sw-state[data-state=ProcessPayment]')?.dataset.status === 'waiting'`)
	if cls := js[string](t, ctx, `document.querySelector('.sw-state[data-state=ProcessPayment]').className`); !strings.Contains(cls, "current") {
		t.Errorf("ProcessPayment class = %q; want it highlighted as current", cls)
	}
	if got := js[string](t, ctx, `document.querySelector('[data-testid=graph-current]')?.innerText ?? ''`); !strings.Contains(got, "ProcessPayment") {
		t.Errorf("current states = %q; want ProcessPayment", got)
	}
	if got := js[string](t, ctx, `document.querySelector('[data-testid=exec-waiting]')?.innerText ?? ''`); got != "waiting for callback" {
		t.Errorf("header status = %q; want waiting for callback", got)
	}
	token := js[string](t, ctx, `document.querySelector('[data-testid=callback-token]').innerText`)
	if id, ok := engine.ExecutionIDOfToken(token); !ok || id <= 0 {
		t.Errorf("shown token %q is not a task token", token)
	}
	for what, want := range map[string]string{"callback-waited": "since", "callback-timeout": "in 4m", "callback-heartbeat": "no HeartbeatSeconds"} {
		if got := js[string](t, ctx, `document.querySelector('[data-testid=`+what+`]').innerText`); !strings.Contains(got, want) {
			t.Errorf("%s = %q; want it to contain %q", what, got, want)
		}
	}
	screenshot(t, ctx, "execution-callback.png")

	// Bad JSON is refused before sending.
	do(t, ctx, selectAll(`[data-testid=callback-output]`), chromedp.SendKeys(chromedp.CSS(`[data-testid=callback-output]`), `{"paid": tru`))
	waitJS(t, ctx, "the JSON error", `!!document.querySelector('[data-testid=callback-output-error]') && document.querySelector('[data-testid=callback-send]').disabled`)

	// A heartbeat is accepted (the task stays open).
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=callback-mode-heartbeat]`)), chromedp.Click(chromedp.CSS(`[data-testid=callback-send]`)))
	waitJS(t, ctx, "the heartbeat sent", `document.querySelector('[data-testid=callback-sent]')?.innerText === 'Heartbeat sent.'`)

	// Success with an output: the execution finishes with it.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=callback-mode-success]`)),
		selectAll(`[data-testid=callback-output]`),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=callback-output]`), `{"paid": true, "ref": 12345678901234567890}`),
		chromedp.Click(chromedp.CSS(`[data-testid=callback-send]`)))
	waitJS(t, ctx, "SUCCEEDED", `document.querySelector('.header [data-status]')?.dataset.status === 'SUCCEEDED'`)
	if n := js[int](t, ctx, `document.querySelectorAll('[data-testid=callback]').length`); n != 0 {
		t.Errorf("%d waiting tasks shown after the execution ended; want 0", n)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`.sw-state[data-state=ProcessPayment]`)))
	waitJS(t, ctx, "ProcessPayment's output", `(document.querySelector('[data-testid=state-output]')?.innerText ?? '').includes('12345678901234567890')`)
	screenshot(t, ctx, "execution-succeeded.png")
	x, err := f.eng.DescribeExecution(bg, paid)
	if err != nil || x.Status != engine.StatusSucceeded || !strings.Contains(x.Output, `"payment":{"paid":true,"ref":12345678901234567890}`) {
		t.Errorf("after Send success: %v %v, output %s, %v; want SUCCEEDED with the payment", x.Status, x.Error, x.Output, err)
	}

	// Failure: the execution fails with the error and cause sent.
	do(t, ctx, chromedp.Navigate(f.url+"/executions/"+urlEscape(declined)))
	waitJS(t, ctx, "the waiting task", `!!document.querySelector('[data-testid=callback-token]')`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=callback-mode-failure]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=callback-error]`), "Payment.Declined"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=callback-cause]`), "card expired"),
		chromedp.Click(chromedp.CSS(`[data-testid=callback-send]`)))
	waitJS(t, ctx, "FAILED", `document.querySelector('.header [data-status]')?.dataset.status === 'FAILED'`)
	x, err = f.eng.DescribeExecution(bg, declined)
	if err != nil || x.Status != engine.StatusFailed || x.Error != "Payment.Declined" || x.Cause != "card expired" {
		t.Errorf("after Send failure: %v %q %q, %v; want FAILED Payment.Declined: card expired", x.Status, x.Error, x.Cause, err)
	}
}

// TestBrowserSmallScreens: the execution page at 1280×720 and on a 390 px
// wide phone: the page does not scroll sideways, the graph stays readable
// (it scrolls within its panel) and the event table is there.
func TestBrowserSmallScreens(t *testing.T) {
	f := newFixture(t)
	for _, size := range [][2]int{{1280, 720}, {390, 844}} {
		ctx := newBrowser(t, size[0], size[1])
		if size[0] < 500 { // a phone: its viewport, not a desktop window's minimum width
			do(t, ctx, chromedp.EmulateViewport(int64(size[0]), int64(size[1]), chromedp.EmulateMobile, chromedp.EmulateTouch))
		}
		do(t, ctx, chromedp.Navigate(f.url+"/executions/"+urlEscape(f.arns["gold-order"])))
		waitJS(t, ctx, "the graph", `document.querySelectorAll('.sw-node[data-status=succeeded]').length >= 5`)
		waitJS(t, ctx, "the event table", `document.querySelectorAll('[data-event-id]').length > 5`)
		g := js[graphFigures](t, ctx, measureGraph)
		wide := js[float64](t, ctx, `document.documentElement.scrollWidth - window.innerWidth`)
		t.Logf("%dx%d: zoom %.3f, smallest label %.1f px, graph panel %.0f×%.0f, page %.0f px wider than the window", size[0], size[1], g.Zoom, g.MinLabel, g.PanelW, g.PanelH, wide)
		if g.MinLabel < 12 {
			t.Errorf("%dx%d: smallest label %.2f px; want ≥ 12", size[0], size[1], g.MinLabel)
		}
		if wide > 1 {
			t.Errorf("%dx%d: the page is %.0f px wider than the window; want no sideways scrolling", size[0], size[1], wide)
		}
		screenshot(t, ctx, fmt.Sprintf("execution-%dx%d.png", size[0], size[1]))
	}
}

// TestBrowserDefinitionEditor: editing a definition on the machine page
// shows the server's diagnostics inline, with their location, as it is
// typed, and a graph of what is typed; a valid one saves as a new version.
func TestBrowserDefinitionEditor(t *testing.T) {
	f := newFixture(t)
	ctx := newBrowser(t, 1400, 900)
	do(t, ctx, chromedp.Navigate(f.url+"/state-machines/one"))
	waitJS(t, ctx, "the machine page", `!!document.querySelector('[data-testid=edit-open]')`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=edit-open]`)))
	waitJS(t, ctx, "the current definition checked", `!!document.querySelector('[data-testid=definition-valid]')`)

	typeDef := func(def string) {
		t.Helper()
		do(t, ctx, selectAll(`[data-testid=definition-text]`), chromedp.SendKeys(chromedp.CSS(`[data-testid=definition-text]`), def))
	}
	typeDef(`{"StartAt": "Only", "States": {"Only": {"Type": "Pass", "Next": "Nowhere"}}}`)
	waitJS(t, ctx, "the diagnostic", `(document.querySelector('[data-testid=diagnostics]')?.innerText ?? '').includes('/States/Only')`)
	if !js[bool](t, ctx, `document.querySelector('[data-testid=definition-save]').disabled`) {
		t.Error("Save is enabled for an invalid definition")
	}
	t.Logf("diagnostics shown: %q", js[string](t, ctx, `document.querySelector('[data-testid=diagnostics]').innerText`))

	typeDef(`{"StartAt": "Only", "States": {"Only": {"Type": "Pass", "Next": "Two"}, "Two": `)
	waitJS(t, ctx, "the JSON error", `(document.querySelector('[data-testid=definition-check]')?.innerText ?? '').startsWith('Invalid JSON')`)

	typeDef(`{"StartAt": "Only", "States": {"Only": {"Type": "Pass", "Next": "Two"}, "Two": {"Type": "Succeed"}}}`)
	waitJS(t, ctx, "valid again", `!!document.querySelector('[data-testid=definition-valid]')`)
	waitJS(t, ctx, "the preview graph", `!!document.querySelector('[data-testid=definition-editor] .sw-state[data-state=Two]')`)
	screenshot(t, ctx, "definition-editor.png")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=definition-save]`)))
	waitJS(t, ctx, "version 2", `document.querySelector('[data-testid=version-select]')?.value === '2' && !document.querySelector('[data-testid=definition-editor]')`)
	waitJS(t, ctx, "the new graph", `!!document.querySelector('.sw-state[data-state=Two]')`)
	m, err := f.eng.DescribeStateMachine(context.Background(), "one", 0)
	if err != nil || m.Version != 2 || !strings.Contains(m.Definition, `"Two"`) {
		t.Errorf("after Save: version %d, %q, %v; want version 2 with state Two", m.Version, m.Definition, err)
	}
}
