package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/internal/arn"
	"github.com/stepwise-dev/stepwise/statelang"
)

// Distributed Map.
//
// A Map state whose ItemProcessor runs in DISTRIBUTED mode starts a Map
// Run: each iteration is a child execution (children.go) of the Map's
// ItemProcessor, with its own history, instead of a frame of the parent.
// The parent keeps one quiet frame per running iteration, waiting on a
// task of resource childResource whose result is the child's outcome, so
// MaxConcurrency, the tolerated failures, the results (parts of the Map's
// frame) and the cancellation of running children when the Map fails or
// the parent stops are the inline Map's and the child task's machinery.
//
// Names follow AWS. The Map Run is
// arn:…:mapRun:<machine>/<label>:<uuid>; each child runs the state
// machine <machine>/<label> (arn:…:stateMachine:<machine>/<label>), a
// qualified name the engine resolves to the ItemProcessor of the Map of
// that label in version <version> of <machine>; the label is the Map's
// Label, or a UUID derived from its state name.

// childResource is the resource of the parent's task for one iteration:
// the child's description (Output as JSON) answers it.
const childResource = "arn:aws:states:::states:startExecution.sync:2"

// The resources of the engine's own tasks, parsed once: the frames that
// wait on them hold these values.
var (
	childTaskResource    = statelang.ParseResource(childResource)
	itemReaderResource   = statelang.ParseResource(ItemReaderResource)
	resultWriterResource = statelang.ParseResource(ResultWriterResource)
)

// defaultMapRunConcurrency is a distributed Map's MaxConcurrency when it
// sets none (AWS: 10,000 child executions at once).
const defaultMapRunConcurrency = 10000

