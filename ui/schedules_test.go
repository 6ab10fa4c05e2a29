package ui_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/api/scheduler"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
	"github.com/stepwise-dev/stepwise/schedule"
	"github.com/stepwise-dev/stepwise/ui"
)

// TestBrowserSchedules opens the schedules page of a server whose
// rate(1 second) schedule has fired, then the schedule's page: its
// fields, its next 5 ticks and its latest fired ticks, each linking to
// the execution it started.
func TestBrowserSchedules(t *testing.T) {
	ctx := context.Background()
	st, _ := pgtest.Store(t)
	eng, err := engine.New(engine.Config{Store: st, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	sched := scheduler.New(scheduler.Config{Store: st, Engine: eng, PollInterval: 50 * time.Millisecond})
	srv, err := api.New(api.Config{Engine: eng, UI: ui.Handler(), Schedules: sched})
	if err != nil {
		t.Fatal(err)
	}
	h, err := srv.HTTPHandler(runCtx)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	done := make(chan struct{}, 2)
	go func() { _ = eng.Run(runCtx); done <- struct{}{} }()
	go func() { _ = sched.Run(runCtx); done <- struct{}{} }()
	t.Cleanup(func() { hs.Close(); cancel(); <-done; <-done })

	m, err := eng.CreateStateMachine(ctx, "nightly-report", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, "")
	if err != nil {
		t.Fatal(err)
	}
	svc := sched.Service()
	if _, err := svc.Create(ctx, schedule.Schedule{Name: "every-second", Expression: "rate(1 second)", Target: schedule.Target{Arn: m.ARN}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, schedule.Schedule{Name: "noon-" + xss, Group: "default", Expression: "cron(0 12 * * ? *)",
		Timezone: "Europe/Paris", State: schedule.Disabled, Target: schedule.Target{Arn: m.ARN}}); err == nil {
		t.Fatal("a schedule name with HTML was accepted") // names are [0-9a-zA-Z-_.]
	}
	if _, err := svc.Create(ctx, schedule.Schedule{Name: "noon", Description: xss, Expression: "cron(0 12 * * ? *)",
		Timezone: "Europe/Paris", State: schedule.Disabled, Target: schedule.Target{Arn: m.ARN}}); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	do(t, b, chromedp.Navigate(hs.URL+"/scheduler"),
		chromedp.Evaluate[chromedp.Void](`window.__alerts = 0; window.alert = () => { window.__alerts++ }`))
	waitJS(t, b, "the schedules list", `document.querySelectorAll('[data-testid=schedules] tbody tr').length === 2`)
	rows := js[[]string](t, b, `[...document.querySelectorAll('[data-testid=schedules] tbody tr')].map(r => r.innerText.replace(/\s+/g, ' ').trim())`)
	if !strings.Contains(rows[0], "every-second default rate(1 second) ENABLED nightly-report") ||
		!strings.Contains(rows[1], "noon default cron(0 12 * * ? *) DISABLED nightly-report") {
		t.Errorf("schedule rows = %q; want every-second (ENABLED) and noon (DISABLED), both of nightly-report", rows)
	}
	screenshot(t, b, "schedules-list.png")

	// The schedule's page, once a tick fired.
	do(t, b, chromedp.Click(chromedp.CSS(`[data-testid=schedules] a[href="/scheduler/default/every-second"]`)))
	waitJS(t, b, "the schedule page", `document.querySelector('.schedule-name')?.innerText === 'every-second'`)
	waitJS(t, b, "a fired tick (the page reloads every 5 s)", `!!document.querySelector('[data-testid=recent-ticks] a[href^="/executions/"]')`)
	if n := js[int](t, b, `document.querySelectorAll('[data-testid=next-ticks] li').length`); n != 5 {
		t.Errorf("next ticks shown = %d; want 5", n)
	}
	fields := js[string](t, b, `document.querySelector('[data-testid=schedule-fields]').innerText`)
	for _, want := range []string{"rate(1 second)", "UTC", m.ARN, "ONE"} {
		if !strings.Contains(fields, want) {
			t.Errorf("schedule fields %q lack %q", fields, want)
		}
	}
	screenshot(t, b, "schedule-page.png")
	href := js[string](t, b, `document.querySelector('[data-testid=recent-ticks] a[href^="/executions/"]').getAttribute('href')`)
	if !strings.Contains(href, "nightly-report") {
		t.Errorf("the fired tick links to %q; want an execution of nightly-report", href)
	}

	// A disabled schedule has no next ticks; its description is text.
	do(t, b, chromedp.Navigate(hs.URL+"/scheduler/default/noon"),
		chromedp.Evaluate[chromedp.Void](`window.__alerts = 0; window.alert = () => { window.__alerts++ }`))
	waitJS(t, b, "the disabled schedule's page", `document.querySelector('.schedule-name')?.innerText === 'noon'`)
	if got := js[string](t, b, `document.querySelector('.page').innerText`); !strings.Contains(got, "None: the schedule is disabled.") ||
		!strings.Contains(got, xss) || !strings.Contains(got, "Europe/Paris") {
		t.Errorf("the disabled schedule's page = %q; want no next ticks, the description as text, the time zone", got)
	}
	if n := js[int](t, b, `window.__alerts`); n != 0 {
		t.Errorf("alert() ran %d times: HTML was injected", n)
	}
}
