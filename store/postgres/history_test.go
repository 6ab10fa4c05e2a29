package postgres_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// TestHistoryChunks runs a Map of Tasks, then reads its history in pages
// of every size, both ways, and checks each page against the whole.
func TestHistoryChunks(t *testing.T) {
	h := newHarness(t, map[string]TaskFunc{
		"echo": func(_ engine.Task, in any) (any, *statelang.Failure) { return in, nil },
	}, nil)
	h.machine("m", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:echo","End":true}}}}}}`)
	x := h.start("m", "x1", `[1,2,3,4,5,6,7,8,9,10]`)
	if got := h.wait(x.ARN, 30*time.Second); got.Status != engine.StatusSucceeded {
		t.Fatalf("status %s %s %s", got.Status, got.Error, got.Cause)
	}
	all := h.history(x.ARN)
	checkHistory(t, all)
	var chunks int
	if err := h.pool.QueryRow(context.Background(), "SELECT count(*) FROM history_chunks WHERE execution_id = $1", x.ID).Scan(&chunks); err != nil {
		t.Fatal(err)
	}
	if chunks >= len(all) || chunks < 2 {
		t.Errorf("%d events in %d chunks; want fewer chunks than events, and more than one", len(all), chunks)
	}
	ctx := context.Background()
	for _, size := range []int{1, 2, 3, 7, 100} {
		for _, reverse := range []bool{false, true} {
			var got []statelang.HistoryEvent
			tok := ""
			for {
				evs, next, err := h.eng.GetExecutionHistory(ctx, x.ARN, engine.HistoryInput{MaxResults: size, NextToken: tok, ReverseOrder: reverse})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, evs...)
				if tok = next; tok == "" {
					break
				}
			}
			want := all
			if reverse {
				want = make([]statelang.HistoryEvent, len(all))
				for i, e := range all {
					want[len(all)-1-i] = e
				}
			}
			if !reflect.DeepEqual(ids(got), ids(want)) {
				t.Errorf("pages of %d, reverse %v: ids %v; want %v", size, reverse, ids(got), ids(want))
			}
		}
	}
}

// TestHistoryChunksMigration writes a history as rows of the version-7
// table history_events, as an older Stepwise did, and checks that Migrate
// moves it into chunks unchanged and drops the old table.
func TestHistoryChunksMigration(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.machine("p", `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"k":"v"},"Next":"B"},"B":{"Type":"Pass","End":true}}}`)
	var arns []string
	for _, name := range []string{"a", "b", "c"} {
		x := h.start("p", name, `{"n":1}`)
		h.wait(x.ARN, 10*time.Second)
		arns = append(arns, x.ARN)
	}
	want := map[string][]statelang.HistoryEvent{}
	for _, arn := range arns {
		want[arn] = h.history(arn)
	}
	ctx := context.Background()
	_, err := h.pool.Exec(ctx, `
		CREATE TABLE history_events (
		    execution_id bigint NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
		    id bigint NOT NULL, previous_event_id bigint NOT NULL, type text NOT NULL,
		    timestamp timestamptz NOT NULL, details jsonb, PRIMARY KEY (execution_id, id))`)
	if err != nil {
		t.Fatal(err)
	}
	for _, arn := range arns {
		x, err := h.eng.DescribeExecution(ctx, arn)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range want[arn] {
			var details any
			if e.Details != nil {
				details = statelang.MarshalString(e.Details)
			}
			if _, err := h.pool.Exec(ctx, "INSERT INTO history_events VALUES ($1, $2, $3, $4, $5, $6::text::jsonb)",
				x.ID, e.ID, e.PreviousEventID, e.Type, e.Timestamp, details); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := h.pool.Exec(ctx, "DROP TABLE history_chunks; DELETE FROM stepwise_migrations WHERE version = 8"); err != nil {
		t.Fatal(err)
	}
	if err := h.store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, arn := range arns {
		got := h.history(arn)
		if !reflect.DeepEqual(lines(got), lines(want[arn])) {
			t.Errorf("%s after the migration:\n%v\nwant\n%v", arn, lines(got), lines(want[arn]))
		}
	}
	var old *string
	if err := h.pool.QueryRow(ctx, "SELECT to_regclass('history_events')::text").Scan(&old); err != nil || old != nil {
		t.Errorf("history_events still there (%v, %v)", old, err)
	}
}

func ids(evs []statelang.HistoryEvent) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

// lines are events as comparable text: ids, type, time in microseconds,
// details.
func lines(evs []statelang.HistoryEvent) []string {
	out := eventLines(evs)
	for i, e := range evs {
		out[i] = fmt.Sprintf("%d<%d %s %s", e.ID, e.PreviousEventID, out[i], e.Timestamp.UTC().Format(time.RFC3339Nano))
	}
	return out
}