// mapLabel is the label of a distributed Map state in its Map Run's and
// children's ARNs.
func mapLabel(s *statelang.State) string {
	if s.Label != "" {
		return s.Label
	}
	h := sha256.Sum256([]byte("map-label:" + s.Name))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// mapStateOf finds the distributed Map state labelled label anywhere in m
// (nested Parallel branches and Map processors included).
func mapStateOf(m *statelang.Machine, label string) *statelang.State {
	for _, s := range m.States {
		if s.Type == statelang.TypeMap && s.ProcessorMode == "DISTRIBUTED" && mapLabel(s) == label {
			return s
		}
		if s.Processor != nil {
			if p := mapStateOf(s.Processor, label); p != nil {
				return p
			}
		}
		for _, b := range s.Branches {
			if p := mapStateOf(b, label); p != nil {
				return p
			}
		}
	}
	return nil
}

// arnScope is the partition, region and account of an execution ARN: its
// Map Runs' and their machines' ARNs are in the same.
func arnScope(executionARN string) arn.Scope {
	if x, err := arn.ParseExecution(executionARN); err == nil {
		return x.Scope
	}
	return arn.In("us-east-1", "111111111111")
}

// startMapRun records the Map Run of distributed Map s in k.
func (d *decider) startMapRun(f *frame, s *statelang.State, k *frameKids) {
	if k.MaxConcurrency <= 0 {
		k.MaxConcurrency = defaultMapRunConcurrency
	}
	k.Run = arnScope(d.x.ARN).MapRun(d.x.StateMachineName, mapLabel(s), mapRunID(d.env.UUID(), d.x.ID))
	d.emit(f, statelang.EventTypeMapRunStarted, map[string]any{"mapRunArn": k.Run})
	d.mapRunRow(f, k, MapRunRunning)
	d.out.MapRuns[len(d.out.MapRuns)-1].StartDate = d.now
}

// mapRunRow writes the row of the Map Run of frame f's kids k with status
// (Mutation.MapRuns; a later row of the same run in the decision replaces
// it). A running run's PendingRedrive is the children its redrive has yet
// to run again (k.Redo): settle writes the row again as it runs them. The store keeps a run's start date from its first row: that of
// startMapRun, or, for a run started by a build that wrote no rows, the
// execution's start, the earliest its children can have started.
func (d *decider) mapRunRow(f *frame, k *frameKids, status string) {
	total := int64(k.Inputs.Len())
	if total == 0 {
		total = k.Total
	}
	r := MapRun{ARN: k.Run, ExecutionID: d.x.ID, StateName: f.State, Status: status, MaxConcurrency: k.MaxConcurrency,
		ToleratedFailureCount: k.TolCount, ToleratedFailurePercentage: k.TolPct, Total: total, StartDate: d.x.StartTime,
		RedriveCount: k.Redrives, RedriveDate: k.RedrivenAt}
	if status != MapRunRunning {
		r.StopDate = d.now
	} else {
		r.PendingRedrive = int64(len(k.Redo))
		if s := d.stateOf(f); s != nil && expressChildren(s) {
			r.Running = int64(len(k.Running))
			k.shown, k.shownSet = r.Running, true
		}
	}
	if k.written {
		r.ResultsWritten = total
	}
	d.out.MapRuns = mergeMapRuns(d.out.MapRuns, []MapRun{r})
}

// expressChildren: distributed Map s runs its items as EXPRESS children,
// which have no row while they run: its Map Run's row counts them
// (MapRun.Running).
func expressChildren(s *statelang.State) bool {
	return s.ProcessorMode == "DISTRIBUTED" && s.ProcessorExecutionType == TypeExpress
}

// showRunning writes the row of the Map Run of distributed Map s (frame
// p's kids k) when s runs EXPRESS children and the number of them running
// (k.Running: iterations waiting on their child) is not what the row last
// got: iterations were launched, children's results taken. A Map of
// STANDARD children writes no more rows than before: their rows count
// them.
func (d *decider) showRunning(p *frame, s *statelang.State, k *frameKids) {
	if !k.Distributed || k.Run == "" || !expressChildren(s) || k.shownSet && k.shown == int64(len(k.Running)) {
		return
	}
	d.mapRunRow(p, k, MapRunRunning)
}

// endMapRun ends the Map Run of frame f's kids k, if k are a distributed
// Map's: with its MapRunSucceeded or MapRunFailed event (fl), or its
// MapRunAborted event when the parent ended or left the state first (a
// stop, a timeout, a failing sibling branch: the children are stopped
// with their tasks). AWS's MapRunAborted carries no details.
func (d *decider) endMapRun(f *frame, k *frameKids, status string, fl *statelang.Failure) {
	if k == nil || !k.Distributed || k.Run == "" {
		return
	}
	switch status {
	case MapRunSucceeded:
		d.emit(f, statelang.EventTypeMapRunSucceeded, nil)
	case MapRunFailed:
		d.emit(f, statelang.EventTypeMapRunFailed, failureDetails(fl))
	case MapRunAborted:
		d.emit(f, statelang.EventTypeMapRunAborted, nil)
	}
	d.mapRunRow(f, k, status)
}

// maxMapRunRedrives is how many times a Map Run may be redriven (AWS: a
// hard limit of 1,000); a redrive beyond fails the Map with States.Runtime.
const maxMapRunRedrives = 1000

// redriveMapRun redrives the Map Run of distributed Map frame f, whose
// kept kids k (redrive.go) launch their unsuccessful iterations again when
// the frame settles: the run is RUNNING again, under the same ARN, with
// one more redrive.
func (d *decider) redriveMapRun(f *frame, k *frameKids) {
	if k.Redrives >= maxMapRunRedrives {
		k.Abort = &frameFail{Name: statelang.ErrRuntime, Cause: fmt.Sprintf("The Map Run %s has reached the maximum number of redrives (%d).", k.Run, maxMapRunRedrives)}
		return
	}
	k.Redrives++
	k.RedrivenAt = d.now
	d.emit(f, statelang.EventTypeMapRunRedriven, map[string]any{"mapRunArn": k.Run, "redriveCount": k.Redrives})
	d.mapRunRow(f, k, MapRunRunning)
}

// MapRunUpdate is what UpdateMapRun changes (nil: unchanged).
type MapRunUpdate struct {
	MaxConcurrency             *int64 // 0: the default, 10,000
	ToleratedFailureCount      *int64
	ToleratedFailurePercentage *float64
}

// updateMapRun applies u to the running Map Run run: the Map launches
// more children at once if allowed, and fails if its failures exceed
// the new tolerance. A run that is not running changes nothing.
func (d *decider) updateMapRun(run string, u *MapRunUpdate) {
	var f *frame
	for _, x := range d.st.Frames {
		if x.Kids != nil && x.Kids.Distributed && x.Kids.Run == run {
			f = x
			break
		}
	}
	if f == nil || u == nil {
		return
	}
	k := f.Kids
	if u.MaxConcurrency != nil {
		k.MaxConcurrency = *u.MaxConcurrency
		if k.MaxConcurrency <= 0 {
			k.MaxConcurrency = defaultMapRunConcurrency
		}
	}
	if u.ToleratedFailureCount != nil {
		k.TolCount = *u.ToleratedFailureCount
	}
	if u.ToleratedFailurePercentage != nil {
		k.TolPct = *u.ToleratedFailurePercentage
	}
	d.st.mark(f.ID, dirtyFrame)
	d.mapRunRow(f, k, MapRunRunning)
	if f.Wait != waitKids {
		return // reading its items or writing its results
	}
	tol := statelang.Step{ToleratedFailureCount: k.TolCount, ToleratedFailurePercentage: k.TolPct}
	if k.Failed > 0 && k.Abort == nil && !tol.Tolerates(k.Failed, k.Inputs.Len()) {
		k.Abort = &frameFail{Name: statelang.ErrExceedToleratedFailureThresh, Cause: "The specified tolerated failure threshold was exceeded"}
	}
	d.dirty = append(d.dirty, f.ID)
	d.drain()
}

// mapRunID is the id in a Map Run's ARN: a random UUID whose last 12 hex
// digits are the parent execution's id, so that the Map Run's ARN finds
// its execution (MapRunExecutionID).
func mapRunID(uuid string, executionID int64) string {
	if len(uuid) != 36 {
		uuid = "00000000-0000-4000-8000-000000000000"
	}
	return uuid[:24] + fmt.Sprintf("%012x", executionID&0xffffffffffff)
}

// MapRunExecutionID returns the id of the execution that started the Map
// Run of arn.
func MapRunExecutionID(s string) (int64, bool) {
	r, err := arn.ParseMapRun(s)
	if err != nil || len(r.ID) < 12 {
		return 0, false
	}
	id, err := strconv.ParseInt(r.ID[len(r.ID)-12:], 16, 64)
	return id, err == nil && id > 0
}

// launchChild starts iteration c of distributed Map s, of Map Run run,
// as a child execution: c waits on the task that starts it. The child's
// name is the iteration's in the run (mapChildName), so the iteration run
// again by a redrive of the run finds its child and redrives it
// (Engine.redriveChild).
func (d *decider) launchChild(c *frame, s *statelang.State, run string) {
	sc, name := arnScope(d.x.ARN), d.x.StateMachineName+"/"+mapLabel(s)
	machine := sc.StateMachine(name)
	if d.x.StateMachineVersion > 0 {
		machine = sc.StateMachineVersion(name, d.x.StateMachineVersion)
	}
	token := d.tokenAt(d.seq())
	in := map[string]any{"StateMachineArn": machine, "Input": statelang.MarshalString(c.Input.V)} // JSON text: an item may be a string
	if run != "" {
		in["Name"] = mapChildName(run, c.Index)
	}
	d.out.NewTasks = append(d.out.NewTasks, Task{
		Token: token, ExecutionID: d.x.ID, ExecutionARN: d.x.ARN, StateName: s.Name, Resource: childResource,
		Input: d.record(in), CreatedAt: d.now,
	})
	c.Child, c.Started = true, true
	c.Wait, c.Token, c.Resource = waitTask, token, childTaskResource
	if d.st.tasks != nil {
		d.st.tasks[token] = c.ID
	}
}

// isMapChild: x runs an item of a distributed Map.
func isMapChild(x *Execution) bool {
	_, _, ok := splitMapMachine(x.StateMachine)
	return ok && x.ParentID != 0
}

// mapChildName is the name of the child execution of item index of Map
// Run run: a UUID derived from both.
func mapChildName(run string, index int64) string {
	return childName(run + "#" + strconv.FormatInt(index, 10))
}

// MapRunChildName is the name of the child execution that runs the item
// of index index (from 0, in the order of the Map's items or batches) of
// the Map Run of ARN run.
func MapRunChildName(run string, index int64) string { return mapChildName(run, index) }

// redriveChild answers task t, of an iteration a Map Run's redrive runs
// again, whose child x ran before (the same name, mapChildName): x is
// redriven for t (stopped first if it still runs for its old task), or,
// when it cannot be redriven (its history or its redrive window is spent),
// its last outcome answers t, as AWS leaves a child that is not redrivable
// as it ended. A dispatch of a task the parent no longer waits on (a late
// one, of the run before the redrive) changes nothing.
func (e *Engine) redriveChild(ctx context.Context, x *Execution, t Task) {
	warn := func(msg string, err error) {
		e.cfg.Logger.Warn(msg, "execution_arn", x.ARN, "error", err) // t stays SCHEDULED: dispatched again
	}
	if _, status, err := e.store.GetTask(ctx, t.Token); err != nil || status != TaskScheduled && status != TaskStarted {
		if err != nil {
			warn("reading a redriven Map Run's task", err)
		}
		return
	}
	for range 3 { // stop, redrive, and read once more if it changed meanwhile; then t is dispatched again

		y, err := e.store.GetExecution(ctx, x.ID)
		if err != nil {
			warn("reading a redriven Map Run's child", err)
			return
		}
		switch {
		case y.ParentToken == t.Token: // redriven for t already (a dispatch of t before this one)
			_ = e.ConfirmDispatch(ctx, t.Token)
			e.notifyParent(ctx, y) // if it ended
			return
		case y.Status == StatusRunning: // the stop that follows its parent's end has not come yet
			e.abortChild(ctx, y)
			continue
		case y.Status != StatusSucceeded && e.redriveBlocked(y, e.cfg.Now()) == "":
			d, err := e.apply(ctx, y.ID, event{Kind: evRedrive, ParentToken: t.Token})
			if err != nil {
				warn("redriving a Map Run's child", err)
				return
			}
			if d.Redriven.IsZero() {
				continue // it changed meanwhile: read it again
			}
			_ = e.ConfirmDispatch(ctx, t.Token)
			return
		}
		// Not redrivable (or it succeeded after all): its outcome is final.
		_ = e.ConfirmDispatch(ctx, t.Token)
		c := *y
		c.ParentToken = t.Token
		e.notifyParent(ctx, &c)
		return
	}
}

// childEnded ends iteration f with its child's outcome: ev answers the
// iteration's task with the child's description (children.go).
func (d *decider) childEnded(f *frame, ev event) {
	if ev.Kind == evTaskSucceeded {
		d.closeTask(f, TaskSucceeded)
		desc, _ := ev.Output.(map[string]any)
		d.finish(f, desc["Output"], nil)
	} else {
		d.closeTask(f, TaskFailed)
		fl := &statelang.Failure{Name: ev.Error, Cause: ev.Cause}
		if v, err := statelang.ParseJSON([]byte(ev.Cause)); err == nil {
			if desc, ok := v.(map[string]any); ok {
				fl.Name, _ = desc["Error"].(string)
				fl.Cause, _ = desc["Cause"].(string)
				if fl.Name == "" && desc["Status"] == StatusTimedOut {
					fl.Name = statelang.ErrTimeout // a child that ran out of its TimeoutSeconds
				}
			}
		}
		d.finish(f, nil, fl)
	}
	d.drain()
}

// splitMapMachine splits the qualified name of a distributed Map's child
// machine, "<machine>/<label>".
// (the last "/": a nested distributed Map's machine is that of its
// parent's children).
func splitMapMachine(name string) (machine, label string, ok bool) {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return "", "", false
	}
	return name[:i], name[i+1:], true
}

