package statelang

import (
	"strconv"
	"strings"
	"time"
)

// TaskFamily is the family of history events a Task state's resource
// records. AWS names them after the kind of resource: a Lambda function ARN
// records LambdaFunctionScheduled/Started/Succeeded/Failed/TimedOut, an
// activity ActivityScheduled/..., and every service integration
// (arn:aws:states:::service:action[.pattern]) TaskScheduled/....
//
// Resource.Family is the one place that decides it: the engine's decider
// builds its task events with the Resource methods below.
type TaskFamily string

// The task event families.
const (
	FamilyTask     TaskFamily = "Task"
	FamilyLambda   TaskFamily = "LambdaFunction"
	FamilyActivity TaskFamily = "Activity"
)

// StartedOnSchedule reports whether the family records its Started event
// together with Scheduled. Activities are started when a worker takes the
// task (GetActivityTask), so their ActivityStarted comes later.
func (f TaskFamily) StartedOnSchedule() bool { return f != FamilyActivity }

// NotTruncated is the inputDetails or outputDetails of an event whose
// payload is not truncated (none is). One map for all events: never modify
// it.
var NotTruncated = map[string]any{"truncated": false}

// Scheduled returns the Scheduled event of a task call.
func (r Resource) Scheduled(region string, input any, timeout, heartbeat int64) (EventType, map[string]any) {
	f := r.Family()
	var d map[string]any
	switch f {
	case FamilyTask:
		rt, res := r.HistoryResource()
		d = map[string]any{"resourceType": rt, "resource": res, "region": region, "parameters": MarshalString(input)}
	default:
		d = map[string]any{"resource": r.ARN, "input": MarshalString(input), "inputDetails": NotTruncated}
	}
	if timeout > 0 {
		d["timeoutInSeconds"] = timeout
	}
	if heartbeat > 0 && f != FamilyLambda {
		d["heartbeatInSeconds"] = heartbeat
	}
	return f.event("Scheduled"), d
}

// Started returns the Started event; worker is the activity worker's name
// ("" when unknown).
func (r Resource) Started(worker string) (EventType, map[string]any) {
	switch f := r.Family(); f {
	case FamilyTask:
		rt, res := r.HistoryResource()
		return EventTypeTaskStarted, map[string]any{"resourceType": rt, "resource": res}
	case FamilyActivity:
		if worker != "" {
			return EventTypeActivityStarted, map[string]any{"workerName": worker}
		}
		return EventTypeActivityStarted, nil
	default:
		return f.event("Started"), nil
	}
}

// Succeeded returns the Succeeded event for the task's output.
func (r Resource) Succeeded(output any) (EventType, map[string]any) {
	f := r.Family()
	d := map[string]any{"output": MarshalString(output), "outputDetails": NotTruncated}
	if f == FamilyTask {
		d["resourceType"], d["resource"] = r.HistoryResource()
	}
	return f.event("Succeeded"), d
}

// Submitted returns the Submitted event of a task of the .sync pattern
// whose job was started: output is what starting it returned (for
// states:startExecution.sync, StartExecutionResult). AWS records it
// between the task's Started and its end.
func (r Resource) Submitted(output any) (EventType, map[string]any) {
	d := map[string]any{"output": MarshalString(output), "outputDetails": map[string]any{"truncated": false}}
	d["resourceType"], d["resource"] = r.HistoryResource()
	return EventTypeTaskSubmitted, d
}

// Failed returns the Failed event of a task that failed with fl.
func (r Resource) Failed(fl *Failure) (EventType, map[string]any) {
	return r.Family().event("Failed"), r.failure(fl)
}

// TimedOut returns the TimedOut event of a task that the engine timed out
// (fl is States.Timeout or States.HeartbeatTimeout). A worker's own
// States.Timeout is a failure, not a timeout.
func (r Resource) TimedOut(fl *Failure) (EventType, map[string]any) {
	return r.Family().event("TimedOut"), r.failure(fl)
}

func (r Resource) failure(fl *Failure) map[string]any {
	d := map[string]any{}
	if fl.Name != "" {
		d["error"] = fl.Name
	}
	if fl.Cause != "" {
		d["cause"] = fl.Cause
	}
	if r.Family() == FamilyTask {
		d["resourceType"], d["resource"] = r.HistoryResource()
	}
	return d
}

