package awsjson

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/stepwise-dev/stepwise/statelang"
)

type testStateInput struct {
	Definition         *string             `json:"definition"`
	RoleArn            *string             `json:"roleArn"`
	Input              *string             `json:"input"`
	InspectionLevel    *string             `json:"inspectionLevel"`
	RevealSecrets      *bool               `json:"revealSecrets"`
	Variables          *string             `json:"variables"`
	StateName          *string             `json:"stateName"`
	Mock               *testStateMock      `json:"mock"`
	Context            *string             `json:"context"`
	StateConfiguration *testStateConfigReq `json:"stateConfiguration"`
}

type testStateMock struct {
	Result      *string `json:"result"`
	ErrorOutput *struct {
		Error *string `json:"error"`
		Cause *string `json:"cause"`
	} `json:"errorOutput"`
	FieldValidationMode *string `json:"fieldValidationMode"`
}

type testStateConfigReq struct {
	RetrierRetryCount        *int64  `json:"retrierRetryCount"`
	ErrorCausedByState       *string `json:"errorCausedByState"`
	MapIterationFailureCount *int64  `json:"mapIterationFailureCount"`
	MapItemReaderData        *string `json:"mapItemReaderData"`
}

type testStateOutput struct {
	Output         *string         `json:"output,omitempty"`
	Error          string          `json:"error,omitempty"`
	Cause          string          `json:"cause,omitempty"`
	InspectionData *inspectionData `json:"inspectionData,omitempty"`
	NextState      string          `json:"nextState,omitempty"`
	Status         string          `json:"status"`
}

// inspectionData carries every value as JSON text, as AWS does, except the
// Map's numbers.
type inspectionData struct {
	Input                      *string       `json:"input,omitempty"`
	AfterInputPath             *string       `json:"afterInputPath,omitempty"`
	AfterParameters            *string       `json:"afterParameters,omitempty"`
	AfterArguments             *string       `json:"afterArguments,omitempty"`
	Result                     *string       `json:"result,omitempty"`
	AfterResultSelector        *string       `json:"afterResultSelector,omitempty"`
	AfterResultPath            *string       `json:"afterResultPath,omitempty"`
	AfterItemsPath             *string       `json:"afterItemsPath,omitempty"`
	AfterItemSelector          *string       `json:"afterItemSelector,omitempty"`
	Variables                  *string       `json:"variables,omitempty"`
	ErrorDetails               *errorDetails `json:"errorDetails,omitempty"`
	MaxConcurrency             *int64        `json:"maxConcurrency,omitempty"`
	ToleratedFailureCount      *int64        `json:"toleratedFailureCount,omitempty"`
	ToleratedFailurePercentage *percentage   `json:"toleratedFailurePercentage,omitempty"`
}

type errorDetails struct {
	CatchIndex                  *int64 `json:"catchIndex,omitempty"`
	RetryIndex                  *int64 `json:"retryIndex,omitempty"`
	RetryBackoffIntervalSeconds *int64 `json:"retryBackoffIntervalSeconds,omitempty"`
}

// percentage is a float AWS always writes with a fraction (1.0).
type percentage float64

func (p percentage) MarshalJSON() ([]byte, error) {
	s := strconv.FormatFloat(float64(p), 'f', -1, 64)
	if float64(p) == float64(int64(p)) {
		s += ".0"
	}
	return []byte(s), nil
}

// testStateExprTime is what the JSONata expressions of a tested state may
// take together.
const testStateExprTime = 2 * time.Second