// mapMachine is the machine of a distributed Map's children: the
// ItemProcessor of the Map labelled label in version version of machine
// parent.
func (e *Engine) mapMachine(ctx context.Context, parent, label string, version int) (*statelang.Machine, StateMachine, error) {
	pm, psm, err := e.machine(ctx, parent, version)
	if err != nil {
		return nil, psm, err
	}
	s := mapStateOf(pm, label)
	if s == nil {
		return nil, psm, ErrNotFound
	}
	name := parent + "/" + label
	typ := TypeStandard
	if s.ProcessorExecutionType == TypeExpress {
		typ = TypeExpress // its children run in memory (express.go)
	}
	return s.Processor, StateMachine{Name: name, ARN: e.stateMachineARN(name), Version: psm.Version, RoleARN: psm.RoleARN,
		CreatedAt: psm.CreatedAt, Type: typ}, nil
}

// ItemReaderResource is the resource of the task that reads a Map's items
// (its ItemReader): a Service serving it (services/objects) gets the
// statelang.ReadCall as JSON ({"Resource", "Parameters", "ReaderConfig"})
// and returns the items as a JSON array. The Map's frame waits on that
// task; its result is not bound by the payload limit of task outputs, as
// the items are stored one part each.
const ItemReaderResource = "stepwise:itemReader"