// event is the family's event of the given kind (Scheduled, Started,
// Succeeded, Failed, TimedOut): all of them are AWS event types.
func (f TaskFamily) event(kind string) EventType { return EventType(string(f) + kind) }

// DataLimitCause is AWS's cause of States.DataLimitExceeded for a task
// result above MaxPayloadBytes: the state/task is named by its resource
// type for service integrations ('lambda') and by its ARN otherwise.
func (r Resource) DataLimitCause() string {
	name := r.ARN
	if r.Family() == FamilyTask {
		name, _ = r.HistoryResource()
	}
	return "The state/task '" + name + "' returned a result with a size exceeding the maximum number of bytes service limit."
}

// LambdaInvokeResult wraps what a Lambda function returned (payload, whose
// JSON text was size bytes long) the way arn:aws:states:::lambda:invoke
// returns it: ExecutedVersion, Payload, SdkHttpMetadata,
// SdkResponseMetadata and StatusCode. requestID and date stand for the
// Lambda request id and the response time.
func LambdaInvokeResult(payload any, size int, requestID string, date time.Time) map[string]any {
	return map[string]any{
		"ExecutedVersion": "$LATEST",
		"Payload":         payload,
		"SdkHttpMetadata": sdkHTTPMetadata("application/json", size, requestID, date, map[string]string{
			"Connection":                     "keep-alive",
			"X-Amz-Executed-Version":         "$LATEST",
			"X-Amzn-Trace-Id":                "Root=1-" + requestID,
			"x-amzn-Remapped-Content-Length": "0",
		}),
		"SdkResponseMetadata": map[string]any{"RequestId": requestID},
		"StatusCode":          int64(200),
	}
}

// StartExecutionResult is what arn:aws:states:::states:startExecution
// returns for the execution it started (executionARN, at start): the
// execution's ARN and start date (Unix milliseconds) with the SDK's HTTP
// metadata of the StartExecution response, as AWS's integration passes
// them on. Content-Length is the length of that response's JSON text as
// the AWS JSON 1.0 endpoint writes it ({"executionArn":...,"startDate":
// seconds with a millisecond fraction}); requestID and date stand for the
// request id and the response time. The .sync patterns record it as their
// TaskSubmitted event's output.
func StartExecutionResult(executionARN string, start time.Time, requestID string, date time.Time) map[string]any {
	body := `{"executionArn":` + MarshalString(executionARN) + `,"startDate":` +
		strconv.FormatFloat(float64(start.UnixMilli())/1000, 'f', 3, 64) + `}`
	return map[string]any{
		"ExecutionArn":        executionARN,
		"StartDate":           start.UnixMilli(),
		"SdkHttpMetadata":     sdkHTTPMetadata("application/x-amz-json-1.0", len(body), requestID, date, nil),
		"SdkResponseMetadata": map[string]any{"RequestId": requestID},
	}
}

// sdkHTTPMetadata is the SdkHttpMetadata of an AWS response of size
// bytes: its headers (as lists and as values) and status code 200; extra
// are headers beside Content-Length, Content-Type, Date, x-amzn-RequestId
// and the connection header.
func sdkHTTPMetadata(contentType string, size int, requestID string, date time.Time, extra map[string]string) map[string]any {
	day := strings.Replace(date.UTC().Format(time.RFC1123), "UTC", "GMT", 1)
	headers := map[string]string{"Content-Length": strconv.Itoa(size), "Content-Type": contentType, "Date": day, "x-amzn-RequestId": requestID}
	for k, v := range extra {
		headers[k] = v
	}
	if _, ok := headers["Connection"]; !ok {
		headers["connection"] = "keep-alive"
	}
	all, one := map[string]any{}, map[string]any{}
	for k, v := range headers {
		all[k], one[k] = []any{v}, v
	}
	return map[string]any{"AllHttpHeaders": all, "HttpHeaders": one, "HttpStatusCode": int64(200)}
}

// failureDetails are the details of an event that records failure f.
func failureDetails(f *Failure) map[string]any {
	d := map[string]any{"error": f.Name}
	if f.Cause != "" {
		d["cause"] = f.Cause
	}
	return d
}
