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

// mapRunOf waits for execution arn to succeed and returns the ARN of its
// one Map Run.
func mapRunOf(t *testing.T, eng *engine.Engine, arn string) string {
	t.Helper()
	waitEnded(t, eng, arn, engine.StatusSucceeded)
	runs, _, err := eng.ListMapRuns(context.Background(), arn, 0, "")
	if err != nil || len(runs) != 1 {
		t.Fatalf("ListMapRuns = %v, %v; want one run", runs, err)
	}
	return runs[0].ARN
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
	run := mapRunOf(t, eng, x.ARN)

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
	if got := js[string](t, ctx, `document.querySelector('[data-testid=maprun-child-type]')?.innerText ?? 'missing'`); got != "STANDARD" {
		t.Errorf("children type = %q; want STANDARD", got)
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

// TestBrowserMapRunExpress: a distributed Map whose children are EXPRESS
// executions (testserver.MapRunASL with ExecutionType EXPRESS), one of three
// failing, tolerated. Its Map Run page says EXPRESS and lists the three
// without a link to an execution page (DescribeExecution refuses an express
// ARN); a child's row opens in place with its input and its error and cause,
// or its output, and the rows below move down. The executions list shows them
// the same way; an express ARN's address says it has no page.
func TestBrowserMapRunExpress(t *testing.T) {
	ctx0 := context.Background()
	eng, url := engineUI(t, nil)
	def := strings.Replace(testserver.MapRunASL, `{"Mode": "DISTRIBUTED"}`, `{"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}`, 1)
	if def == testserver.MapRunASL {
		t.Fatal("MapRunASL has no ProcessorConfig to make EXPRESS")
	}
	if _, err := eng.CreateStateMachine(ctx0, "quick", def, ""); err != nil {
		t.Fatal(err)
	}
	x, err := eng.StartExecution(ctx0, engine.StartExecutionInput{StateMachine: "quick", Name: "parent",
		Input: `[{"n": 1}, {"n": 2, "fail": true}, {"n": 3}]`})
	if err != nil {
		t.Fatal(err)
	}
	run := mapRunOf(t, eng, x.ARN)

	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(url+"/map-runs/"+urlEscape(run)))
	rows := `[...document.querySelectorAll('[data-testid=children] [data-child]')]`
	waitJS(t, ctx, "the three children", rows+`.length === 3 && `+rows+`.every(r => r.dataset.status)`)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=maprun-child-type]')?.innerText ?? 'missing'`); got != "EXPRESS" {
		t.Errorf("children type = %q; want EXPRESS", got)
	}
	if got := js[string](t, ctx, rows+`.map(r => r.dataset.status + (r.hasAttribute('data-express') ? ':express' : '')).join(' ')`); got != "FAILED:express SUCCEEDED:express SUCCEEDED:express" {
		t.Errorf("children = %q; want the FAILED one first, all express", got)
	}
	if got := js[int](t, ctx, `document.querySelectorAll('[data-testid=children] a').length`); got != 0 {
		t.Errorf("%d links in the express children's table; want none (they have no page)", got)
	}
	if got := js[string](t, ctx, `document.querySelector('[data-child] .child-toggle').title`); !strings.Contains(got, ":express:quick/Items:") {
		t.Errorf("the first child's ARN (its title) = %q; want an express ARN of quick/Items", got)
	}

	// The failed child, opened in place: its input, error and cause.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-child] .child-toggle').click()`))
	waitJS(t, ctx, "the failed child's error", `!!document.querySelector('[data-child] [data-testid=express-child-error]')`)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=express-child-error]').innerText`); !strings.Contains(got, "Item.Failed") || !strings.Contains(got, "this item fails") {
		t.Errorf("failed child's error = %q; want Item.Failed and its cause", got)
	}
	if got := js[string](t, ctx, `document.querySelector('[data-testid=express-child] .json-view[data-label=Input]').innerText`); !strings.Contains(got, `"fail"`) {
		t.Errorf("failed child's input = %q; want its item, with \"fail\"", got)
	}
	// The rows below it move down, past it.
	if got := js[bool](t, ctx, `(() => { const [a, b] = `+rows+`.map(r => r.getBoundingClientRect()); return a.height > 80 && b.top >= a.bottom - 1 })()`); !got {
		t.Errorf("the opened row is not taller than a row, or overlaps the next one")
	}

	// A succeeded child: its output.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](rows+`[1].querySelector('.child-toggle').click()`))
	waitJS(t, ctx, "the succeeded child's output", rows+`[1].querySelector('.json-view[data-label=Output]') !== null`)
	if got := js[string](t, ctx, rows+`[1].querySelector('.json-view[data-label=Output]').innerText`); !strings.Contains(got, `"n"`) {
		t.Errorf("succeeded child's output = %q; want its item", got)
	}
	screenshot(t, ctx, "maprun-express.png")
	// Closed again, a row is one line.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](rows+`.forEach(r => r.querySelector('.child-toggle[aria-expanded=true]')?.click())`))
	waitJS(t, ctx, "the rows closed", `!document.querySelector('[data-testid=express-child]') && `+rows+`.every(r => r.getBoundingClientRect().height < 40)`)

	// The parent's page counts them on its Map Run.
	do(t, ctx, chromedp.Navigate(url+"/executions/"+urlEscape(x.ARN)))
	waitJS(t, ctx, "the Map Run's count", `document.querySelector('[data-testid=child-mapruns] [data-testid=child-maprun-count]')?.innerText === '3'`)

	// The executions list has them too (with their parent): no link, and
	// they open in place.
	do(t, ctx, chromedp.Navigate(url+"/executions"))
	listed := `[...document.querySelectorAll('[data-testid=executions-table] tr[data-express]')]`
	waitJS(t, ctx, "the express children in the executions list", listed+`.length === 3 && !!document.querySelector('[data-execution=parent] a')`)
	if got := js[int](t, ctx, listed+`.filter(r => r.querySelector('td:first-child a')).length`); got != 0 {
		t.Errorf("%d express rows of the executions list link to a page; want none", got)
	}
	do(t, ctx, chromedp.Evaluate[chromedp.Void](listed+`.find(r => r.dataset.status === 'FAILED').querySelector('.child-toggle').click()`))
	waitJS(t, ctx, "the listed child's error", `(document.querySelector('[data-testid=executions-table] [data-testid=express-child-error]')?.innerText ?? '').includes('Item.Failed')`)

	// An express ARN's address: no page, and why.
	express, _, err := eng.ListExecutions(ctx0, engine.ListExecutionsInput{MapRun: run, MaxResults: 1})
	if err != nil || len(express) != 1 {
		t.Fatalf("ListExecutions(map run) = %v, %v; want a child", express, err)
	}
	do(t, ctx, chromedp.Navigate(url+"/executions/"+urlEscape(express[0].ARN)))
	waitJS(t, ctx, "the express execution's note", `!!document.querySelector('[data-testid=express-no-page]')`)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=express-no-page]').innerText`); !strings.Contains(got, express[0].ARN) || !strings.Contains(got, "Map Run") {
		t.Errorf("express page = %q; want its ARN and where it is listed", got)
	}
}
