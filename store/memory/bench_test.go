package memory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/store/memory"
)

// The benchmarks run the same machines through engine.RunLocal (no
// store) and through an Engine on this store, to tell what a run over the
// store would cost an in-memory runner: chain is n Pass states, or n Task
// states answered at once.
func chain(n int, task bool) []byte {
	states := map[string]any{}
	for i := range n {
		s := map[string]any{"Type": "Pass"}
		if task {
			s = map[string]any{"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:echo"}
		}
		if i == n-1 {
			s["End"] = true
		} else {
			s["Next"] = "S" + strconv.Itoa(i+1)
		}
		states["S"+strconv.Itoa(i)] = s
	}
	b, _ := json.Marshal(map[string]any{"StartAt": "S0", "States": states})
	return b
}

func BenchmarkRunLocalPass100(b *testing.B) { benchLocal(b, chain(100, false)) }
func BenchmarkRunLocalTask10(b *testing.B)  { benchLocal(b, chain(10, true)) }
func BenchmarkEnginePass100(b *testing.B)   { benchEngine(b, chain(100, false), 0) }
func BenchmarkEngineTask10(b *testing.B)    { benchEngine(b, chain(10, true), 10) }

func benchLocal(b *testing.B, def []byte) {
	m, err := statelang.Parse(def)
	if err != nil {
		b.Fatal(err)
	}
	echo := func(_ engine.Task, in any) (any, *statelang.Failure) { return in, nil }
	b.ReportAllocs()
	for b.Loop() {
		if res := engine.RunLocal(m, map[string]any{"n": int64(1)}, engine.LocalOptions{Task: echo}); res.Status != engine.StatusSucceeded {
			b.Fatalf("RunLocal = %s %v", res.Status, res.Failure)
		}
	}
}

// tokens is a dispatcher handing tasks to the benchmark's loop.
type tokens chan string

func (c tokens) Dispatch(_ context.Context, t engine.Task) (bool, error) {
	c <- t.Token
	return false, nil
}

// benchEngine runs def, answering its tasks (one at a time) as they come.
func benchEngine(b *testing.B, def []byte, tasks int) {
	ctx := context.Background()
	q := make(tokens, 16)
	eng, err := engine.New(engine.Config{Store: memory.New(), Dispatcher: q})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := eng.CreateStateMachine(ctx, "m", string(def), "arn:aws:iam::111111111111:role/bench"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		x, err := eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "m", Name: fmt.Sprint(i), Input: `{"n":1}`})
		if err != nil {
			b.Fatal(err)
		}
		for range tasks {
			if err := eng.SendTaskSuccess(ctx, <-q, `{"n":1}`); err != nil {
				b.Fatal(err)
			}
		}
		for x.Status == engine.StatusRunning {
			if x, err = eng.DescribeExecution(ctx, x.ARN); err != nil {
				b.Fatal(err)
			}
		}
		if x.Status != engine.StatusSucceeded {
			b.Fatalf("execution %s: %s %s", x.Name, x.Status, x.Cause)
		}
	}
}