// readItems starts Map s in frame f with the read of its items: f waits on
// the reader's task.
func (d *decider) readItems(f *frame, s *statelang.State, step statelang.Step) {
	k := &frameKids{Map: true, Distributed: s.ProcessorMode == "DISTRIBUTED",
		MaxConcurrency: step.MaxConcurrency, TolCount: step.ToleratedFailureCount, TolPct: step.ToleratedFailurePercentage}
	d.emit(f, statelang.EventTypeMapStateStarted, map[string]any{"length": int64(0)})
	if k.Distributed {
		d.startMapRun(f, s, k)
	}
	token := d.tokenAt(d.seq())
	r := step.Read
	d.out.NewTasks = append(d.out.NewTasks, Task{
		Token: token, ExecutionID: d.x.ID, ExecutionARN: d.x.ARN, StateName: s.Name, Resource: ItemReaderResource,
		Input:     d.record(map[string]any{"Resource": r.Resource, "Parameters": r.Parameters, "ReaderConfig": r.Config}),
		CreatedAt: d.now,
	})
	f.Kids = k
	f.Wait, f.Token, f.Resource, f.Started = waitTask, token, itemReaderResource, true
	d.st.mark(f.ID, dirtyKids)
	if d.st.tasks != nil {
		d.st.tasks[token] = f.ID
	}
}

