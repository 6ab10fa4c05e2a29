package engine

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/statelang"
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

// Logging of standard executions.
//
// A committed group's history events of executions whose machine has a
// Logging go to Config.Logs after the commit, in commit order, as Step
// Functions writes them to CloudWatch Logs (express executions log from
// their run, express.go). A machine's Logging is read at most once per
// recentTTL (the engine's machine cache keeps definitions, not the
// machine's logging, which changes without a new revision).

// loggedEvents are the events one commit appended to execution x.
type loggedEvents struct {
	x      *Execution
	events []statelang.HistoryEvent
}

// toLog adds m's events for x to logged, when the engine logs at all.
func (e *Engine) toLog(logged []loggedEvents, x *Execution, m *Mutation) []loggedEvents {
	if e.cfg.Logs == nil || x == nil || len(m.Events) == 0 {
		return logged
	}
	return append(logged, loggedEvents{x: x, events: m.Events})
}

// logCommitted delivers what a group committed to the log groups of the
// machines that log.
func (e *Engine) logCommitted(ctx context.Context, logged []loggedEvents) {
	for _, le := range logged {
		lg := e.loggingOf(ctx, le.x.StateMachine)
		if lg == nil {
			continue
		}
		e.deliverLogs(ctx, lg, le.x.ARN, logStream(le.x.StartDate, le.x.ARN, le.x.StateMachine),
			strconv.FormatInt(le.x.RedriveCount, 10), le.events)
	}
}

// loggingOf returns the Logging of the machine an execution runs ("" for
// a distributed Map's child: its machine's).
func (e *Engine) loggingOf(ctx context.Context, machine string) *Logging {
	base, _, _ := strings.Cut(machine, "/")
	now := e.cfg.Now()
	if l, ok := e.logging.get(base, now); ok {
		return l
	}
	sm, err := e.store.GetStateMachine(ctx, base, 0)
	if err != nil {
		sm.Logging = nil // deleted meanwhile, or the store is down: log nothing this time
	}
	e.logging.put(base, sm.Logging, now)
	return sm.Logging
}

// logStream names the log stream of an execution's events:
// "states/<machine>/<yyyy-mm-dd-hh-mm>/<the last part of its ARN>".
func logStream(start time.Time, arn, machine string) string {
	base, _, _ := strings.Cut(machine, "/")
	return "states/" + base + "/" + start.UTC().Format("2006-01-02-15-04") + "/" + arn[strings.LastIndexByte(arn, ':')+1:]
}

// deliverLogs writes the events lg's level keeps to its log group;
// redriveCount is "" for an execution that shows none (StartSyncExecution).
func (e *Engine) deliverLogs(ctx context.Context, lg *Logging, arn, stream, redriveCount string, evs []statelang.HistoryEvent) {
	if lg.Level == LogOff || lg.LogGroupARN == "" {
		return
	}
	var out []LogEvent
	for _, ev := range evs {
		if logged(lg.Level, ev.Type) {
			out = append(out, LogEvent{Time: ev.Timestamp, Message: logMessage(ev, arn, lg.IncludeExecutionData, redriveCount)})
		}
	}
	if len(out) == 0 {
		return
	}
	if err := e.cfg.Logs.DeliverLogs(ctx, lg.LogGroupARN, stream, out); err != nil {
		e.cfg.Logger.Warn("log delivery failed", "log_group", lg.LogGroupARN, "execution_arn", arn, "error", err)
	}
}

// logged reports whether an event of type typ is logged at level: ALL
// logs every event, ERROR the failures of states, tasks and the
// execution, FATAL the execution's own failure only.
func logged(level string, typ statelang.EventType) bool {
	switch level {
	case LogAll:
		return true
	case LogFatal:
		return typ == statelang.EventTypeExecutionFailed || typ == statelang.EventTypeExecutionAborted || typ == statelang.EventTypeExecutionTimedOut
	case LogError:
		return typ == statelang.EventTypeFailStateEntered || typ == statelang.EventTypeEvaluationFailed ||
			strings.HasSuffix(string(typ), "Failed") || strings.HasSuffix(string(typ), "Aborted") || strings.HasSuffix(string(typ), "TimedOut")
	}
	return false
}

// logMessage is one event as Step Functions logs it: its id, type and
// details (without input and output unless includeData), the id before
// it, its time in epoch milliseconds, the execution's ARN and its redrive
// count (left out when ""); numbers as strings.
func logMessage(ev statelang.HistoryEvent, arn string, includeData bool, redriveCount string) string {
	det := ev.Details
	if !includeData {
		det = make(map[string]any, len(ev.Details))
		for k, v := range ev.Details {
			switch k {
			case "input", "output", "inputDetails", "outputDetails", "parameters":
			default:
				det[k] = v
			}
		}
	}
	msg := map[string]any{
		"id": strconv.FormatInt(ev.ID, 10), "type": ev.Type, "details": det,
		"previous_event_id": strconv.FormatInt(ev.PreviousEventID, 10),
		"event_timestamp":   strconv.FormatInt(ev.Timestamp.UnixMilli(), 10),
		"execution_arn":     arn,
	}
	if redriveCount != "" {
		msg["redrive_count"] = redriveCount
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(msg); err != nil {
		return `{"type":"` + string(ev.Type) + `","error":"unencodable details"}`
	}
	return strings.TrimSuffix(b.String(), "\n")
}
