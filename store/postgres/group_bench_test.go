package postgres_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
	"github.com/stepwise-dev/stepwise/statelang"
)

// BenchmarkStepWrite compares the two ways one step of one execution is
// written at concurrency 1: Commit (the version-checked batch, after a
// separate read) and CommitGroup (BEGIN and the locking read, then the
// writes and COMMIT). Each op writes one event and moves the version.
func BenchmarkStepWrite(b *testing.B) {
	ctx := context.Background()
	st, _ := pgtest.Store(b)
	now := time.Now()
	sm, err := st.CreateStateMachine(ctx, engine.StateMachine{Name: "m", ARN: "arn:m", Definition: "{}", CreatedAt: now})
	if err != nil {
		b.Fatal(err)
	}
	x, err := st.CreateExecution(ctx, &engine.Execution{ARN: "arn:x", Name: "x", StateMachine: sm.Name, StateMachineVersion: 1,
		StateMachineARN: sm.ARN, Status: engine.StatusRunning, Input: "{}", StartDate: now, State: []byte("{}")},
		func(id int64) (*engine.Mutation, error) {
			return &engine.Mutation{ExecutionID: id, Status: engine.StatusRunning, State: []byte("{}"), LastEventID: 1,
				Events: []statelang.HistoryEvent{{ID: 1, Type: "ExecutionStarted", Timestamp: now}}}, nil
		})
	if err != nil {
		b.Fatal(err)
	}
	state := []byte(`{"s":1}`)
	if n, _ := strconv.Atoi(os.Getenv("STEPWISE_BENCH_STATE_BYTES")); n > 0 {
		state = []byte(`{"s":"` + strings.Repeat("ab", n/2) + `"}`)
	}
	step := func(x *engine.Execution) *engine.Mutation {
		ev := x.LastEventID + 1
		return &engine.Mutation{ExecutionID: x.ID, Version: x.Version, Status: engine.StatusRunning, State: state,
			LastEventID: ev, Events: []statelang.HistoryEvent{{ID: ev, PreviousEventID: ev - 1, Type: "PassStateEntered", Timestamp: now}}}
	}
	b.Run("commit", func(b *testing.B) {
		for range b.N {
			cur, err := st.GetExecution(ctx, x.ID)
			if err != nil {
				b.Fatal(err)
			}
			if err := st.Commit(ctx, step(cur)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("group", func(b *testing.B) {
		for range b.N {
			_, err := st.CommitGroup(ctx, &engine.Group{IDs: []int64{x.ID}}, func(xs map[int64]*engine.Execution) (*engine.GroupWrite, error) {
				return &engine.GroupWrite{Mutations: []*engine.Mutation{step(xs[x.ID])}}, nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