// itemsRead goes on with Map frame f once its reader answered: the items
// become the Map's inputs, or the reader's failure fails the Map.
func (d *decider) itemsRead(f *frame, ev event) {
	s := d.stateOf(f)
	if s == nil {
		return
	}
	k := f.Kids
	var fl *statelang.Failure
	if ev.Kind == evTaskSucceeded {
		d.closeTask(f, TaskSucceeded)
		items, ok := ev.Output.([]any)
		if ok {
			ok = parseItems(s, items)
		}
		if !ok {
			fl = &statelang.Failure{Name: statelang.ErrItemReaderFailed, Cause: "The ItemReader did not give an array of items"}
		} else if step := s.MapItems(f.Input.V, items, d.ctx(f, s), d.env); step.Kind == statelang.StepFail {
			fl = step.Failure
		} else if k.Inputs, ok = itemTexts(step.Inputs); !ok {
			fl = &statelang.Failure{Name: statelang.ErrItemReaderFailed, Cause: "The items exceed 4 GiB"}
		} else if s.Writer == nil { // a ResultWriter reads the results from the children
			k.Results = make([]jsonValue, k.Inputs.Len())
		}
	} else {
		d.closeTask(f, TaskFailed)
		fl = &statelang.Failure{Name: ev.Error, Cause: ev.Cause}
	}
	d.st.mark(f.ID, dirtyKids)
	if fl != nil {
		d.endMapRun(f, k, MapRunFailed, fl)
		f.Kids = nil
		d.recoverKids(f, s, fl, true)
	} else {
		if k.Distributed {
			d.mapRunRow(f, k, MapRunRunning) // its total
		}
		f.Wait = waitKids
		d.settle(f, s)
	}
	d.run(f)
	d.drain()
}

// itemsOf is the reader's answer out: when it is a JSON array, its
// elements as their text (statelang.JSONText), so that the items of a
// Map that passes them on as they are (parseItems) are never held parsed
// at once, which cost ten times their text (42 MB at 100,000 items).
func itemsOf(out string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(out))
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return statelang.ParseJSON([]byte(out))
	}
	items := []any{}
	var buf bytes.Buffer
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		buf.Reset()
		if err := json.Compact(&buf, raw); err != nil {
			return nil, err
		}
		items = append(items, statelang.JSONText(buf.String()))
	}
	return items, nil
}

// parseItems parses in place the items (itemsOf's texts) of Map s when
// its ItemSelector (or Parameters), ItemBatcher or JSONata need their
// values; it reports false when one is not JSON.
func parseItems(s *statelang.State, items []any) bool {
	if s.ItemSelector == nil && s.Parameters == nil && s.Batcher == nil && !s.IsJSONata() {
		return true
	}
	for i, it := range items {
		if text, ok := it.(statelang.JSONText); ok {
			v, err := statelang.ParseJSON([]byte(text))
			if err != nil {
				return false
			}
			items[i] = v
		}
	}
	return true
}

