package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/conformance"
	"github.com/stepwise-dev/stepwise/statelang"
)

// testConformance runs the pure AWS-recorded scenarios of the shared corpus
// (../shared/conformance/corpus.json) through the engine on the store and
// compares them with AWS as statelang's conformance test does: every
// scenario that passes in memory (engine.RunLocal) must pass durably too.
func testConformance(t *testing.T, newStore NewStore) {
	path := conformance.Path()
	if path == "" {
		t.Skip("../shared/conformance/corpus.json is absent")
	}
	scs, err := conformance.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t)
	eng, err := engine.New(engine.Config{Store: s, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	base := conformance.Names{
		ExecutionName: "exec-conformance", Account: "111111111111", Region: "us-east-1", Partition: "aws",
		RoleArn: "arn:aws:iam::111111111111:role/stepwise-conformance",
	}
	type result struct {
		id             string
		jsonata        bool // a JSONata or Assign scenario
		durable, inMem []string
		err            error
	}
	var (
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
		sem     = make(chan struct{}, 8)
	)
	n := 0
	for _, sc := range scs {
		if !sc.IsPure() || !sc.AWSValidated || sc.WaitSeconds() > 5 {
			continue
		}
		n++
		names := base
		names.StateMachineName = fmt.Sprintf("sm-conf-%d", n)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r := result{id: sc.ID, jsonata: sc.UsesJSONata()}
			r.durable, r.err = runDurable(ctx, eng, sc, names)
			r.inMem = runInMemory(sc, names)
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
		}()
	}
	wg.Wait()
	pass, memPass, jsonata, jsonataPass := 0, 0, 0, 0
	for _, r := range results {
		if r.jsonata {
			jsonata++
		}
		if r.err == nil && len(r.durable) == 0 {
			pass++
			if r.jsonata {
				jsonataPass++
			}
		}
		if len(r.inMem) == 0 {
			memPass++
		}
		if r.err != nil || (len(r.durable) > 0 && len(r.inMem) == 0) {
			t.Errorf("durable run of %s differs from AWS where engine.RunLocal does not: %v %s", r.id, r.err, strings.Join(r.durable, "; "))
		}
	}
	t.Logf("durable conformance: %d of %d pure scenarios pass (in memory: %d; JSONata/Assign: %d of %d)", pass, len(results), memPass, jsonataPass, jsonata)
}

func runInMemory(sc *conformance.Scenario, names conformance.Names) []string {
	m, err := statelang.Parse([]byte(sc.Definition))
	if err != nil {
		return []string{err.Error()}
	}
	var input any = map[string]any{}
	if sc.Input != nil {
		if input, err = statelang.ParseJSON([]byte(*sc.Input)); err != nil {
			return []string{err.Error()}
		}
	}
	res := engine.RunLocal(m, input, engine.LocalOptions{ExecutionName: names.ExecutionName, StateMachineName: names.StateMachineName,
		Region: names.Region, Account: names.Account, RoleArn: names.RoleArn})
	out := conformance.Outcome{Status: res.Status}
	if res.Status == engine.StatusSucceeded {
		out.Output = statelang.MarshalString(res.Output)
	}
	if res.Failure != nil {
		out.Error, out.Cause = res.Failure.Name, res.Failure.Cause
	}
	return conformance.Compare(sc, out, names)
}

func runDurable(ctx context.Context, eng *engine.Engine, sc *conformance.Scenario, names conformance.Names) ([]string, error) {
	if _, err := eng.CreateStateMachine(ctx, names.StateMachineName, sc.Definition, names.RoleArn); err != nil {
		return []string{"create: " + err.Error()}, nil
	}
	input := "{}"
	if sc.Input != nil {
		input = *sc.Input
	}
	x, err := eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: names.StateMachineName, Name: names.ExecutionName, Input: input})
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for x.Status == engine.StatusRunning {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("still RUNNING after 60s")
		}
		time.Sleep(20 * time.Millisecond)
		if x, err = eng.DescribeExecution(ctx, x.ARN); err != nil {
			return nil, err
		}
	}
	out := conformance.Outcome{Status: x.Status, Output: x.Output, Error: x.Error, Cause: x.Cause}
	if x.Status != engine.StatusSucceeded {
		out.Output = ""
	}
	evs, _, err := eng.GetExecutionHistory(ctx, x.ARN, engine.HistoryInput{})
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		out.Events = append(out.Events, string(e.Type))
	}
	return conformance.Compare(sc, out, names), nil
}
