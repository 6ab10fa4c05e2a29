package ui_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
)

// failOnce answers every task in a goroutine, failing the first task of
// each execution (Flaky.Down) and succeeding the others: an execution
// fails, and succeeds once redriven.
type failOnce struct {
	eng  *engine.Engine
	mu   sync.Mutex
	seen map[int64]bool
	wg   sync.WaitGroup
}

func (f *failOnce) Dispatch(_ context.Context, task engine.Task) (held bool, err error) {
	f.mu.Lock()
	first := !f.seen[task.ExecutionID]
	f.seen[task.ExecutionID] = true
	f.mu.Unlock()
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		ctx := context.Background()
		if first {
			_ = f.eng.SendTaskFailure(ctx, task.Token, "Flaky.Down", "the payment service is down")
			return
		}
		_ = f.eng.SendTaskSuccess(ctx, task.Token, `{"charged":true}`)
	}()
	return false, nil
}

const chargeASL = `{"StartAt": "Prepare", "States": {
  "Prepare": {"Type": "Pass", "Next": "Charge"},
  "Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:charge", "ResultPath": "$.charge", "Next": "Done"},
  "Done": {"Type": "Succeed"}}}`

// engineUI is an engine on a fresh Postgres schema, running, with the
// REST gateway and the UI served at the URL returned; d gets its tasks.
func engineUI(t *testing.T, d engine.Dispatcher) (*engine.Engine, string) {
	t.Helper()
	st, _ := pgtest.Store(t)
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: d, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return eng, serveUI(t, eng, "")
}

// waitEnded waits up to 30 s for an execution to end with status want.
func waitEnded(t *testing.T, eng *engine.Engine, arn, want string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		d, err := eng.DescribeExecution(context.Background(), arn)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == want {
			return
		}
		if d.Status != engine.StatusRunning || time.Now().After(deadline) {
			t.Fatalf("execution %s = %s %s; want %s", arn, d.Status, d.Cause, want)
		}
	}
}

