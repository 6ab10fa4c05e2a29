package crashtest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// execMachine passes, chooses, waits, then runs an activity and an inline
// Map of activities in parallel.
const execMachine = `{"StartAt":"Prep","States":{
  "Prep":{"Type":"Pass","Parameters":{"x.$":"$.x","items.$":"$.items"},"Next":"Check"},
  "Check":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericGreaterThanEquals":0,"Next":"Pause"}],"Default":"Bad"},
  "Bad":{"Type":"Fail","Error":"Negative"},
  "Pause":{"Type":"Wait","Seconds":1,"Next":"Fan"},
  "Fan":{"Type":"Parallel","Next":"Shape","Branches":[
    {"StartAt":"DoubleX","States":{"DoubleX":{"Type":"Task","Resource":"` + activity + `double","InputPath":"$.x","End":true}}},
    {"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,"End":true,
      "ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"` + activity + `double","End":true}}}}}}]},
  "Shape":{"Type":"Pass","Parameters":{"x2.$":"$[0]","items2.$":"$[1]"},"End":true}}}`

// Executions starts n executions of a machine with a Wait, a Parallel,
// an inline Map and four activity tasks while the engine is SIGKILLed six
// times: every execution succeeds with its output, its history has no
// gap and no duplicate, and every task ran and succeeded exactly once.
func Executions(t *testing.T, tgt Target, n int) {
	r := newRig(t, tgt)
	r.machine("crash", execMachine)
	xs := r.survive(load{n: n, machine: always("crash"), name: func(i int) string { return fmt.Sprintf("e%03d", i) },
		input: func(i int) string { return fmt.Sprintf(`{"x":%d,"items":[%d,%d,%d]}`, i, i, i+1, i+2) },
		gap:   10 * time.Millisecond, kills: 6, least: 300 * time.Millisecond, spread: 1200 * time.Millisecond})
	for i, x := range xs {
		if !r.succeeded(x, fmt.Sprintf(`{"items2":[%d,%d,%d],"x2":%d}`, 2*i, 2*(i+1), 2*(i+2), 2*i)) {
			continue
		}
		arn := x.ARN
		evs := r.history(arn)
		seen := map[string]bool{}
		for _, e := range evs {
			// The same state entered twice with the same input is a
			// duplicate in this machine (only the Map's iterations and
			// their Task states repeat a state).
			key := e.Type + " " + fmt.Sprint(e.Details)
			if strings.HasSuffix(e.Type, "Entered") && seen[key] && !strings.Contains(key, "Map") && e.Type != "TaskStateEntered" {
				t.Errorf("%s: duplicate event %s", arn, key)
			}
			seen[key] = true
		}
		c := eventCounts(evs)
		if c["ActivityScheduled"] != 4 || c["ActivitySucceeded"] != 4 || c["ExecutionSucceeded"] != 1 {
			t.Errorf("%s: %d activities scheduled, %d succeeded, %d ExecutionSucceeded; want 4, 4, 1",
				arn, c["ActivityScheduled"], c["ActivitySucceeded"], c["ExecutionSucceeded"])
		}
	}
	if bad := r.count(`SELECT count(*) FROM tasks WHERE status <> 'SUCCEEDED'`); bad != 0 {
		t.Errorf("%d tasks not SUCCEEDED; want 0", bad)
	}
	if done := r.count(`SELECT count(*) FROM tasks WHERE status = 'SUCCEEDED'`); done != int64(4*n) {
		t.Errorf("%d tasks SUCCEEDED; want %d", done, 4*n)
	}
}

// Children starts n parents whose inline Map iterations each wait for a
// child execution (states:startExecution.sync:2) that waits and runs an
// activity, while the engine is SIGKILLed five times: every parent sees
// each child's result exactly once, and no child is started twice.
func Children(t *testing.T, tgt Target, n int) {
	r := newRig(t, tgt)
	kid := r.machine("kid", `{"StartAt":"W","States":{
		"W":{"Type":"Wait","Seconds":1,"Next":"T"},
		"T":{"Type":"Task","Resource":"`+activity+`double","End":true}}}`)
	r.machine("mom", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
		"ItemProcessor":{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
		"Parameters":{"StateMachineArn":"`+kid.ARN+`","Input.$":"$"},"OutputPath":"$.Output","End":true}}}}}}`)
	xs := r.survive(load{n: n, machine: always("mom"), name: func(i int) string { return fmt.Sprintf("p%03d", i) },
		input: func(i int) string { return fmt.Sprintf(`[%d,%d,%d]`, 3*i, 3*i+1, 3*i+2) },
		gap:   20 * time.Millisecond, kills: 5, least: 300 * time.Millisecond, spread: 900 * time.Millisecond})
	for i, x := range xs {
		if !r.succeeded(x, fmt.Sprintf(`[%d,%d,%d]`, 6*i, 2*(3*i+1), 2*(3*i+2))) {
			continue
		}
		arn := x.ARN
		if c := eventCounts(r.history(arn)); c["TaskSucceeded"]+c["TaskFailed"] != 3 {
			t.Errorf("%s: %d child results in the history; want 3", arn, c["TaskSucceeded"]+c["TaskFailed"])
		}
	}
	kids := r.count(`SELECT count(*) FROM executions WHERE state_machine = 'kid'`)
	parented := r.count(`SELECT count(DISTINCT parent_token) FROM executions WHERE state_machine = 'kid'`)
	if kids != int64(3*n) || parented != kids {
		t.Errorf("%d child executions (%d distinct parent tasks); want %d", kids, parented, 3*n)
	}
	if bad := r.count(`SELECT count(*) FROM tasks WHERE status <> 'SUCCEEDED'`); bad != 0 {
		t.Errorf("%d tasks not SUCCEEDED exactly once; want 0", bad)
	}
}