// itemTexts keeps a distributed Map's items as their JSON text, all in
// one string (kidInputs): an item is only passed on, as its child's
// input, and a parsed item costs ten times its text in memory. It reports
// false when the texts pass 4 GiB, which kidInputs cannot index.
func itemTexts(items []any) (kidInputs, bool) {
	var b strings.Builder
	ends := make([]uint32, len(items))
	for i, in := range items {
		b.WriteString(statelang.MarshalString(in))
		if b.Len() > math.MaxUint32 {
			return kidInputs{}, false
		}
		ends[i] = uint32(b.Len())
	}
	text := b.String()
	if b.Cap() > len(text)+len(text)/8 {
		text = strings.Clone(text) // held while the Map runs: not the builder's spare room (up to as much again)
	}
	return kidInputs{text: text, ends: ends}, true
}

// ResultWriterResource is the resource of the task that writes a Map
// Run's results (its ResultWriter): a Service serving it
// (services/objects) gets {"MapRunArn", "Resource", "Parameters":
// {"Bucket", "Prefix"}, "WriterConfig": {"Transformation", "OutputType"}},
// reads the run's children page by page (Engine.MapRunChildren), writes
// them and answers with the manifest's {"Bucket", "Key"}; or, when the
// Resource is "" (a WriterConfig alone), answers with the results, which
// are the Map's result.
const ResultWriterResource = "stepwise:resultWriter"

// writeResults ends Map s's iterations with the write of their results:
// frame p waits on the writer's task. A Map Run that failed (k.Abort)
// keeps its kids meanwhile, for a redrive once the Map has failed.
func (d *decider) writeResults(p *frame, s *statelang.State, k *frameKids) {
	d.st.mark(p.ID, dirtyKids)
	wc, fl := s.WriteCall(p.Input.V, d.ctx(p, s), d.env)
	if fl != nil {
		if k.Abort != nil {
			d.keepKids(p, k)
		}
		d.endMapRun(p, k, MapRunFailed, fl)
		p.Kids, p.Wait = nil, waitNone
		d.recoverKids(p, s, fl, true)
		return
	}
	token := d.tokenAt(d.seq())
	d.out.NewTasks = append(d.out.NewTasks, Task{
		Token: token, ExecutionID: d.x.ID, ExecutionARN: d.x.ARN, StateName: s.Name, Resource: ResultWriterResource,
		Input: d.record(map[string]any{"MapRunArn": k.Run, "Resource": wc.Resource, "Parameters": wc.Parameters,
			"WriterConfig": map[string]any{"Transformation": wc.Transformation, "OutputType": wc.OutputType}}),
		CreatedAt: d.now,
	})
	if k.Abort == nil {
		p.Kids = &frameKids{Map: true, Distributed: k.Distributed, Run: k.Run, // the results are written; the rest for the Map Run's row
			MaxConcurrency: k.MaxConcurrency, TolCount: k.TolCount, TolPct: k.TolPct, Total: int64(k.Inputs.Len()),
			Redrives: k.Redrives, RedrivenAt: k.RedrivenAt}
	}
	p.Wait, p.Token, p.Resource, p.Started = waitTask, token, resultWriterResource, true
	if d.st.tasks != nil {
		d.st.tasks[token] = p.ID
	}
}

// resultsWritten completes Map frame f once its writer answered: its
// result is the Map Run's ARN and the manifest's place. A Map Run that
// failed fails the Map now, with the failure that ended it (or the
// writer's, if the write failed too).
func (d *decider) resultsWritten(f *frame, ev event) {
	s := d.stateOf(f)
	if s == nil {
		return
	}
	k := f.Kids
	f.Kids = nil
	d.st.mark(f.ID, dirtyKids)
	if k.Abort != nil {
		fl := k.Abort.failure()
		if ev.Kind == evTaskSucceeded {
			d.closeTask(f, TaskSucceeded)
			k.written = true
		} else {
			d.closeTask(f, TaskFailed)
			fl = &statelang.Failure{Name: ev.Error, Cause: ev.Cause}
		}
		d.keepKids(f, k)
		d.endMapRun(f, k, MapRunFailed, fl)
		d.recoverKids(f, s, fl, true)
	} else if ev.Kind == evTaskSucceeded {
		d.closeTask(f, TaskSucceeded)
		k.written = true
		d.endMapRun(f, k, MapRunSucceeded, nil)
		d.emit(f, statelang.EventTypeMapStateSucceeded, nil)
		var result any = map[string]any{"MapRunArn": k.Run, "ResultWriterDetails": ev.Output}
		if s.Writer.Resource == "" {
			result = ev.Output // a WriterConfig alone: the results themselves
		}
		d.handle(f, s, s.Complete(f.Input.V, result, d.ctx(f, s), d.env))
	} else {
		d.closeTask(f, TaskFailed)
		fl := &statelang.Failure{Name: ev.Error, Cause: ev.Cause}
		d.endMapRun(f, k, MapRunFailed, fl)
		d.recoverKids(f, s, fl, true)
	}
	d.run(f)
	d.drain()
}

