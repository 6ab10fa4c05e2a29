package awsjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/stepwise-dev/stepwise/api/limits"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/telemetry"
)

// executionError maps an engine error of an operation on the execution
// named by arn.
func executionError(err error, arn string) error {
	if errors.Is(err, engine.ErrNotFound) {
		return errExecutionDoesNotExist(arn)
	}
	return err
}

// checkLimits checks fields (name, value, name, value, ...) against
// package limits, which holds what the per-operation checks here do not
// (a NUL where the store cannot keep one): the first problem as an AWS
// error, else nil.
func checkLimits(fieldValues ...string) error {
	for i := 0; i+1 < len(fieldValues); i += 2 {
		if p := limits.Check(fieldValues[i], fieldValues[i+1]); p != nil {
			return apiErr(p.Code, p.Message)
		}
	}
	return nil
}

type startExecutionInput struct {
	StateMachineArn *string `json:"stateMachineArn"`
	Name            *string `json:"name"`
	Input           *string `json:"input"`
	TraceHeader     *string `json:"traceHeader"`
}

type startExecutionOutput struct {
	ExecutionArn string `json:"executionArn"`
	StartDate    *epoch `json:"startDate"`
}

func (h *handler) startExecution(ctx context.Context, in *startExecutionInput) (*startExecutionOutput, error) {
	x, err := h.start(ctx, in, false)
	if err != nil {
		return nil, err
	}
	if x.ID != 0 {
		telemetry.LinkStart(ctx, x.ID) // an express execution has no row
	}
	return &startExecutionOutput{ExecutionArn: x.ARN, StartDate: timePtr(x.StartDate)}, nil
}

type startSyncExecutionOutput struct {
	ExecutionArn    string  `json:"executionArn"`
	StateMachineArn string  `json:"stateMachineArn"`
	Name            string  `json:"name"`
	StartDate       *epoch  `json:"startDate"`
	StopDate        *epoch  `json:"stopDate"`
	Status          string  `json:"status"`
	Error           *string `json:"error,omitempty"`
	Cause           *string `json:"cause,omitempty"`
	payloads
	TraceHeader    string          `json:"traceHeader,omitempty"`
	BillingDetails *billingDetails `json:"billingDetails"`
}

// billingDetails is what AWS would bill an express execution: memory in
// 64 MB steps (what it keeps of its state is not measured: 64) and its
// duration rounded up to 100 ms.
type billingDetails struct {
	BilledMemoryUsedInMB         int64 `json:"billedMemoryUsedInMB"`
	BilledDurationInMilliseconds int64 `json:"billedDurationInMilliseconds"`
}

// startSyncExecution runs an EXPRESS execution and answers its outcome
// (a failed execution is a 200 answer too, as on AWS).
func (h *handler) startSyncExecution(ctx context.Context, in *startSyncExecutionInput) (*startSyncExecutionOutput, error) {
	var v violations
	v.enum(in.IncludedData, "includedData", "ALL_DATA", "METADATA_ONLY")
	if err := v.err(); err != nil {
		return nil, err
	}
	x, err := h.start(ctx, &in.startExecutionInput, true)
	if err != nil {
		return nil, err
	}
	ms := x.StopDate.Sub(x.StartDate).Milliseconds()
	out := &startSyncExecutionOutput{ExecutionArn: x.ARN, StateMachineArn: x.StateMachineARN, Name: x.Name,
		StartDate: timePtr(x.StartDate), StopDate: timePtr(x.StopDate), Status: x.Status,
		Error: nonEmpty(x.Error), Cause: nonEmpty(x.Cause), TraceHeader: deref(in.TraceHeader),
		BillingDetails: &billingDetails{BilledMemoryUsedInMB: 64, BilledDurationInMilliseconds: max(100, (ms+99)/100*100)}}
	out.payloads.fill(x, in.IncludedData)
	return out, nil
}

type startSyncExecutionInput struct {
	startExecutionInput
	IncludedData *string `json:"includedData"`
}

