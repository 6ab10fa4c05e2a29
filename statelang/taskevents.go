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
// ResourceFamily is the one place that decides it: the engine's decider
// builds its task events with the TaskFamily methods.
type TaskFamily string

// The task event families.
const (
	FamilyTask     TaskFamily = "Task"
	FamilyLambda   TaskFamily = "LambdaFunction"
	FamilyActivity TaskFamily = "Activity"
)

// ResourceFamily returns the event family of a Task state's resource.
func ResourceFamily(resource string) TaskFamily {
	parts := strings.SplitN(resource, ":", 7)
	if len(parts) < 6 || parts[0] != "arn" {
		return FamilyTask
	}
	switch {
	case parts[2] == "lambda" && strings.HasPrefix(parts[5], "function"):
		return FamilyLambda
	case parts[2] == "states" && parts[5] == "activity":
		return FamilyActivity
	}
	return FamilyTask
}

// IsActivity reports whether resource is an activity ARN
// (arn:aws:states:<region>:<account>:activity:<name>).
func IsActivity(resource string) bool { return ResourceFamily(resource) == FamilyActivity }

// WaitsForCallback reports whether a resource uses the callback pattern
// (.waitForTaskToken): the task ends with SendTaskSuccess/Failure, not with
// the worker's own result.
func ResourceWaitsForCallback(resource string) bool {
	return strings.HasSuffix(resource, ".waitForTaskToken")
}

// IsLambdaInvoke reports whether resource is the optimized Lambda
// integration arn:aws:states:::lambda:invoke (without a pattern suffix),
// whose result AWS wraps (see LambdaInvokeResult).
func IsLambdaInvoke(resource string) bool {
	rt, res := SplitResource(resource)
	return rt == "lambda" && res == "invoke" && strings.HasPrefix(resource, "arn:") && ResourceFamily(resource) == FamilyTask
}

// StartedOnSchedule reports whether the family records its Started event
// together with Scheduled. Activities are started when a worker takes the
// task (GetActivityTask), so their ActivityStarted comes later.
func (f TaskFamily) StartedOnSchedule() bool { return f != FamilyActivity }

// Scheduled returns the Scheduled event of a task call.
func (f TaskFamily) Scheduled(resource, region string, input any, timeout, heartbeat int64) (EventType, map[string]any) {
	var d map[string]any
	switch f {
	case FamilyTask:
		rt, res := SplitResource(resource)
		d = map[string]any{"resourceType": rt, "resource": res, "region": region, "parameters": MarshalString(input)}
	default:
		d = map[string]any{"resource": resource, "input": MarshalString(input), "inputDetails": map[string]any{"truncated": false}}
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
func (f TaskFamily) Started(resource, worker string) (EventType, map[string]any) {
	switch f {
	case FamilyTask:
		rt, res := SplitResource(resource)
		return EventTypeTaskStarted, map[string]any{"resourceType": rt, "resource": res}
	case FamilyActivity:
		if worker != "" {
			return EventTypeActivityStarted, map[string]any{"workerName": worker}
		}
		return EventTypeActivityStarted, nil
	}
	return f.event("Started"), nil
}

// Succeeded returns the Succeeded event for the task's output.
func (f TaskFamily) Succeeded(resource string, output any) (EventType, map[string]any) {
	d := map[string]any{"output": MarshalString(output), "outputDetails": map[string]any{"truncated": false}}
	if f == FamilyTask {
		d["resourceType"], d["resource"] = SplitResource(resource)
	}
	return f.event("Succeeded"), d
}

// Failed returns the Failed event of a task that failed with fl.
func (f TaskFamily) Failed(resource string, fl *Failure) (EventType, map[string]any) {
	return f.event("Failed"), f.failure(resource, fl)
}

// TimedOut returns the TimedOut event of a task that the engine timed out
// (fl is States.Timeout or States.HeartbeatTimeout). A worker's own
// States.Timeout is a failure, not a timeout.
func (f TaskFamily) TimedOut(resource string, fl *Failure) (EventType, map[string]any) {
	return f.event("TimedOut"), f.failure(resource, fl)
}

func (f TaskFamily) failure(resource string, fl *Failure) map[string]any {
	d := map[string]any{}
	if fl.Name != "" {
		d["error"] = fl.Name
	}
	if fl.Cause != "" {
		d["cause"] = fl.Cause
	}
	if f == FamilyTask {
		d["resourceType"], d["resource"] = SplitResource(resource)
	}
	return d
}

// event is the family's event of the given kind (Scheduled, Started,
// Succeeded, Failed, TimedOut): all of them are AWS event types.
func (f TaskFamily) event(kind string) EventType { return EventType(string(f) + kind) }

// DataLimitCause is AWS's cause of States.DataLimitExceeded for a task
// result above MaxPayloadBytes: the state/task is named by its resource
// type for service integrations ('lambda') and by its ARN otherwise.
func DataLimitCause(resource string) string {
	name := resource
	if ResourceFamily(resource) == FamilyTask {
		name, _ = SplitResource(resource)
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

// SplitResource splits a Task resource ARN into the resourceType and
// resource that AWS records in task history events:
// arn:aws:states:::lambda:invoke → ("lambda", "invoke");
// arn:aws:lambda:us-east-1:1:function:f → ("lambda", "f").
func SplitResource(arn string) (resourceType, resource string) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) >= 7 && parts[2] == "states" && parts[3] == "" {
		return parts[5], parts[6]
	}
	if len(parts) >= 6 {
		return parts[2], parts[len(parts)-1]
	}
	return "", arn
}

// failureDetails are the details of an event that records failure f.
func failureDetails(f *Failure) map[string]any {
	d := map[string]any{"error": f.Name}
	if f.Cause != "" {
		d["cause"] = f.Cause
	}
	return d
}
