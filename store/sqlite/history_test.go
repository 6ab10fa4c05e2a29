package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// TestHistoryChunksMigration writes histories as rows of the version-6
// table history_events, as an older Stepwise did, and checks that Migrate
// moves them into chunks unchanged and drops the old table.
func TestHistoryChunksMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "stepwise.db")
	s, err := sqlite.Open(sqlite.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: s, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(runCtx) }()
	defer func() { stop(); <-done }()
	if _, err := eng.CreateStateMachine(ctx, "p", `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"k":"v"},"Next":"B"},"B":{"Type":"Pass","End":true}}}`, ""); err != nil {
		t.Fatal(err)
	}
	history := func(arn string) []string {
		evs, _, err := eng.GetExecutionHistory(ctx, arn, engine.HistoryInput{MaxResults: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range evs {
			out = append(out, fmt.Sprintf("%d<%d %s %s %s", e.ID, e.PreviousEventID, e.Type, statelang.MarshalString(e.Details), e.Timestamp.UTC().Format(time.RFC3339Nano)))
		}
		return out
	}
	want := map[int64][]string{}
	events := map[int64][]statelang.HistoryEvent{}
	for _, name := range []string{"a", "b", "c"} {
		x, err := eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "p", Name: name, Input: `{"n":1}`})
		if err != nil {
			t.Fatal(err)
		}
		for x.Status == engine.StatusRunning {
			time.Sleep(5 * time.Millisecond)
			if x, err = eng.DescribeExecution(ctx, x.ARN); err != nil {
				t.Fatal(err)
			}
		}
		want[x.ID] = history(x.ARN)
		evs, _, _ := eng.GetExecutionHistory(ctx, x.ARN, engine.HistoryInput{MaxResults: 1000})
		events[x.ID] = evs
	}

	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)") // the engine may still be writing
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE history_events (
		    execution_id INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
		    id INTEGER NOT NULL, previous_event_id INTEGER NOT NULL, type TEXT NOT NULL,
		    timestamp INTEGER NOT NULL, details TEXT, PRIMARY KEY (execution_id, id)) WITHOUT ROWID`); err != nil {
		t.Fatal(err)
	}
	for id, evs := range events {
		for _, e := range evs {
			details := "null"
			if e.Details != nil {
				details = statelang.MarshalString(e.Details)
			}
			if _, err := db.Exec("INSERT INTO history_events VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
				id, e.ID, e.PreviousEventID, e.Type, e.Timestamp.UnixMicro(), details); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := db.Exec("DROP TABLE history_chunks; DELETE FROM stepwise_migrations WHERE version = 7"); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for id := range want {
		x, err := s.GetExecution(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := history(x.ARN); !reflect.DeepEqual(got, want[id]) {
			t.Errorf("execution %d after the migration:\n%v\nwant\n%v", id, got, want[id])
		}
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'history_events'").Scan(&n); err != nil || n != 0 {
		t.Errorf("history_events still there (%d, %v)", n, err)
	}
}