// MapRunChildren passes the child executions of the Map Run of arn that
// have status ("" for all) to page, a page of at most 1,000 at a time,
// newest first; it stops at page's first error and returns it.
func (e *Engine) MapRunChildren(ctx context.Context, arn, status string, page func([]*Execution) error) error {
	r, err := e.store.GetMapRun(ctx, arn)
	if errors.Is(err, ErrNotFound) {
		// A run started by a build that wrote no rows (and has written
		// none since): every child of its execution on its machine.
		id, ok := MapRunExecutionID(arn)
		if !ok || MapRunMachine(arn) == "" {
			return ErrNotFound
		}
		r, err = MapRun{ARN: arn, ExecutionID: id}, nil
	}
	if err != nil {
		return err
	}
	f := mapRunFilter(r, status)
	f.Limit = 1000
	for {
		xs, err := e.store.ListExecutions(ctx, f)
		if err != nil {
			return err
		}
		if len(xs) > 0 {
			if err := page(xs); err != nil {
				return err
			}
		}
		if len(xs) < f.Limit {
			return nil
		}
		f.BeforeID = xs[len(xs)-1].ID
	}
}

// mapRunFilter selects the child executions of Map Run r (with status,
// unless ""): the children of its execution that run its machine,
// started while it ran (a Map in a loop starts one Map Run after the
// other, with the same machine).
func mapRunFilter(r MapRun, status string) ListFilter {
	f := ListFilter{ParentID: r.ExecutionID, StateMachine: MapRunMachine(r.ARN), Status: status}
	if !r.StartDate.IsZero() {
		f.Conditions = append(f.Conditions, Condition{Field: FieldStartTime, Op: OpGe, Value: r.StartDate})
	}
	if !r.StopDate.IsZero() {
		f.Conditions = append(f.Conditions, Condition{Field: FieldStartTime, Op: OpLe, Value: r.StopDate})
	}
	return f
}

// MapRunMachine is the name of the state machine a Map Run's children run,
// "<machine>/<label>", from the run's ARN ("" if arn is not one).
func MapRunMachine(s string) string {
	r, err := arn.ParseMapRun(s)
	if err != nil {
		return ""
	}
	return r.Machine + "/" + r.Label
}

// DescribeMapRun returns a Map Run with its children's counts;
// ErrNotFound when there is none.
func (e *Engine) DescribeMapRun(ctx context.Context, arn string) (MapRun, error) {
	if _, ok := MapRunExecutionID(arn); !ok {
		return MapRun{}, ErrNotFound
	}
	r, err := e.store.GetMapRun(ctx, arn)
	if err != nil {
		return r, err
	}
	r.NotRedrivable, err = e.notRedrivable(ctx, r)
	if r.Status == MapRunRunning {
		countRunning(&r)
	}
	return r, err
}

// countRunning adds the EXPRESS children that run now (r.Running, which
// have no row yet) to the children counted from the rows of RUNNING Map
// Run r. Some run with a row: those of a redrive, which run items again
// whose last row stays until they end, and, for a moment, a child whose
// row is written and whose result the parent has yet to take. So what
// passes the run's Total is taken from the unsuccessful rows, which a
// redrive runs again, then from the running.
func countRunning(r *MapRun) {
	if r.Running <= 0 {
		return
	}
	if r.Children == nil {
		r.Children = map[string]int64{}
	}
	rows := int64(0)
	for _, n := range r.Children {
		rows += n
	}
	r.Children[StatusRunning] += r.Running
	over := rows + r.Running - r.Total
	if r.RedriveCount > 0 {
		for _, status := range []string{StatusAborted, StatusTimedOut, StatusFailed} {
			n := min(over, r.Children[status])
			if n > 0 {
				r.Children[status] -= n
				over -= n
			}
		}
	}
	if over > 0 {
		r.Children[StatusRunning] -= min(over, r.Running)
	}
	for status, n := range r.Children {
		if n == 0 {
			delete(r.Children, status)
		}
	}
}