// TestBrowserRedrive: an execution whose Task fails the first time shows
// FAILED with a Redrive button; Redrive runs it again from Charge, the
// page follows it to SUCCEEDED and shows one redrive.
func TestBrowserRedrive(t *testing.T) {
	ctx0 := context.Background()
	w := &failOnce{seen: map[int64]bool{}}
	eng, url := engineUI(t, w)
	w.eng = eng
	t.Cleanup(w.wg.Wait)
	if _, err := eng.CreateStateMachine(ctx0, "charge", chargeASL, ""); err != nil {
		t.Fatal(err)
	}
	x, err := eng.StartExecution(ctx0, engine.StartExecutionInput{StateMachine: "charge", Name: "order-7", Input: `{"order":7}`})
	if err != nil {
		t.Fatal(err)
	}
	waitEnded(t, eng, x.ARN, engine.StatusFailed)

	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(url+"/executions/"+urlEscape(x.ARN)))
	waitJS(t, ctx, "FAILED with a Redrive button", `document.querySelector('.header [data-status]')?.dataset.status === 'FAILED' && !!document.querySelector('[data-testid=redrive]')`)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=exec-error]')?.innerText ?? ''`); !strings.Contains(got, "Flaky.Down") {
		t.Errorf("the failure shown = %q; want Flaky.Down", got)
	}
	if js[bool](t, ctx, `!!document.querySelector('[data-testid=exec-redrives]')`) {
		t.Errorf("a redrive count is shown before any redrive")
	}
	waitJS(t, ctx, "Charge failed in the graph", `[...document.querySelectorAll('.sw-node')].find(n => n.dataset.state === 'Charge')?.dataset.status === 'failed'`)
	screenshot(t, ctx, "execution-redrivable.png")

	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=redrive]`)))
	waitJS(t, ctx, "SUCCEEDED after the redrive", `document.querySelector('.header [data-status]')?.dataset.status === 'SUCCEEDED'`)
	waitJS(t, ctx, "the redrive count", `(document.querySelector('[data-testid=exec-redrives]')?.innerText ?? '').startsWith('1 ')`)
	waitJS(t, ctx, "the ExecutionRedriven event", `[...document.querySelectorAll('[data-event-id]')].some(e => e.innerText.includes('ExecutionRedriven'))`)
	if js[bool](t, ctx, `!!document.querySelector('[data-testid=redrive]')`) {
		t.Errorf("the Redrive button is still shown for a SUCCEEDED execution")
	}
	// Charge failed, and succeeded when the redrive entered it again: a retry.
	for state, want := range map[string]string{"Prepare": "succeeded", "Charge": "retried", "Done": "succeeded"} {
		if got := js[string](t, ctx, `[...document.querySelectorAll('.sw-node')].find(n => n.dataset.state === `+q(state)+`)?.dataset.status ?? 'missing'`); got != want {
			t.Errorf("graph status of %s = %q; want %q", state, got, want)
		}
	}
	screenshot(t, ctx, "execution-redriven.png")
	d, err := eng.DescribeExecution(ctx0, x.ARN)
	if err != nil || d.Status != engine.StatusSucceeded || d.RedriveCount != 1 {
		t.Fatalf("after Redrive: %v (redrives %d), %v; want SUCCEEDED, 1", d.Status, d.RedriveCount, err)
	}
}

const greetASL = `{"StartAt": "Check", "States": {
  "Check": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "IsPresent": true, "Next": "Refuse"}], "Default": "Greet"},
  "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('Hello, {}!', $.who)"}, "End": true},
  "Refuse": {"Type": "Fail", "Error": "Greeting.Refused", "Cause": "asked to fail"}}}`

// TestBrowserExpress: an EXPRESS machine's page says so, lists no
// executions but names its log group, and runs one with Start (sync),
// showing its output, or its error.
func TestBrowserExpress(t *testing.T) {
	ctx0 := context.Background()
	eng, url := engineUI(t, nil)
	const group = "arn:aws:logs:us-east-1:111111111111:log-group:/aws/vendedlogs/states/greet:*"
	if _, err := eng.CreateStateMachineWith(ctx0, engine.StateMachine{Name: "greet", Definition: greetASL, Type: engine.TypeExpress,
		Logging: &engine.Logging{Level: engine.LogAll, LogGroupARN: group}}); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.CreateStateMachine(ctx0, "plain", greetASL, ""); err != nil {
		t.Fatal(err)
	}

	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(url+"/state-machines"))
	waitJS(t, ctx, "the machines list with types", `document.body.innerText.includes('EXPRESS') && document.body.innerText.includes('STANDARD')`)

	do(t, ctx, chromedp.Navigate(url+"/state-machines/greet"))
	waitJS(t, ctx, "the EXPRESS machine page", `document.querySelector('[data-testid=machine-type]')?.innerText === 'EXPRESS'`)
	note := js[string](t, ctx, `document.querySelector('[data-testid=express-note]')?.innerText ?? ''`)
	if !strings.Contains(note, "not listed") || !strings.Contains(note, group) {
		t.Errorf("the EXPRESS note = %q; want that executions are not listed, and the log group", note)
	}
	if js[bool](t, ctx, `!!document.querySelector('[data-execution]') || !!document.querySelector('[data-testid=cel-filter]')`) {
		t.Errorf("an EXPRESS machine's page lists executions")
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=start-open]`)))
	waitJS(t, ctx, "the start form", `document.querySelector('[data-testid=start-submit]')?.innerText === 'Start (sync)'`)
	do(t, ctx, setValue(`[data-testid=start-input]`, `{"who": "world"}`), chromedp.Click(chromedp.CSS(`[data-testid=start-submit]`)))
	waitJS(t, ctx, "the sync outcome", `document.querySelector('[data-testid=sync-outcome]')?.dataset.status === 'SUCCEEDED'`)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=sync-outcome]').innerText`); !strings.Contains(got, "Hello, world!") || !strings.Contains(got, ":express:greet:") {
		t.Errorf("the sync outcome = %q; want the greeting and the express ARN", got)
	}
	if !strings.HasPrefix(js[string](t, ctx, `location.pathname`), "/state-machines/greet") {
		t.Errorf("Start (sync) left the machine page")
	}
	waitJS(t, ctx, "the graph", `document.querySelectorAll('.sw-node').length >= 3`)
	screenshot(t, ctx, "machine-express.png")

	do(t, ctx, setValue(`[data-testid=start-input]`, `{"fail": true}`), chromedp.Click(chromedp.CSS(`[data-testid=start-submit]`)))
	waitJS(t, ctx, "the failed sync outcome", `document.querySelector('[data-testid=sync-outcome]')?.dataset.status === 'FAILED'`)
	if got := js[string](t, ctx, `document.querySelector('[data-testid=sync-error]')?.innerText ?? ''`); !strings.Contains(got, "Greeting.Refused") || !strings.Contains(got, "asked to fail") {
		t.Errorf("the failed outcome = %q; want its error and cause", got)
	}

	// The definition editor checks against the Express rules.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=edit-open]`)))
	waitJS(t, ctx, "the current definition checked", `!!document.querySelector('[data-testid=definition-valid]')`)
	do(t, ctx, selectAll(`[data-testid=definition-text]`), chromedp.SendKeys(chromedp.CSS(`[data-testid=definition-text]`),
		`{"StartAt": "Wait", "States": {"Wait": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": true}}}`))
	waitJS(t, ctx, "the Express diagnostic", `(document.querySelector('[data-testid=diagnostics]')?.innerText ?? '').includes('Express state machine does not support')`)
	if !js[bool](t, ctx, `document.querySelector('[data-testid=definition-save]').disabled`) {
		t.Error("Save is enabled for a definition an EXPRESS machine may not have")
	}

	// A STANDARD machine's page is as it was.
	do(t, ctx, chromedp.Navigate(url+"/state-machines/plain"))
	waitJS(t, ctx, "the STANDARD machine page", `document.querySelector('[data-testid=machine-type]')?.innerText === 'STANDARD'`)
	if js[bool](t, ctx, `!!document.querySelector('[data-testid=express-note]')`) || js[string](t, ctx, `document.querySelector('[data-testid=start-open]').innerText`) != "Start execution" {
		t.Errorf("a STANDARD machine's page shows the EXPRESS note or Start (sync)")
	}
}
