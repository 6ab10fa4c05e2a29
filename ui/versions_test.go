package ui_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserVersionsAliases: on a machine's page, two versions published
// from the Versions tab (the second after a new revision); an alias made
// in the Aliases tab, its weights refused until they sum to 100, then
// routing 80/20 and drawn so; each version showing the alias that routes
// to it; a version's graph; the Diff tab with a removed and an added line;
// the alias's weights edited.
func TestBrowserVersionsAliases(t *testing.T) {
	ctx0 := context.Background()
	eng, url := engineUI(t, nil)
	const def1 = `{"Comment": "one", "StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": true}}}`
	const def2 = `{"Comment": "two", "StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "ResultPath": "$.r", "End": true}}}`
	if _, err := eng.CreateStateMachine(ctx0, "orders", def1, ""); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t, 1400, 900)
	publish := func(description string, n int) {
		t.Helper()
		waitJS(t, ctx, "the Versions tab", `!!document.querySelector('[data-testid=publish-version]')`)
		do(t, ctx, setValue(`[data-testid=publish-description]`, description), chromedp.Click(chromedp.CSS(`[data-testid=publish-version]`)))
		waitJS(t, ctx, "the published version", `!!document.querySelector('[data-testid=version-`+strconv.Itoa(n)+`]')`)
	}
	do(t, ctx, chromedp.Navigate(url+"/state-machines/orders"))
	waitJS(t, ctx, "the machine page", `!!document.querySelector('[data-testid=tab-versions]')`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=tab-versions]`)))
	waitJS(t, ctx, "no versions yet", `(document.querySelector('[data-testid=versions-table]')?.innerText ?? '').includes('No published versions')`)
	publish("first cut", 1)

	if _, err := eng.UpdateStateMachine(ctx0, "orders", def2); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(url+"/state-machines/orders?tab=versions"))
	publish("with a result path", 2)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=version-2]').innerText`); !strings.Contains(got, "with a result path") || !strings.Contains(got, "v2") {
		t.Errorf("version 2's row = %q; want its description and revision v2", got)
	}

	// A new alias: 90 % in all is refused before anything is sent.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=tab-aliases]`)))
	waitJS(t, ctx, "the Aliases tab", `!!document.querySelector('[data-testid=alias-new]') && !document.querySelector('[data-testid=alias-new]').disabled`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=alias-new]`)))
	waitJS(t, ctx, "the alias form", `!!document.querySelector('[data-testid=alias-form] [data-testid=route-add]')`)
	do(t, ctx,
		setValue(`[data-testid=alias-name]`, "live"),
		setValue(`[data-testid=alias-description]`, "canary of 2"),
		setValue(`[data-testid=alias-route-0] [data-testid=route-version]`, "2"),
		chromedp.Click(chromedp.CSS(`[data-testid=route-add]`)),
	)
	waitJS(t, ctx, "the second route", `!!document.querySelector('[data-testid=alias-route-1]')`)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=alias-route-1] [data-testid=route-version]').value`); got != "1" {
		t.Errorf("second route's version = %q; want the other version, 1", got)
	}
	do(t, ctx,
		setValue(`[data-testid=alias-route-0] [data-testid=route-weight]`, "80"),
		setValue(`[data-testid=alias-route-1] [data-testid=route-weight]`, "10"),
	)
	waitJS(t, ctx, "the weights refused", `(document.querySelector('[data-testid=alias-problems]')?.innerText ?? '').includes('sum to 100 (now 90)') && document.querySelector('[data-testid=alias-save]').disabled`)
	screenshot(t, ctx, "machine-alias-form.png")
	do(t, ctx, setValue(`[data-testid=alias-route-1] [data-testid=route-weight]`, "20"))
	waitJS(t, ctx, "the weights accepted", `!document.querySelector('[data-testid=alias-problems]') && !document.querySelector('[data-testid=alias-save]').disabled`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=alias-save]`)))
	waitJS(t, ctx, "the alias listed", `!!document.querySelector('[data-testid=alias-live]') && !document.querySelector('[data-testid=alias-form]')`)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=alias-live] [data-testid=alias-routing]').innerText`); got != "v2 80% · v1 20%" {
		t.Errorf("alias routing = %q; want v2 80%% · v1 20%%", got)
	}
	if got := js[string](t, ctx, `[...document.querySelectorAll('[data-testid=alias-live] .routing-part')].map(p => p.style.width).join(' ')`); got != "80% 20%" {
		t.Errorf("routing bar = %q; want 80%% 20%%", got)
	}
	a, err := eng.DescribeStateMachineAlias(ctx0, "orders", "live")
	if err != nil || len(a.Routes) != 2 || a.Routes[0].Version != 2 || a.Routes[0].Weight != 80 || a.Description != "canary of 2" {
		t.Errorf("stored alias = %+v, %v; want 2 at 80, 1 at 20", a, err)
	}
	screenshot(t, ctx, "machine-aliases.png")

	// Each version names the alias routing to it.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=tab-versions]`)))
	waitJS(t, ctx, "the versions' aliases", `document.querySelector('[data-testid=version-2] [data-testid=version-aliases]')?.innerText === 'live (80%)'`)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=version-1] [data-testid=version-aliases]').innerText`); got != "live (20%)" {
		t.Errorf("version 1's aliases = %q; want live (20%%)", got)
	}
	if !js[bool](t, ctx, `document.querySelector('[data-testid=version-1] [data-testid=delete]').disabled`) {
		t.Error("version 1's Delete is enabled while an alias routes to it")
	}
	screenshot(t, ctx, "machine-versions.png")

	// Version 1's graph is revision 1's.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=version-1] [data-testid=version-graph]`)))
	waitJS(t, ctx, "revision 1's graph", `document.querySelector('[data-testid=version-select]')?.value === '1' && !!document.querySelector('.sw-state[data-state=P]')`)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=version-select] option[value="1"]').innerText`); !strings.Contains(got, "version 1") {
		t.Errorf("revision 1's option = %q; want it to name version 1", got)
	}

	// Version 1 against the latest revision.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=tab-versions]`)))
	waitJS(t, ctx, "the Versions tab again", `!!document.querySelector('[data-testid=version-1] [data-testid=version-diff]')`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=version-1] [data-testid=version-diff]`)))
	waitJS(t, ctx, "the diff", `document.querySelectorAll('[data-testid=diff] .diff-line').length > 0`)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=diff-from]').value + ' ' + document.querySelector('[data-testid=diff-to]').value`); got != "v1 latest" {
		t.Errorf("diff of %q; want v1 latest", got)
	}
	lines := js[[]string](t, ctx, `[...document.querySelectorAll('[data-testid=diff] .diff-add, [data-testid=diff] .diff-del')].map(l => l.dataset.op + l.querySelector('.diff-text').innerText.trim())`)
	for _, want := range []string{`-"Comment": "one",`, `+"Comment": "two",`, `+"ResultPath": "$.r",`} {
		if !contains(lines, want) {
			t.Errorf("diff lines %q; want %q", lines, want)
		}
	}
	if len(lines) != 3 {
		t.Errorf("diff lines %q; want 3 changed lines", lines)
	}
	if got := js[string](t, ctx, `getComputedStyle(document.querySelector('[data-testid=diff] .diff-add')).backgroundColor + ' ' + getComputedStyle(document.querySelector('[data-testid=diff] .diff-del')).backgroundColor`); got != "rgb(220, 252, 231) rgb(254, 226, 226)" {
		t.Errorf("added and removed lines' colours = %q; want green and red", got)
	}
	if got := js[string](t, ctx, `document.querySelector('[data-testid=diff-summary]').innerText`); got != "+2 −1 lines" {
		t.Errorf("diff summary = %q; want +2 −1 lines", got)
	}
	screenshot(t, ctx, "machine-diff.png")
	// The same version on both sides: nothing differs.
	do(t, ctx, setValue(`[data-testid=diff-to]`, "v1"))
	waitJS(t, ctx, "an empty diff", `document.querySelectorAll('[data-testid=diff] .diff-add, [data-testid=diff] .diff-del').length === 0`)

	// The alias's weights edited.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=tab-aliases]`)))
	waitJS(t, ctx, "the alias", `!!document.querySelector('[data-testid=alias-live] [data-testid=alias-edit]')`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=alias-live] [data-testid=alias-edit]`)))
	waitJS(t, ctx, "the edit form", `!!document.querySelector('[data-testid=alias-form] [data-testid=alias-route-1]')`)
	do(t, ctx,
		setValue(`[data-testid=alias-route-0] [data-testid=route-weight]`, "30"),
		setValue(`[data-testid=alias-route-1] [data-testid=route-weight]`, "70"),
		chromedp.Click(chromedp.CSS(`[data-testid=alias-save]`)),
	)
	waitJS(t, ctx, "the new weights", `document.querySelector('[data-testid=alias-live] [data-testid=alias-routing]')?.innerText === 'v2 30% · v1 70%'`)

	// Deleted: the alias, after it asks, then version 1, which no alias
	// routes to any more (before, its Delete is disabled).
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=alias-live] [data-testid=delete]`)))
	waitJS(t, ctx, "the question", `(document.querySelector('[data-testid=alias-live] [data-testid=delete-ask]')?.innerText ?? '').includes('Delete alias live?')`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=alias-live] [data-testid=delete-confirm]`)))
	waitJS(t, ctx, "the alias gone", `!document.querySelector('[data-testid=alias-live]') && (document.querySelector('[data-testid=aliases-table]')?.innerText ?? '').includes('No aliases')`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=tab-versions]`)))
	waitJS(t, ctx, "version 1's Delete enabled", `document.querySelector('[data-testid=version-1] [data-testid=delete]')?.disabled === false`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=version-1] [data-testid=delete]`)))
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=version-1] [data-testid=delete-confirm]`)))
	waitJS(t, ctx, "version 1 gone", `!document.querySelector('[data-testid=version-1]') && !!document.querySelector('[data-testid=version-2]')`)
	if _, _, err := eng.DescribeStateMachineVersion(ctx0, "orders", 1); err == nil {
		t.Error("version 1 is still stored")
	}
}