// testState runs one state in memory (statelang.TestState): nothing is
// stored and the engine is not involved.
func (h *handler) testState(ctx context.Context, in *testStateInput) (*testStateOutput, error) {
	var v violations
	v.length(in.Definition, "definition", 1, statelang.MaxDefinitionBytes, true)
	v.length(in.RoleArn, "roleArn", 1, 256, false)
	v.length(in.Input, "input", 0, statelang.MaxPayloadBytes, false)
	v.enum(in.InspectionLevel, "inspectionLevel", statelang.LevelInfo, statelang.LevelDebug, statelang.LevelTrace)
	v.length(in.Variables, "variables", 0, statelang.MaxPayloadBytes, false)
	v.length(in.StateName, "stateName", 1, 80, false)
	v.length(in.Context, "context", 0, statelang.MaxPayloadBytes, false)
	tin := &statelang.TestInput{
		Definition: deref(in.Definition), StateName: deref(in.StateName), Input: in.Input,
		Level: deref(in.InspectionLevel), RevealSecrets: in.RevealSecrets != nil && *in.RevealSecrets,
		Variables: in.Variables, Context: in.Context, RoleArn: deref(in.RoleArn),
		Now: time.Now(), Region: h.cfg.Region, Account: h.cfg.Account,
	}
	if m := in.Mock; m != nil {
		v.length(m.Result, "mock.result", 0, statelang.MaxPayloadBytes, false)
		v.enum(m.FieldValidationMode, "mock.fieldValidationMode", "STRICT", "PRESENT", "NONE")
		tin.Mock = &statelang.TestMock{Result: m.Result, FieldValidationMode: deref(m.FieldValidationMode)}
		if e := m.ErrorOutput; e != nil {
			v.length(e.Error, "mock.errorOutput.error", 0, 256, false)
			v.length(e.Cause, "mock.errorOutput.cause", 0, statelang.MaxCauseBytes, false)
			tin.Mock.Error = &statelang.Failure{Name: deref(e.Error), Cause: deref(e.Cause)}
		}
	}
	if c := in.StateConfiguration; c != nil {
		v.nonNegative(c.RetrierRetryCount, "stateConfiguration.retrierRetryCount")
		v.nonNegative(c.MapIterationFailureCount, "stateConfiguration.mapIterationFailureCount")
		v.length(c.ErrorCausedByState, "stateConfiguration.errorCausedByState", 1, 80, false)
		v.length(c.MapItemReaderData, "stateConfiguration.mapItemReaderData", 0, statelang.MaxPayloadBytes, false)
		tin.Config = statelang.TestConfig{
			RetrierRetryCount: c.RetrierRetryCount, ErrorCausedByState: deref(c.ErrorCausedByState),
			MapIterationFailureCount: c.MapIterationFailureCount, MapItemReaderData: c.MapItemReaderData,
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	// The state's JSONata expressions share 2 s, as in an execution
	// (engine.stateExprTime): one request cannot hold a core for long.
	deadline := time.Now().Add(testStateExprTime)
	env := &statelang.Env{Random: rand.Float64, UUID: requestID, ExprTime: func() time.Duration { return time.Until(deadline) }}
	res, err := statelang.TestState(tin, env)
	if err != nil {
		var te *statelang.TestError
		var ds statelang.Diagnostics
		switch {
		case errors.As(err, &te):
			return nil, apiErr(te.Code, te.Message)
		case errors.As(err, &ds):
			return nil, definitionError(ds)
		}
		return nil, err
	}
	out := &testStateOutput{Status: res.Status, NextState: res.NextState}
	if res.HasOutput {
		out.Output = jsonText(&statelang.Data{V: res.Output})
	}
	if res.Failure != nil {
		out.Error, out.Cause = res.Failure.Name, res.Failure.Cause
	}
	if ins := res.Inspection; ins != nil {
		out.InspectionData = &inspectionData{
			Input: jsonText(ins.Input), AfterInputPath: jsonText(ins.AfterInputPath),
			AfterParameters: jsonText(ins.AfterParameters), AfterArguments: jsonText(ins.AfterArguments),
			Result: jsonText(ins.Result), AfterResultSelector: jsonText(ins.AfterResultSelector),
			AfterResultPath: jsonText(ins.AfterResultPath), AfterItemsPath: jsonText(ins.AfterItemsPath),
			AfterItemSelector: jsonText(ins.AfterItemSelector), Variables: jsonText(ins.Variables),
			MaxConcurrency: ins.MaxConcurrency, ToleratedFailureCount: ins.ToleratedFailureCount,
		}
		if p := ins.ToleratedFailurePercentage; p != nil {
			out.InspectionData.ToleratedFailurePercentage = (*percentage)(p)
		}
		if d := ins.ErrorDetails; d != nil {
			out.InspectionData.ErrorDetails = &errorDetails{CatchIndex: d.CatchIndex, RetryIndex: d.RetryIndex, RetryBackoffIntervalSeconds: d.RetryBackoffIntervalSeconds}
		}
	}
	return out, nil
}

// jsonText is an inspection value as the JSON text AWS sends, or nil.
func jsonText(d *statelang.Data) *string {
	if d == nil {
		return nil
	}
	s := statelang.MarshalString(d.V)
	return &s
}
