package engine

import (
	"context"
	"time"
)

// LogEvent is one line an execution logs to its machine's log group
// (loggingConfiguration): Message is the JSON text of one history event
// in the form Step Functions writes to CloudWatch Logs.
type LogEvent struct {
	Time    time.Time
	Message string
}

// LogSink stores the log events of executions whose machine has a
// loggingConfiguration (Config.Logs). Delivery is best effort, as on AWS:
// an error is logged and the execution goes on.
type LogSink interface {
	// DeliverLogs appends events, in order, to the stream named stream of
	// the log group whose ARN is groupARN
	// ("arn:aws:logs:<region>:<account>:log-group:<name>:*"), creating the
	// stream if needed. A group that does not exist is an error (the
	// events are dropped).
	DeliverLogs(ctx context.Context, groupARN, stream string, events []LogEvent) error
}
