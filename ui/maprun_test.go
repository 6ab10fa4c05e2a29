package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// setValue sets a <select>'s or an <input>'s value as a user does: with
// the native setter (React watches it), then the event React listens to.
func setValue(css, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => {
	  const el = document.querySelector(` + q(css) + `)
	  Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value').set.call(el, ` + q(value) + `)
	  el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', {bubbles: true}))
	})()`)
}

// TestBrowserMapRun: a distributed Map with a failing child. The parent's
// page links to its Map Run; the Map Run page shows its settings, counts,
// progress bar and children, failures first and filterable; a child's
// page links back to its Map Run and its parent. A running Map Run is
// updated from its page.
func TestBrowserMapRun(t *testing.T) {
	ctx0 := context.Background()
	eng, url := engineUI(t, nil)
	for name, def := range map[string]string{"fanout": testserver.MapRunASL, "slow": testserver.SlowMapRunASL} {
		if _, err := eng.CreateStateMachine(ctx0, name, def, ""); err != nil {
			t.Fatal(err)
		}
	}
	x, err := eng.StartExecution(ctx0, engine.StartExecutionInput{StateMachine: "fanout", Name: "parent",
		Input: `[{"n": 1}, {"n": 2, "fail": true}, {"n": 3}, {"n": 4}]`})
	if err != nil {
		t.Fatal(err)
	}
	waitEnded(t, eng, x.ARN, engine.StatusSucceeded)
	runs, _, err := eng.ListMapRuns(ctx0, x.ARN, 0, "")
	if err != nil || len(runs) != 1 {
		t.Fatalf("ListMapRuns = %v, %v; want one run", runs, err)
	}
	run := runs[0].ARN

	ctx := newBrowser(t)
	// The parent's page: its Map Run, in the facts and from the Map state.
	do(t, ctx, chromedp.Navigate(url+"/executions/"+urlEscape(x.ARN)))
	waitJS(t, ctx, "the parent's Map Run link", `!!document.querySelector('[data-testid=exec-mapruns] a[data-maprun="Fan out"]')`)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=exec-mapruns] a').getAttribute('href')`); got != "/map-runs/"+urlEscape(run) {
		t.Errorf("Map Run link = %q; want /map-runs/%s", got, urlEscape(run))
	}
	waitJS(t, ctx, "the graph", `!!document.querySelector('.sw-group[data-state="Fan out"] .sw-group-head')`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('.sw-group[data-state="Fan out"] .sw-group-head').click()`))
	waitJS(t, ctx, "the Map state's Map Run link", `!!document.querySelector('[data-testid=state-maprun]')`)
	screenshot(t, ctx, "maprun-parent.png")

	// The Map Run page.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=state-maprun]`)))
	// Four rows, each with its child: a row is there (a placeholder) before
	// its page of children comes.
	waitJS(t, ctx, "the Map Run page", `!!document.querySelector('[data-testid=maprun-counts]') && document.querySelectorAll('[data-child]').length === 4 && [...document.querySelectorAll('[data-child]')].every(r => r.dataset.status)`)
	if got := js[string](t, ctx, `location.pathname`); got != "/map-runs/"+urlEscape(run) {
		t.Errorf("Map Run page path = %q", got)
	}
	if got := js[string](t, ctx, `document.querySelector('.maprun-page .header [data-status]').dataset.status`); got != "SUCCEEDED" {
		t.Errorf("Map Run status = %q; want SUCCEEDED", got)
	}
	if got := js[string](t, ctx, `document.querySelector('[data-testid=maprun-label]').innerText`); got != "Map Run Items" {
		t.Errorf("label = %q", got)
	}
	if got := js[string](t, ctx, `document.querySelector('[data-testid=maprun-tolerance]').innerText`); got != "0% · 1" {
		t.Errorf("tolerance = %q; want 0%% · 1", got)
	}
	if got := js[string](t, ctx, `document.querySelector('[data-testid=maprun-concurrency]').innerText`); got == "" {
		t.Errorf("max concurrency is empty")
	}
	for kind, want := range map[string]map[string]string{
		"executions": {"succeeded": "3", "failed": "1", "timedOut": "0", "aborted": "0", "running": "0", "pending": "0", "total": "4"},
		"items":      {"succeeded": "3", "failed": "1", "total": "4"},
	} {
		for k, n := range want {
			got := js[string](t, ctx, `document.querySelector('[data-counts=`+q(kind)+`] [data-count=`+q(k)+`]')?.innerText ?? 'missing'`)
			if got != n {
				t.Errorf("%s count %s = %q; want %s", kind, k, got, n)
			}
		}
	}
	if got := js[string](t, ctx, `[...document.querySelectorAll('[data-testid=maprun-progress] .seg')].map(s => s.className.replace('seg seg-', '') + ':' + s.style.width).join(' ')`); got != "succeeded:75% failed:25%" {
		t.Errorf("progress bar = %q; want succeeded:75%% failed:25%%", got)
	}
	// Failures first; the status filter asks the server.
	if got := js[string](t, ctx, `document.querySelector('[data-child]').dataset.status`); got != "FAILED" {
		t.Errorf("first child = %q; want the FAILED one first", got)
	}
	do(t, ctx, setValue(`[data-testid=child-status]`, "SUCCEEDED"))
	waitJS(t, ctx, "the succeeded children", `document.querySelectorAll('[data-child]').length === 3 && [...document.querySelectorAll('[data-child]')].every(r => r.dataset.status === 'SUCCEEDED')`)
	do(t, ctx, setValue(`[data-testid=child-status]`, "FAILED"))
	waitJS(t, ctx, "the failed child", `document.querySelectorAll('[data-child]').length === 1 && document.querySelector('[data-child]').dataset.status === 'FAILED'`)
	screenshot(t, ctx, "maprun-page.png")

	// The failed child's page links back.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-child] a`)))
	waitJS(t, ctx, "the child's page", `!!document.querySelector('[data-testid=exec-maprun]') && !!document.querySelector('[data-testid=exec-error]')`)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=exec-error]').innerText`); !strings.Contains(got, "Item.Failed") {
		t.Errorf("child error = %q; want Item.Failed", got)
	}
	if got := js[string](t, ctx, `document.querySelector('[data-testid=exec-parent]').getAttribute('href')`); got != "/executions/"+urlEscape(x.ARN) {
		t.Errorf("child's parent link = %q; want /executions/%s", got, urlEscape(x.ARN))
	}
	if got := js[string](t, ctx, `document.querySelector('.facts a[href^="/state-machines/"]').getAttribute('href')`); got != "/state-machines/fanout" {
		t.Errorf("child's machine link = %q; want the parent's machine, /state-machines/fanout", got)
	}
	// Its graph is the Map's processor, from the parent's definition.
	waitJS(t, ctx, "the child's graph", `[...document.querySelectorAll('.sw-node')].some(n => n.dataset.state === 'Boom' && n.dataset.status === 'failed')`)
	screenshot(t, ctx, "maprun-child.png")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=exec-maprun]`)))
	waitJS(t, ctx, "the Map Run page again", `document.querySelectorAll('[data-child]').length === 4`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=maprun-parent]`)))
	waitJS(t, ctx, "the parent's page again", `document.querySelector('[data-testid=exec-name]')?.innerText === 'parent'`)

	// A running Map Run (one child at a time, each waiting an hour),
	// updated from its page: a bad value is refused naming its field, then
	// a second child starts.
	slow, err := eng.StartExecution(ctx0, engine.StartExecutionInput{StateMachine: "slow", Name: "slow", Input: `[1, 2, 3]`})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = eng.StopExecution(context.Background(), slow.ARN, "", "") })
	do(t, ctx, chromedp.Navigate(url+"/executions/"+urlEscape(slow.ARN)))
	waitJS(t, ctx, "the running Map Run's link", `!!document.querySelector('[data-testid=exec-mapruns] a')`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=exec-mapruns] a`)))
	count := func(k string) string {
		return `(document.querySelector('[data-counts=executions] [data-count=` + k + `]')?.innerText ?? '')`
	}
	waitJS(t, ctx, "one child running", count("running")+` === '1' && `+count("pending")+` === '2'`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=maprun-edit]`)))
	waitJS(t, ctx, "the update form", `!!document.querySelector('[data-testid=maprun-update]')`)
	do(t, ctx, setValue(`[data-testid=maprun-set-pct]`, "150"), chromedp.Click(chromedp.CSS(`[data-testid=maprun-save]`)))
	waitJS(t, ctx, "the refusal", `(document.querySelector('[data-testid=maprun-update] [role=alert]')?.innerText ?? '').includes('tolerated_failure_percentage')`)
	do(t, ctx, setValue(`[data-testid=maprun-set-pct]`, "0"), setValue(`[data-testid=maprun-set-concurrency]`, "2"),
		chromedp.Click(chromedp.CSS(`[data-testid=maprun-save]`)))
	waitJS(t, ctx, "the new concurrency", `document.querySelector('[data-testid=maprun-concurrency]')?.innerText === '2' && !document.querySelector('[data-testid=maprun-update]')`)
	waitJS(t, ctx, "two children running", count("running")+` === '2' && `+count("pending")+` === '1' && document.querySelectorAll('[data-child]').length === 2`)
	screenshot(t, ctx, "maprun-running.png")
}