// start starts an execution for StartExecution, or for
// StartSyncExecution (sync) and waits for its end.
func (h *handler) start(ctx context.Context, in *startExecutionInput, sync bool) (*engine.Execution, error) {
	var v violations
	v.length(in.StateMachineArn, "stateMachineArn", 1, 256, true)
	v.length(in.Name, "name", 1, 80, false)
	v.length(in.Input, "input", 0, statelang.MaxPayloadBytes, false)
	v.length(in.TraceHeader, "traceHeader", 0, 256, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	start, err := h.startTarget(ctx, *in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	name := start.StateMachine
	if in.Name != nil && !validName(*in.Name) {
		return nil, errInvalidName(*in.Name)
	}
	if in.Input != nil && *in.Input != "" {
		if why := jsonProblem(*in.Input); why != "" {
			return nil, errInvalidExecutionInput(why)
		}
	}
	start.Name, start.Input, start.Sync = deref(in.Name), deref(in.Input), sync
	x, err := h.eng.StartExecution(ctx, start)
	switch {
	case errors.Is(err, engine.ErrNotExpress):
		return nil, apiErr("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
	case errors.Is(err, engine.ErrExecutionAlreadyExists):
		return nil, errExecutionAlreadyExists(h.executionARN(name, deref(in.Name)))
	case errors.Is(err, engine.ErrNotFound):
		return nil, errStateMachineDoesNotExist(*in.StateMachineArn)
	case errors.Is(err, engine.ErrInvalidInput):
		return nil, errInvalidExecutionInput(strings.TrimPrefix(err.Error(), engine.ErrInvalidInput.Error()+": "))
	case err != nil:
		return nil, err
	}
	return x, nil
}

// jsonProblem returns "" when s is one JSON value, else what is wrong with
// it, worded like the (Jackson) messages AWS returns.
func jsonProblem(s string) string {
	dec := json.NewDecoder(strings.NewReader(s))
	var v json.RawMessage
	err := dec.Decode(&v)
	if err == nil {
		if _, err2 := dec.Token(); err2 == nil {
			return "Unexpected content after the end of the JSON value"
		}
		return ""
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		msg := se.Error()
		c := ' '
		if i := int(se.Offset) - 1; i >= 0 && i < len(s) {
			c = rune(s[i])
		}
		unexpected := "Unexpected character ('" + string(c) + "' (code " + itoa(int(c)) + "))"
		switch {
		case strings.Contains(msg, "looking for beginning of object key string"):
			return unexpected + ": was expecting double-quote to start field name"
		case strings.Contains(msg, "looking for beginning of value"):
			return unexpected + ": expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
		case strings.Contains(msg, "after object key"):
			return unexpected + ": was expecting a colon to separate field name and value"
		case strings.Contains(msg, "after object key:value pair"):
			return unexpected + ": was expecting comma to separate Object entries"
		case strings.Contains(msg, "after array element"):
			return unexpected + ": was expecting comma to separate Array entries"
		}
		return unexpected + ": " + msg
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "Unexpected end-of-input"
	}
	return err.Error()
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

type executionArnInput struct {
	ExecutionArn *string `json:"executionArn"`
	IncludedData *string `json:"includedData"`
}

type dataDetails struct {
	Included bool `json:"included"`
}

// payloads are an execution's input and output as DescribeExecution and
// StartSyncExecution show them.
type payloads struct {
	Input         *string      `json:"input,omitempty"`
	InputDetails  *dataDetails `json:"inputDetails,omitempty"`
	Output        *string      `json:"output,omitempty"`
	OutputDetails *dataDetails `json:"outputDetails,omitempty"`
}

// fill sets x's input, and its output once it succeeded, unless
// includedData is METADATA_ONLY.
func (p *payloads) fill(x *engine.Execution, includedData *string) {
	if includedData != nil && *includedData == "METADATA_ONLY" {
		return
	}
	p.Input, p.InputDetails = &x.Input, &dataDetails{Included: true}
	if x.Status == engine.StatusSucceeded {
		p.Output, p.OutputDetails = &x.Output, &dataDetails{Included: true}
	}
}

type describeExecutionOutput struct {
	ExecutionArn    string `json:"executionArn"`
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Status          string `json:"status"`
	StartDate       *epoch `json:"startDate"`
	StopDate        *epoch `json:"stopDate,omitempty"`
	payloads
	Error         *string `json:"error,omitempty"`
	Cause         *string `json:"cause,omitempty"`
	RedriveCount  int     `json:"redriveCount"`
	RedriveStatus string  `json:"redriveStatus"`
	// MapRunArn: the Map Run that started it (a distributed Map's child).
	MapRunArn string `json:"mapRunArn,omitempty"`
	// The redrives (redrive.go).
	RedriveDate         *epoch  `json:"redriveDate,omitempty"`
	RedriveStatusReason *string `json:"redriveStatusReason,omitempty"`
	// The version and alias it was started through (versions.go).
	StateMachineVersionArn string `json:"stateMachineVersionArn,omitempty"`
	StateMachineAliasArn   string `json:"stateMachineAliasArn,omitempty"`
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (h *handler) lookupExecution(ctx context.Context, in *executionArnInput) (*engine.Execution, error) {
	var v violations
	v.length(in.ExecutionArn, "executionArn", 1, 256, true)
	v.enum(in.IncludedData, "includedData", "ALL_DATA", "METADATA_ONLY")
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkExecutionARN(*in.ExecutionArn); err != nil {
		return nil, err
	}
	x, err := h.eng.DescribeExecution(ctx, *in.ExecutionArn)
	if err != nil {
		return nil, executionError(err, *in.ExecutionArn)
	}
	return x, nil
}

func (h *handler) describeExecution(ctx context.Context, in *executionArnInput) (*describeExecutionOutput, error) {
	x, err := h.lookupExecution(ctx, in)
	if err != nil {
		return nil, err
	}
	out := &describeExecutionOutput{
		ExecutionArn: x.ARN, StateMachineArn: h.stateMachineARN(x.StateMachine), Name: x.Name, Status: x.Status,
		StartDate: timePtr(x.StartDate), StopDate: timePtr(x.StopDate),
		Error: nonEmpty(x.Error), Cause: nonEmpty(x.Cause),
	}
	if err := h.describeRedrive(ctx, out, x); err != nil {
		return nil, err
	}
	if out.StateMachineVersionArn, out.StateMachineAliasArn, err = h.routeARNs(ctx, x); err != nil {
		return nil, err
	}
	if x.ParentID != 0 && strings.Contains(x.StateMachine, "/") { // a distributed Map's child
		if _, out.MapRunArn, err = h.eng.ParentOf(ctx, x); err != nil && !errors.Is(err, engine.ErrNotFound) {
			return nil, err
		}
	}
	out.payloads.fill(x, in.IncludedData)
	return out, nil
}

type listExecutionsInput struct {
	StateMachineArn *string `json:"stateMachineArn"`
	StatusFilter    *string `json:"statusFilter"`
	MaxResults      *int    `json:"maxResults"`
	NextToken       *string `json:"nextToken"`
	MapRunArn       *string `json:"mapRunArn"`
	RedriveFilter   *string `json:"redriveFilter"`
}

type executionListItem struct {
	ExecutionArn    string `json:"executionArn"`
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Status          string `json:"status"`
	StartDate       *epoch `json:"startDate"`
	StopDate        *epoch `json:"stopDate,omitempty"`
	// The version and alias it was started through (versions.go).
	StateMachineVersionArn string `json:"stateMachineVersionArn,omitempty"`
	StateMachineAliasArn   string `json:"stateMachineAliasArn,omitempty"`
	// With mapRunArn only: the Map Run and the child's number of items.
	MapRunArn string `json:"mapRunArn,omitempty"`
	ItemCount *int   `json:"itemCount,omitempty"`
	// The redrives (redrive.go).
	RedriveCount *int   `json:"redriveCount,omitempty"`
	RedriveDate  *epoch `json:"redriveDate,omitempty"`
}

type listExecutionsOutput struct {
	Executions []executionListItem `json:"executions"`
	NextToken  string              `json:"nextToken,omitempty"`
}

func (h *handler) listExecutions(ctx context.Context, in *listExecutionsInput) (*listExecutionsOutput, error) {
	var v violations
	v.length(in.StateMachineArn, "stateMachineArn", 1, 256, false)
	v.enum(in.StatusFilter, "statusFilter", "SUCCEEDED", "TIMED_OUT", "PENDING_REDRIVE", "ABORTED", "FAILED", "RUNNING")
	v.maxResults(in.MaxResults, "maxResults", 1000)
	v.length(in.NextToken, "nextToken", 1, 3096, false)
	v.length(in.MapRunArn, "mapRunArn", 1, 2000, false)
	v.enum(in.RedriveFilter, "redriveFilter", "REDRIVEN", "NOT_REDRIVEN")
	if err := v.err(); err != nil {
		return nil, err
	}
	if in.MapRunArn != nil && in.StateMachineArn != nil {
		return nil, apiErr("ValidationException", "Must provide a StateMachine ARN or MapRun ARN, not both")
	}
	if in.MapRunArn != nil {
		return h.listMapRunExecutions(ctx, in)
	}
	if in.StateMachineArn == nil {
		return nil, apiErr("ValidationException", "Must provide a StateMachine ARN or MapRun ARN")
	}
	t, err := h.target(*in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if _, err := h.eng.DescribeStateMachine(ctx, t.Name, 0); err != nil {
		return nil, machineError(err, *in.StateMachineArn)
	}
	filter, err := h.executionFilter(ctx, t, *in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	out := &listExecutionsOutput{Executions: []executionListItem{}}
	xs, next, err := h.eng.ListExecutions(ctx, engine.ListExecutionsInput{
		StateMachine: t.Name, Status: deref(in.StatusFilter), MaxResults: deref(in.MaxResults), NextToken: deref(in.NextToken),
		Filter: filter,
	})
	if err != nil {
		return nil, pageError(err)
	}
	out.NextToken = next
	for _, x := range redriveFiltered(xs, in.RedriveFilter) {
		item := executionListItem{
			ExecutionArn: x.ARN, StateMachineArn: h.stateMachineARN(x.StateMachine), Name: x.Name, Status: x.Status,
			StartDate: timePtr(x.StartDate), StopDate: timePtr(x.StopDate),
		}
		listRedrive(&item, x)
		if item.StateMachineVersionArn, item.StateMachineAliasArn, err = h.routeARNs(ctx, x); err != nil {
			return nil, err
		}
		out.Executions = append(out.Executions, item)
	}
	return out, nil
}

type stopExecutionInput struct {
	ExecutionArn *string `json:"executionArn"`
	Error        *string `json:"error"`
	Cause        *string `json:"cause"`
}

type stopExecutionOutput struct {
	StopDate *epoch `json:"stopDate"`
}

// stopExecution aborts a running execution. Stopping one that has already
// ended changes nothing and answers its stop date.
func (h *handler) stopExecution(ctx context.Context, in *stopExecutionInput) (*stopExecutionOutput, error) {
	var v violations
	v.length(in.ExecutionArn, "executionArn", 1, 256, true)
	v.length(in.Error, "error", 0, 256, false)
	v.length(in.Cause, "cause", 0, 32768, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkLimits("error", deref(in.Error), "cause", deref(in.Cause)); err != nil {
		return nil, err
	}
	if err := checkExecutionARN(*in.ExecutionArn); err != nil {
		return nil, err
	}
	x, err := h.eng.StopExecution(ctx, *in.ExecutionArn, deref(in.Error), deref(in.Cause))
	if errors.Is(err, engine.ErrExecutionNotRunning) {
		x, err = h.eng.DescribeExecution(ctx, *in.ExecutionArn)
	}
	if err != nil {
		return nil, executionError(err, *in.ExecutionArn)
	}
	return &stopExecutionOutput{StopDate: timePtr(x.StopDate)}, nil
}

type getExecutionHistoryInput struct {
	ExecutionArn         *string `json:"executionArn"`
	MaxResults           *int    `json:"maxResults"`
	ReverseOrder         bool    `json:"reverseOrder"`
	NextToken            *string `json:"nextToken"`
	IncludeExecutionData *bool   `json:"includeExecutionData"`
}

type getExecutionHistoryOutput struct {
	Events    []json.RawMessage `json:"events"`
	NextToken string            `json:"nextToken,omitempty"`
}

func (h *handler) getExecutionHistory(ctx context.Context, in *getExecutionHistoryInput) (*getExecutionHistoryOutput, error) {
	var v violations
	v.length(in.ExecutionArn, "executionArn", 1, 256, true)
	v.maxResults(in.MaxResults, "maxResults", 1000)
	v.length(in.NextToken, "nextToken", 1, 3096, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkExecutionARN(*in.ExecutionArn); err != nil {
		return nil, err
	}
	evs, next, err := h.eng.GetExecutionHistory(ctx, *in.ExecutionArn, engine.HistoryInput{
		MaxResults: deref(in.MaxResults), NextToken: deref(in.NextToken), ReverseOrder: in.ReverseOrder,
	})
	if err != nil {
		return nil, pageError(executionError(err, *in.ExecutionArn))
	}
	withData := in.IncludeExecutionData == nil || *in.IncludeExecutionData
	out := &getExecutionHistoryOutput{Events: make([]json.RawMessage, len(evs)), NextToken: next}
	for i, e := range evs {
		b, err := historyEvent(e, withData)
		if err != nil {
			return nil, err
		}
		out.Events[i] = b
	}
	return out, nil
}

// historyEvent encodes an event as AWS's HistoryEvent: id, previousEventId,
// timestamp, type and the type's details member. Without execution data,
// the details keep everything but the input and output payloads.
func historyEvent(e statelang.HistoryEvent, withData bool) (json.RawMessage, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"timestamp":`)
	ts, _ := epoch(e.Timestamp).MarshalJSON()
	buf.Write(ts)
	typ, _ := json.Marshal(e.Type)
	buf.WriteString(`,"type":`)
	buf.Write(typ)
	buf.WriteString(`,"id":` + itoa64(e.ID) + `,"previousEventId":` + itoa64(e.PreviousEventID))
	if key := statelang.DetailsKey(e.Type); e.Details != nil && key != "" {
		details := e.Details
		if !withData {
			details = make(map[string]any, len(e.Details))
			for k, v := range e.Details {
				if k != "input" && k != "output" {
					details[k] = v
				}
			}
		}
		d, err := json.Marshal(details)
		if err != nil {
			return nil, err
		}
		buf.WriteString(`,"` + key + `":`)
		buf.Write(d)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func itoa64(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

type describeStateMachineForExecutionOutput struct {
	StateMachineArn      string                `json:"stateMachineArn"`
	Name                 string                `json:"name"`
	Definition           string                `json:"definition"`
	RoleArn              string                `json:"roleArn"`
	UpdateDate           *epoch                `json:"updateDate"`
	LoggingConfiguration *loggingConfiguration `json:"loggingConfiguration"`
	TracingConfiguration *tracingConfiguration `json:"tracingConfiguration"`
	RevisionID           string                `json:"revisionId,omitempty"`
	// MapRunArn and Label: of a distributed Map's child, the Map Run that
	// started it and the Map's label (the machine is the Map Run's).
	MapRunArn string `json:"mapRunArn,omitempty"`
	Label     string `json:"label,omitempty"`
}

func (h *handler) describeStateMachineForExecution(ctx context.Context, in *executionArnInput) (*describeStateMachineForExecutionOutput, error) {
	var v violations
	v.length(in.ExecutionArn, "executionArn", 1, 256, true)
	v.enum(in.IncludedData, "includedData", "ALL_DATA", "METADATA_ONLY")
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkExecutionARN(*in.ExecutionArn); err != nil {
		return nil, err
	}
	sm, err := h.eng.DescribeStateMachineForExecution(ctx, *in.ExecutionArn)
	if err != nil {
		return nil, executionError(err, *in.ExecutionArn)
	}
	out := &describeStateMachineForExecutionOutput{
		StateMachineArn: h.stateMachineARN(sm.Name), Name: sm.Name, Definition: sm.Definition, RoleArn: sm.RoleARN,
		UpdateDate: timePtr(sm.CreatedAt), LoggingConfiguration: loggingOff, TracingConfiguration: tracingOff,
		RevisionID: itoa(sm.Version),
	}
	if i := strings.LastIndexByte(sm.Name, '/'); i >= 0 { // a distributed Map's child: its Map Run's machine
		out.Label = sm.Name[i+1:]
		x, err := h.eng.DescribeExecution(ctx, *in.ExecutionArn)
		if err != nil {
			return nil, executionError(err, *in.ExecutionArn)
		}
		if _, out.MapRunArn, err = h.eng.ParentOf(ctx, x); err != nil && !errors.Is(err, engine.ErrNotFound) {
			return nil, err
		}
	}
	if in.IncludedData != nil && *in.IncludedData == "METADATA_ONLY" {
		out.Definition = ""
	}
	return out, nil
}
