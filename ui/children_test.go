package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// TestBrowserChildExecutions: a parent that started two nested executions
// (startExecution.sync:2 and startExecution) and a distributed Map. Its
// page lists the nested children with their status and links, and counts
// the Map's children with a link to its Map Run; the task events and the
// Task states' panels link to the child each started; a click leads to
// the child's page, whose Parent link leads back. A parent of 25 nested
// children shows 20, then all 25 after More.
func TestBrowserChildExecutions(t *testing.T) {
	ctx0 := context.Background()
	eng, url := engineUI(t, nil)
	kid, err := eng.CreateStateMachine(ctx0, "kid", testserver.KidASL, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.CreateStateMachine(ctx0, "nested", testserver.NestedASL(kid.ARN), ""); err != nil {
		t.Fatal(err)
	}
	x, err := eng.StartExecution(ctx0, engine.StartExecutionInput{StateMachine: "nested", Name: "p1", Input: `{"items": [1, 2, 3]}`})
	if err != nil {
		t.Fatal(err)
	}
	run := mapRunOf(t, eng, x.ARN)
	synced := strings.Replace(x.ARN, ":execution:nested:p1", ":execution:kid:p1-synced", 1)
	fired := strings.Replace(x.ARN, ":execution:nested:p1", ":execution:kid:p1-fired", 1)

	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(url+"/executions/"+urlEscape(x.ARN)))
	waitJS(t, ctx, "the child executions", `document.querySelectorAll('[data-testid=exec-children] [data-child-execution]').length === 2`)
	if got := js[string](t, ctx, `[...document.querySelectorAll('[data-child-execution]')].map(r => r.dataset.childExecution + ':' + r.dataset.status + ':' + r.querySelector('a').getAttribute('href')).join(' ')`); got != "p1-fired:SUCCEEDED:/executions/"+urlEscape(fired)+" p1-synced:SUCCEEDED:/executions/"+urlEscape(synced) {
		t.Errorf("child rows = %q; want p1-fired then p1-synced, SUCCEEDED, linked", got)
	}
	// The Map's children: a count and a link to its Map Run, not a row each.
	waitJS(t, ctx, "the Map Run's count", `document.querySelector('[data-testid=child-mapruns] [data-testid=child-maprun-count]')?.innerText === '3'`)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=child-mapruns] a').getAttribute('href')`); got != "/map-runs/"+urlEscape(run) {
		t.Errorf("Map Run link = %q; want /map-runs/%s", got, urlEscape(run))
	}
	if got := js[bool](t, ctx, `!!document.querySelector('[data-testid=child-executions-more]')`); got {
		t.Errorf("a More button with two children; want none")
	}
	screenshot(t, ctx, "children-parent.png")

	// The task events name their children: the first TaskSucceeded is
	// Synced's (.sync:2, the child's description), and so is the one
	// TaskSubmitted.
	waitJS(t, ctx, "the event table", `[...document.querySelectorAll('[data-event-id]')].some(r => r.querySelector('.c-type').innerText === 'TaskSucceeded')`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('[data-event-id]')].find(r => r.querySelector('.c-type').innerText === 'TaskSucceeded').click()`))
	waitJS(t, ctx, "the event's child link", `!!document.querySelector('[data-testid=event-child]')`)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=event-child]').getAttribute('href')`); got != "/executions/"+urlEscape(synced) {
		t.Errorf("event child link = %q; want /executions/%s", got, urlEscape(synced))
	}
	// And its TaskSubmitted event, recorded once the child started.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('[data-event-id]')].find(r => r.querySelector('.c-type').innerText === 'TaskSubmitted').click()`))
	waitJS(t, ctx, "TaskSubmitted's child link", `(document.querySelector('.event-details strong')?.innerText ?? '').includes('TaskSubmitted') && !!document.querySelector('[data-testid=event-child]')`)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=event-child]').getAttribute('href')`); got != "/executions/"+urlEscape(synced) {
		t.Errorf("TaskSubmitted's child link = %q; want /executions/%s", got, urlEscape(synced))
	}
	// The Fired state's panel (plain startExecution: the child's ARN).
	waitJS(t, ctx, "the graph", `!!document.querySelector('.sw-state[data-state=Fired]')`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('.sw-state[data-state=Fired]').click()`))
	waitJS(t, ctx, "the state's child link", `!!document.querySelector('[data-testid=state-child]')`)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=state-child]').getAttribute('href')`); got != "/executions/"+urlEscape(fired) {
		t.Errorf("Fired's child link = %q; want /executions/%s", got, urlEscape(fired))
	}

	// Through to the child, and back to the parent.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-child-execution=p1-synced] a`)))
	waitJS(t, ctx, "the child's page", `document.querySelector('[data-testid=exec-name]')?.innerText === 'p1-synced' && !!document.querySelector('[data-testid=exec-parent]')`)
	if got := js[string](t, ctx, `location.pathname`); got != "/executions/"+urlEscape(synced) {
		t.Errorf("child page path = %q; want /executions/%s", got, urlEscape(synced))
	}
	if got := js[bool](t, ctx, `!!document.querySelector('[data-testid=exec-children]')`); got {
		t.Errorf("the child's page shows a Child executions section; it has none")
	}
	screenshot(t, ctx, "children-child.png")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=exec-parent]`)))
	waitJS(t, ctx, "the parent's page again", `document.querySelector('[data-testid=exec-name]')?.innerText === 'p1' && document.querySelectorAll('[data-child-execution]').length === 2`)
	// And from the state panel's link.
	waitJS(t, ctx, "the graph again", `!!document.querySelector('.sw-state[data-state=Fired]')`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('.sw-state[data-state=Fired]').click()`))
	waitJS(t, ctx, "the state's child link again", `!!document.querySelector('[data-testid=state-child]')`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=state-child]`)))
	waitJS(t, ctx, "the fired child's page", `document.querySelector('[data-testid=exec-name]')?.innerText === 'p1-fired'`)

	// 25 nested children (an inline Map's Tasks start one each): the
	// section shows 20, and More the other 5.
	items := strings.TrimSuffix(strings.Repeat("0,", 25), ",")
	if _, err := eng.CreateStateMachine(ctx0, "many", `{"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.items", "End": true,
	  "ItemProcessor": {"StartAt": "Fire", "States": {"Fire": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
	    "Parameters": {"StateMachineArn": "`+kid.ARN+`", "Input": {}}, "End": true}}}}}}`, ""); err != nil {
		t.Fatal(err)
	}
	many, err := eng.StartExecution(ctx0, engine.StartExecutionInput{StateMachine: "many", Name: "many", Input: `{"items": [` + items + `]}`})
	if err != nil {
		t.Fatal(err)
	}
	waitEnded(t, eng, many.ARN, engine.StatusSucceeded)
	do(t, ctx, chromedp.Navigate(url+"/executions/"+urlEscape(many.ARN)))
	waitJS(t, ctx, "a page of 20 children and More", `document.querySelectorAll('[data-child-execution]').length === 20 && !!document.querySelector('[data-testid=child-executions-more]')`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=child-executions-more]`)))
	waitJS(t, ctx, "all 25 children", `document.querySelectorAll('[data-child-execution]').length === 25 && !document.querySelector('[data-testid=child-executions-more]')`)
	if got := js[int](t, ctx, `new Set([...document.querySelectorAll('[data-child-execution]')].map(r => r.dataset.childExecution)).size`); got != 25 {
		t.Errorf("distinct children listed = %d; want 25", got)
	}
	if got := js[bool](t, ctx, `!!document.querySelector('[data-testid=child-mapruns]')`); got {
		t.Errorf("an inline Map's parent shows Map Runs; it has none")
	}
}
