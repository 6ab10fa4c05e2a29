package ui_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stepwise-dev/stepwise/engine"
)

// tenKASL is a distributed Map over its input array of numbers: each item
// a child execution of one Pass state, a thousand at a time, except that
// items 0 and 1 fail (tolerated). They are the oldest children, the last
// that the API lists (newest first).
const tenKASL = `{"StartAt": "Spread", "States": {"Spread": {"Type": "Map", "Label": "Ten", "MaxConcurrency": 1000,
  "ToleratedFailureCount": 2, "End": true, "ResultSelector": {"done.$": "States.ArrayLength($)"},
  "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Check", "States": {
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericLessThan": 2, "Next": "Boom"}], "Default": "Touch"},
    "Boom": {"Type": "Fail", "Error": "Item.Failed", "Cause": "an early item fails"},
    "Touch": {"Type": "Pass", "End": true}}}}}}`

// TestBrowserMapRun10k: issue 15's "a 10,000-iteration Map page staying
// under 100 rows in the DOM", for a distributed Map. Its Map Run page
// counts its 10,000 children from DescribeMapRun, keeps fewer than 100
// child rows in the DOM, lists the two failed children first (though the
// API lists them last), pages through the children as the table is
// scrolled to its end, and filters by status.
func TestBrowserMapRun10k(t *testing.T) {
	const n = 10000
	begin := time.Now()
	ctx0 := context.Background()
	eng, url := engineUI(t, nil)
	if _, err := eng.CreateStateMachine(ctx0, "tenk", tenKASL, ""); err != nil {
		t.Fatal(err)
	}
	items := make([]string, n)
	for i := range items {
		items[i] = strconv.Itoa(i)
	}
	x, err := eng.StartExecution(ctx0, engine.StartExecutionInput{StateMachine: "tenk", Name: "tenk", Input: "[" + strings.Join(items, ",") + "]"})
	if err != nil {
		t.Fatal(err)
	}
	var run string
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		d, err := eng.DescribeExecution(ctx0, x.ARN)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == engine.StatusSucceeded {
			break
		}
		if d.Status != engine.StatusRunning || time.Now().After(deadline) {
			t.Fatalf("execution = %s %s after %v; want SUCCEEDED", d.Status, d.Cause, time.Since(begin))
		}
	}
	ran := time.Since(begin)
	t.Logf("%d children ran in %v", n, ran.Round(time.Millisecond))
	runs, _, err := eng.ListMapRuns(ctx0, x.ARN, 0, "")
	if err != nil || len(runs) != 1 {
		t.Fatalf("ListMapRuns = %v, %v; want one run", runs, err)
	}
	run = runs[0].ARN

	ctx := newBrowser(t)
	start := time.Now()
	do(t, ctx, chromedp.Navigate(url+"/map-runs/"+urlEscape(run)))
	waitJS(t, ctx, "the counts and the first children", `!!document.querySelector('[data-counts=executions]') && !!document.querySelector('[data-child]:not([data-child=""])')`)
	firstRender := time.Since(start)
	for k, want := range map[string]string{"succeeded": "9998", "failed": "2", "running": "0", "pending": "0", "total": "10000"} {
		got := js[string](t, ctx, `document.querySelector('[data-counts=executions] [data-count=`+q(k)+`]')?.innerText ?? 'missing'`)
		if got != want {
			t.Errorf("executions count %s = %q; want %s", k, got, want)
		}
	}
	rowsJS := `document.querySelectorAll('[data-child]').length`
	rows := js[int](t, ctx, rowsJS)
	if rows == 0 || rows >= 100 {
		t.Errorf("%d child rows in the DOM; want a virtualised table (1–99)", rows)
	}
	if got := js[string](t, ctx, `document.querySelector('[data-testid=child-count]').innerText`); !strings.HasPrefix(got, "10000 ") {
		t.Errorf("child count = %q; want 10000 children", got)
	}
	page := js[float64](t, ctx, `document.documentElement.scrollHeight`)
	wh := js[float64](t, ctx, `window.innerHeight`)
	if page > 2.5*wh {
		t.Errorf("page %.0f px high in a %.0f px window; want it bounded", page, wh)
	}
	waitJS(t, ctx, "the rows in view loaded", `!document.querySelector('[data-child=""]')`)
	if got := js[string](t, ctx, `[...document.querySelectorAll('[data-child]')].slice(0, 3).map(r => r.dataset.status).join(' ')`); got != "FAILED FAILED SUCCEEDED" {
		t.Errorf("first children = %q; want the two failed ones first", got)
	}
	screenshot(t, ctx, "maprun-10k.png")

	// Scrolled to the end: the last children, fetched page by page.
	namesJS := `[...document.querySelectorAll('[data-child]')].map(r => r.dataset.child).join(',')`
	top := js[string](t, ctx, namesJS)
	scrolled := time.Now()
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('[data-testid=child-scroll]'); s.scrollTop = s.scrollHeight })()`))
	waitJS(t, ctx, "the last child row", `(() => {
	  const s = document.querySelector('[data-testid=child-scroll]')
	  const rows = [...document.querySelectorAll('[data-child]')]
	  return rows.some(r => r.dataset.index === '9999' && r.dataset.child !== '') && s.scrollTop + s.clientHeight >= s.scrollHeight - 2
	})()`)
	toEnd := time.Since(scrolled)
	bottom := js[string](t, ctx, namesJS)
	if bottom == top {
		t.Errorf("the rows did not change when scrolled to the end: %s", bottom)
	}
	if r := js[int](t, ctx, rowsJS); r == 0 || r >= 100 {
		t.Errorf("%d child rows in the DOM at the end; want 1–99", r)
	}
	// Every child row at the end is a loaded child, none a placeholder.
	if got := js[int](t, ctx, `document.querySelectorAll('[data-child=""]').length`); got != 0 {
		t.Errorf("%d placeholder rows at the end; want the children", got)
	}

	// The status filter asks the server: the two failed children, then
	// the succeeded ones, then none timed out.
	do(t, ctx, setValue(`[data-testid=child-status]`, "FAILED"))
	waitJS(t, ctx, "the failed children", `document.querySelectorAll('[data-child]:not([data-child=""])').length === 2 && [...document.querySelectorAll('[data-child]')].every(r => r.dataset.status === 'FAILED')`)
	do(t, ctx, setValue(`[data-testid=child-status]`, "SUCCEEDED"))
	waitJS(t, ctx, "the succeeded children", `(document.querySelector('[data-testid=child-count]')?.innerText ?? '').startsWith('9998 ') && document.querySelectorAll('[data-child]').length > 0 && [...document.querySelectorAll('[data-child]')].every(r => r.dataset.status === 'SUCCEEDED')`)
	do(t, ctx, setValue(`[data-testid=child-status]`, "TIMED_OUT"))
	waitJS(t, ctx, "no timed-out child", `document.querySelectorAll('[data-child]').length === 0 && (document.querySelector('[data-testid=children]')?.innerText ?? '').includes('No child execution with this status')`)
	rows = max(rows, js[int](t, ctx, rowsJS))
	t.Logf("Map Run page: first render %v, scrolled to the last child in %v; at most %d child rows in the DOM; test wall time %v",
		firstRender.Round(time.Millisecond), toEnd.Round(time.Millisecond), rows, time.Since(begin).Round(time.Millisecond))
}
