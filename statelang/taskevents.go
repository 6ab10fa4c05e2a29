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
	length := strconv.Itoa(size)
	day := date.UTC().Format(time.RFC1123)
	day = strings.Replace(day, "UTC", "GMT", 1)
	return map[string]any{
		"ExecutedVersion": "$LATEST",
		"Payload":         payload,
		"SdkHttpMetadata": map[string]any{
			"AllHttpHeaders": map[string]any{
				"Connection":                     []any{"keep-alive"},
				"Content-Length":                 []any{length},
				"Content-Type":                   []any{"application/json"},
				"Date":                           []any{day},
				"X-Amz-Executed-Version":         []any{"$LATEST"},
				"X-Amzn-Trace-Id":                []any{"Root=1-" + requestID},
				"x-amzn-Remapped-Content-Length": []any{"0"},
				"x-amzn-RequestId":               []any{requestID},
			},
			"HttpHeaders": map[string]any{
				"Connection":                     "keep-alive",
				"Content-Length":                 length,
				"Content-Type":                   "application/json",
				"Date":                           day,
				"X-Amz-Executed-Version":         "$LATEST",
				"X-Amzn-Trace-Id":                "Root=1-" + requestID,
				"x-amzn-Remapped-Content-Length": "0",
				"x-amzn-RequestId":               requestID,
			},
			"HttpStatusCode": int64(200),
		},
		"SdkResponseMetadata": map[string]any{"RequestId": requestID},
		"StatusCode":          int64(200),
	}
}

// failureDetails are the details of an event that records failure f.
func failureDetails(f *Failure) map[string]any {
	d := map[string]any{"error": f.Name}
	if f.Cause != "" {
		d["cause"] = f.Cause
	}
	return d
}