// notRedrivable counts the children of Map Run r that ended FAILED,
// TIMED_OUT or ABORTED and cannot be redriven (RedriveStatus: their
// history is full, their redrive window or the longest execution time has
// passed, or they kept nothing to go on from): a redrive of the run
// leaves them as they ended (redriveChild). It reads the unsuccessful
// children only, a page at a time.
func (e *Engine) notRedrivable(ctx context.Context, r MapRun) (int64, error) {
	if r.Children[StatusFailed]+r.Children[StatusTimedOut]+r.Children[StatusAborted] == 0 {
		return 0, nil
	}
	f := mapRunFilter(r, "")
	f.Conditions = append(f.Conditions, Condition{Field: FieldStatus, Op: OpIn,
		Value: []string{StatusFailed, StatusTimedOut, StatusAborted}})
	f.Limit = 1000
	var n int64
	for {
		xs, err := e.store.ListExecutions(ctx, f)
		if err != nil {
			return 0, err
		}
		for _, x := range xs {
			if status, _ := e.RedriveStatus(x); status == RedriveNotRedrivable {
				n++
			}
		}
		if len(xs) < f.Limit {
			return n, nil
		}
		f.BeforeID = xs[len(xs)-1].ID
	}
}

// ListMapRuns returns a page of the Map Runs an execution started, oldest
// first, and the next page's token ("" on the last page). maxResults
// defaults to (and is at most) 1000.
func (e *Engine) ListMapRuns(ctx context.Context, executionARN string, maxResults int, nextToken string) ([]MapRun, string, error) {
	x, err := e.store.GetExecutionByARN(ctx, executionARN)
	if err != nil {
		return nil, "", err
	}
	if maxResults <= 0 || maxResults > 1000 {
		maxResults = 1000
	}
	offset := 0
	if nextToken != "" {
		n, err := strconv.Atoi(nextToken)
		if err != nil || n <= 0 {
			return nil, "", fmt.Errorf("%w: invalid next token", ErrInvalidInput)
		}
		offset = n
	}
	rs, err := e.store.ListMapRuns(ctx, x.ID, offset, maxResults+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rs) > maxResults {
		rs, next = rs[:maxResults], strconv.Itoa(offset+maxResults)
	}
	for i := range rs {
		rs[i].ExecutionARN = x.ARN
	}
	return rs, next, nil
}

// UpdateMapRun changes a running Map Run's MaxConcurrency and tolerated
// failures, as a step of its parent execution (so the change is durable
// and the running Map sees it at once). ErrNotFound when there is no such
// run, ErrMapRunNotRunning when it has ended.
func (e *Engine) UpdateMapRun(ctx context.Context, arn string, u MapRunUpdate) error {
	r, err := e.DescribeMapRun(ctx, arn)
	if err != nil {
		return err
	}
	if r.Status != MapRunRunning {
		return ErrMapRunNotRunning
	}
	d, err := e.apply(ctx, r.ExecutionID, event{Kind: evUpdateMapRun, Run: arn, MapRun: &u})
	if errors.Is(err, ErrExecutionNotRunning) || err == nil && len(d.MapRuns) == 0 {
		return ErrMapRunNotRunning // it ended meanwhile
	}
	return err
}

// ParentOf returns the ARN of the execution that started child execution
// x and, when x runs an item of a distributed Map, the ARN of its Map Run
// ("" when it is some other child, or when its run wrote no row). An
// execution started otherwise (through the API, an aws-sdk:sfn task, a
// Lambda function) whose input names the execution that started it, as
// AWS documents for associating a nested workflow with its parent
// (StartedByKey), has that one as its parent. ErrNotFound when x has no
// parent.
func (e *Engine) ParentOf(ctx context.Context, x *Execution) (parentARN, mapRunARN string, err error) {
	if x.ParentID == 0 {
		if p := startedBy(x.Input); p != "" {
			return p, "", nil
		}
		return "", "", ErrNotFound
	}
	p, err := e.store.GetExecution(ctx, x.ParentID)
	if err != nil {
		return "", "", err
	}
	if _, _, ok := splitMapMachine(x.StateMachine); !ok {
		return p.ARN, "", nil
	}
	const page = 1000
	for offset := 0; ; offset += page {
		rs, err := e.store.ListMapRuns(ctx, p.ID, offset, page)
		if err != nil {
			return "", "", err
		}
		// A Map in a loop starts one run after the other on the same
		// machine: x belongs to the one it started during.
		if run := mapRunOf(rs, x); run != "" {
			mapRunARN = run
		}
		if len(rs) < page {
			return p.ARN, mapRunARN, nil
		}
	}
}
