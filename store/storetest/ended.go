package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

// testEndedChildren: GroupWrite.Ended, the rows of ended EXPRESS children
// of a distributed Map, which have no row until they end. A group of only
// Ended rows commits (with no executions to lock, and with some); each
// row is read back whole by ARN, by id and in ListExecutions, by parent
// and by the conditions the engine's Map Run listings put (MapRunChildren,
// ListChildExecutions, the run's counts), beside the Map's standard child.
// Ended again with a new ARN and status, a row is replaced in place: same
// id, the old ARN gone, one row for the name; of two rows of one name in
// a group the later is written; an ARN another execution holds is
// ErrConflict. A replaced standard row loses its history, state parts,
// timers and open tasks. EndedChildren treats an Ended
// row as any ended child: it is one only while its ParentToken names an
// open startExecution.sync task.
func testEndedChildren(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	h.machine("m", `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"label","End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnHang+`","End":true}}}}}}`)
	p := h.start("m", "p", `[1]`)
	run := h.onlyRun(p.ARN)
	if m := engine.MapRunMachine(run); m != "m/label" {
		t.Fatalf("Map Run %s runs %q; want m/label", run, m)
	}
	kids, err := h.store.ListExecutions(ctx, engine.ListFilter{ParentID: p.ID, Limit: 10})
	if err != nil || len(kids) != 1 || kids[0].Status != engine.StatusRunning {
		t.Fatalf("children of the Map = %v, %v; want one RUNNING", kids, err)
	}
	std, err := h.store.GetExecution(ctx, kids[0].ID) // the Map's standard child, with its parent token
	if err != nil {
		t.Fatal(err)
	}

	h.clock.Add(time.Second)
	t0 := h.clock.Now()
	express := func(name, id string) string {
		return strings.Replace(p.ARN, ":execution:m:p", ":express:m/label:"+name+":"+id, 1)
	}
	ended := func(name, id, status string, start time.Time, token string) *engine.Execution {
		x := &engine.Execution{ARN: express(name, id), Name: name, StateMachine: "m/label", StateMachineVersion: std.StateMachineVersion,
			StateMachineARN: std.StateMachineARN, Status: status, Input: `{"item":"` + name + `"}`,
			StartDate: start, StopDate: start.Add(1500 * time.Millisecond), ParentID: p.ID, ParentToken: token}
		if status == engine.StatusSucceeded {
			x.Output = `{"done":"` + name + `"}`
		} else {
			x.Error, x.Cause = "Boom", "item "+name+" broke"
		}
		return x
	}
	e1 := ended("e1", "0b6d7c8e-1f2a-4b3c-9d4e-5f6a7b8c9d01", engine.StatusSucceeded, t0, "no-task-e1")
	e2 := ended("e2", "0b6d7c8e-1f2a-4b3c-9d4e-5f6a7b8c9d02", engine.StatusFailed, t0.Add(time.Millisecond), "no-task-e2")
	commitEnded(t, h, &engine.Group{}, e1, e2)

	get := func(arn string, want *engine.Execution) *engine.Execution {
		t.Helper()
		got, err := h.store.GetExecutionByARN(ctx, arn)
		if err != nil {
			t.Fatalf("GetExecutionByARN(%s) = %v", arn, err)
		}
		if g, w := endedRow(got), endedRow(want); g != w {
			t.Errorf("GetExecutionByARN(%s) =\n %s; want\n %s", arn, g, w)
		}
		if byID, err := h.store.GetExecution(ctx, got.ID); err != nil || endedRow(byID) != endedRow(want) {
			t.Errorf("GetExecution(%d) = %v, %v; want the row of %s", got.ID, byID, err, arn)
		}
		return got
	}
	id1, id2 := get(e1.ARN, e1).ID, get(e2.ARN, e2).ID
	if id1 == id2 || id1 == std.ID || id2 == std.ID {
		t.Fatalf("ids: e1 %d, e2 %d, the standard child %d; want three", id1, id2, std.ID)
	}
	// list checks ListExecutions(f) holds the rows of want (by name) and
	// no other, newest first; "std" is the standard child.
	list := func(f engine.ListFilter, want ...*engine.Execution) {
		t.Helper()
		f.Limit = 10
		xs, err := h.store.ListExecutions(ctx, f)
		if err != nil {
			t.Fatalf("ListExecutions(%+v) = %v", f, err)
		}
		if got, w := rowsByName(xs), rowsByName(want); got != w {
			t.Errorf("ListExecutions(%+v) =\n %s; want\n %s", f, got, w)
		}
		if !slices.IsSortedFunc(xs, func(a, b *engine.Execution) int { return int(b.ID - a.ID) }) {
			t.Errorf("ListExecutions(%+v): not newest first", f)
		}
	}
	listed := *std
	listed.State = nil
	list(engine.ListFilter{ParentID: p.ID}, e1, e2, &listed)
	list(engine.ListFilter{ParentID: p.ID, StateMachine: "m/label", Status: engine.StatusFailed}, e2)
	list(engine.ListFilter{ParentID: p.ID, Conditions: []engine.Condition{
		{Field: engine.FieldStateMachine, Op: engine.OpIn, Value: []string{"m/label"}},
		{Field: engine.FieldStartTime, Op: engine.OpGe, Value: t0},
		{Field: engine.FieldStartTime, Op: engine.OpLe, Value: t0},
	}}, e1)
	list(engine.ListFilter{ParentID: p.ID, Conditions: []engine.Condition{{Field: engine.FieldStateMachine, Op: engine.OpNe, Value: "m/label"}}})

	// The engine's Map Run listings read them as the run's children.
	mapRunChildren := func(status string) []string {
		t.Helper()
		var names []string
		err := h.eng.MapRunChildren(ctx, run, status, func(xs []*engine.Execution) error {
			for _, x := range xs {
				names = append(names, x.Name)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("MapRunChildren(%q) = %v", status, err)
		}
		slices.Sort(names)
		return names
	}
	if got, want := mapRunChildren(""), []string{std.Name, "e1", "e2"}; !sameNames(got, want) {
		t.Errorf("MapRunChildren = %q; want %q", got, want)
	}
	if got := mapRunChildren(engine.StatusSucceeded); !sameNames(got, []string{"e1"}) {
		t.Errorf("MapRunChildren(SUCCEEDED) = %q; want e1", got)
	}
	cs, _, err := h.eng.ListChildExecutions(ctx, p.ARN, engine.ChildExecutionsInput{Kind: engine.ChildrenMapRun})
	if err != nil || len(cs) != 3 {
		t.Fatalf("ListChildExecutions(Map Run) = %d, %v; want 3", len(cs), err)
	}
	for _, c := range cs {
		if c.MapRunARN != run || c.ParentARN != p.ARN {
			t.Errorf("child %s: Map Run %q, parent %q; want %q, %q", c.Name, c.MapRunARN, c.ParentARN, run, p.ARN)
		}
	}
	if r := h.mapRun(run); fmt.Sprint(r.Children) != fmt.Sprint(map[string]int64{engine.StatusFailed: 1, engine.StatusRunning: 1, engine.StatusSucceeded: 1}) {
		t.Errorf("Map Run children = %v; want 1 FAILED, 1 RUNNING, 1 SUCCEEDED", r.Children)
	}
	// Their parent tokens name no task: no ended child to tell.
	if xs, err := h.store.EndedChildren(ctx, 10); err != nil || len(xs) != 0 {
		t.Errorf("EndedChildren = %v, %v; want none", xs, err)
	}

	// e2 run again (a redrive of its run): its row replaced, with the
	// executions of the group locked.
	h.clock.Add(time.Second)
	again := ended("e2", "0b6d7c8e-1f2a-4b3c-9d4e-5f6a7b8c9d03", engine.StatusSucceeded, h.clock.Now(), "no-task-e2-again")
	commitEnded(t, h, &engine.Group{IDs: []int64{p.ID}}, again)
	if got := get(again.ARN, again); got.ID != id2 {
		t.Errorf("e2 replaced: id %d; want %d", got.ID, id2)
	}
	if x, err := h.store.GetExecutionByARN(ctx, e2.ARN); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("GetExecutionByARN(the replaced ARN) = %v, %v; want ErrNotFound", x, err)
	}
	list(engine.ListFilter{ParentID: p.ID, Conditions: []engine.Condition{{Field: engine.FieldName, Op: engine.OpEq, Value: "e2"}}}, again)
	list(engine.ListFilter{ParentID: p.ID, StateMachine: "m/label", Status: engine.StatusSucceeded}, e1, again)
	get(e1.ARN, e1)

	// The standard child ended as an express one (a start again after a
	// lost process): its history, state parts and open task go; its
	// parent's .sync task is open, so it is an ended child to tell.
	tasks := h.q.take()
	if len(tasks) != 1 || tasks[0].ExecutionID != std.ID {
		t.Fatalf("dispatched %v; want the standard child's task", tasks)
	}
	if evs, err := h.store.History(ctx, std.ID, engine.HistoryFilter{}); err != nil || len(evs) == 0 {
		t.Fatalf("History(the standard child) = %d events, %v; want some", len(evs), err)
	}
	loaded := func() *engine.Execution {
		t.Helper()
		var x *engine.Execution
		_, err := h.store.CommitGroup(ctx, &engine.Group{IDs: []int64{std.ID}}, func(xs map[int64]*engine.Execution) (*engine.GroupWrite, error) {
			x = xs[std.ID]
			return &engine.GroupWrite{}, nil
		})
		if err != nil || x == nil {
			t.Fatalf("CommitGroup(load %d) = %v, %v", std.ID, x, err)
		}
		return x
	}
	// Its state is small, written whole in its row: give it a part, and a
	// timer, to see them go.
	x := loaded()
	_, err = h.store.CommitGroup(ctx, &engine.Group{IDs: []int64{std.ID}}, func(map[int64]*engine.Execution) (*engine.GroupWrite, error) {
		return &engine.GroupWrite{Mutations: []*engine.Mutation{{ExecutionID: x.ID, Version: x.Version, Status: x.Status,
			LastEventID: x.LastEventID, State: x.State, Parts: []engine.StatePart{{Frame: 99, Slot: engine.PartFrame, Data: `{}`}},
			NewTimers: []engine.Timer{{ExecutionID: x.ID, Key: "stale", FireAt: t0}}}}}, nil
	})
	if x := loaded(); err != nil || len(x.Parts) != 1 {
		t.Fatalf("the standard child with a part: %d parts, %v; want 1", len(x.Parts), err)
	}
	h.clock.Add(time.Second)
	over := ended(std.Name, "0b6d7c8e-1f2a-4b3c-9d4e-5f6a7b8c9d04", engine.StatusSucceeded, h.clock.Now(), std.ParentToken)
	commitEnded(t, h, &engine.Group{}, over)
	if got := get(over.ARN, over); got.ID != std.ID {
		t.Errorf("the standard child replaced: id %d; want %d", got.ID, std.ID)
	}
	if evs, err := h.store.History(ctx, std.ID, engine.HistoryFilter{}); err != nil || len(evs) != 0 {
		t.Errorf("History(the replaced child) = %d events, %v; want none", len(evs), err)
	}
	if x := loaded(); len(x.Parts) != 0 || len(x.State) != 0 || x.Version != 0 {
		t.Errorf("the replaced child loads with %d parts, state %q, version %d; want none, empty, 0", len(x.Parts), x.State, x.Version)
	}
	if ts, err := h.store.ClaimDueTimers(ctx, h.clock.Now(), time.Second, 10); err != nil || len(ts) != 0 {
		t.Errorf("due timers after the replace = %v, %v; want none", ts, err)
	}
	if _, status, err := h.store.GetTask(ctx, tasks[0].Token); err != nil || status != engine.TaskCancelled {
		t.Errorf("the replaced child's task = %s, %v; want CANCELLED", status, err)
	}
	xs, err := h.store.EndedChildren(ctx, 10)
	if err != nil || len(xs) != 1 || endedRow(xs[0]) != endedRow(over) {
		t.Errorf("EndedChildren = %v, %v; want the replaced child's row", xs, err)
	}
	if r := h.mapRun(run); fmt.Sprint(r.Children) != fmt.Sprint(map[string]int64{engine.StatusSucceeded: 3}) {
		t.Errorf("Map Run children = %v; want 3 SUCCEEDED", r.Children)
	}

	// Of two rows of one name in a group, the later is written.
	h.clock.Add(time.Second)
	first := ended("e1", "0b6d7c8e-1f2a-4b3c-9d4e-5f6a7b8c9d05", engine.StatusFailed, h.clock.Now(), "no-task-e1")
	later := ended("e1", "0b6d7c8e-1f2a-4b3c-9d4e-5f6a7b8c9d06", engine.StatusSucceeded, h.clock.Now(), "no-task-e1")
	commitEnded(t, h, &engine.Group{}, first, later)
	if got := get(later.ARN, later); got.ID != id1 {
		t.Errorf("e1 written twice in a group: id %d; want %d", got.ID, id1)
	}
	for _, arn := range []string{e1.ARN, first.ARN} {
		if _, err := h.store.GetExecutionByARN(ctx, arn); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("GetExecutionByARN(%s) = %v; want ErrNotFound", arn, err)
		}
	}

	// An ARN another execution holds is a conflict, and the group writes
	// nothing.
	taken := ended("e9", "0b6d7c8e-1f2a-4b3c-9d4e-5f6a7b8c9d07", engine.StatusSucceeded, h.clock.Now(), "no-task-e9")
	taken.ARN = again.ARN
	fresh := ended("e8", "0b6d7c8e-1f2a-4b3c-9d4e-5f6a7b8c9d08", engine.StatusSucceeded, h.clock.Now(), "no-task-e8")
	_, err = h.store.CommitGroup(ctx, &engine.Group{}, func(map[int64]*engine.Execution) (*engine.GroupWrite, error) {
		return &engine.GroupWrite{Ended: []*engine.Execution{fresh, taken}}, nil
	})
	if !errors.Is(err, engine.ErrConflict) {
		t.Errorf("CommitGroup(Ended with a taken ARN) = %v; want ErrConflict", err)
	}
	list(engine.ListFilter{ParentID: p.ID, Conditions: []engine.Condition{{Field: engine.FieldName, Op: engine.OpIn, Value: []string{"e8", "e9"}}}})
	get(again.ARN, again)

	// Nested lists only the children whose machine is not a Map's
	// (<machine>/<label>): a nested child of machine m, newest first.
	list(engine.ListFilter{ParentID: p.ID, Nested: true})
	n1 := ended("n1", "0b6d7c8e-1f2a-4b3c-9d4e-5f6a7b8c9d09", engine.StatusSucceeded, h.clock.Now(), "no-task-n1")
	n1.StateMachine, n1.ARN = "m", strings.Replace(p.ARN, ":execution:m:p", ":express:m:n1:0b6d7c8e-1f2a-4b3c-9d4e-5f6a7b8c9d09", 1)
	n2 := ended("n2", "0b6d7c8e-1f2a-4b3c-9d4e-5f6a7b8c9d10", engine.StatusFailed, h.clock.Now(), "no-task-n2")
	n2.StateMachine, n2.ARN = "m", strings.Replace(p.ARN, ":execution:m:p", ":express:m:n2:0b6d7c8e-1f2a-4b3c-9d4e-5f6a7b8c9d10", 1)
	commitEnded(t, h, &engine.Group{}, n1, n2)
	list(engine.ListFilter{ParentID: p.ID, Nested: true}, n1, n2)
	list(engine.ListFilter{ParentID: p.ID, Nested: true, Status: engine.StatusFailed}, n2)
	list(engine.ListFilter{ParentID: p.ID, Nested: true, BeforeID: get(n2.ARN, n2).ID}, n1)
}

// commitEnded commits a group that writes only the rows ended.
func commitEnded(t *testing.T, h *harness, grp *engine.Group, ended ...*engine.Execution) {
	t.Helper()
	_, err := h.store.CommitGroup(context.Background(), grp, func(map[int64]*engine.Execution) (*engine.GroupWrite, error) {
		return &engine.GroupWrite{Ended: ended, Now: h.clock.Now()}, nil
	})
	if err != nil {
		t.Fatalf("CommitGroup(Ended %d rows) = %v", len(ended), err)
	}
}

// endedRow prints every column of an ended execution but its id, times in
// microseconds.
func endedRow(x *engine.Execution) string {
	us := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.UnixMicro()
	}
	return fmt.Sprintf("%s %s %s v%d %s %s in=%s out=%s err=%s/%s start=%d stop=%d version=%d last=%d state=%q parent=%d/%s redrive=%d/%d/%d",
		x.ARN, x.StateMachine, x.Name, x.StateMachineVersion, x.StateMachineARN, x.Status, x.Input, x.Output, x.Error, x.Cause,
		us(x.StartDate), us(x.StopDate), x.Version, x.LastEventID, x.State, x.ParentID, x.ParentToken,
		x.RedriveCount, us(x.RedriveDate), us(x.RedriveUntil))
}

// rowsByName prints the rows xs by name.
func rowsByName(xs []*engine.Execution) string {
	rows := make([]string, len(xs))
	for i, x := range xs {
		rows[i] = endedRow(x)
	}
	slices.SortFunc(rows, func(a, b string) int {
		return strings.Compare(strings.Fields(a)[2], strings.Fields(b)[2])
	})
	return strings.Join(rows, "\n ")
}

func sameNames(got, want []string) bool {
	slices.Sort(want)
	return slices.Equal(got, want)
}
