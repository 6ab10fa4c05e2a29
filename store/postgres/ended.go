package postgres

import (
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stepwise-dev/stepwise/engine"
)

// queueEnded queues the rows of ended EXPRESS children of distributed Maps
// (engine.GroupWrite.Ended): one statement for the group, which inserts
// each row or replaces the row of its (state machine, name), keeping its
// id, and drops what the replaced row had beside it. Of two rows with the
// same (state machine, name) the later wins, as if written one after the
// other (one statement cannot upsert a row twice).
func queueEnded(g *groupBatch, ended []*engine.Execution) {
	type key struct{ sm, name string }
	last := make(map[key]int, len(ended))
	for i, x := range ended {
		last[key{x.StateMachine, x.Name}] = i
	}
	var r struct {
		arn, sm, sma, name, status, input, output, errs, causes, state, ptok []string
		smv, redrives                                                        []int32
		pid                                                                  []int64
		start                                                                []time.Time
		stop, redriven, until                                                []pgtype.Timestamptz
	}
	for i, x := range ended {
		if last[key{x.StateMachine, x.Name}] != i {
			continue
		}
		r.arn, r.sm, r.smv, r.sma, r.name = append(r.arn, x.ARN), append(r.sm, x.StateMachine), append(r.smv, int32(x.StateMachineVersion)),
			append(r.sma, x.StateMachineARN), append(r.name, x.Name)
		r.status, r.input, r.output = append(r.status, x.Status), append(r.input, x.Input), append(r.output, x.Output)
		r.errs, r.causes, r.state = append(r.errs, x.Error), append(r.causes, x.Cause), append(r.state, string(x.State))
		r.start, r.stop = append(r.start, x.StartDate), append(r.stop, nullStamp(x.StopDate))
		r.pid, r.ptok = append(r.pid, x.ParentID), append(r.ptok, x.ParentToken)
		r.redrives, r.redriven, r.until = append(r.redrives, int32(x.RedriveCount)), append(r.redriven, nullStamp(x.RedriveDate)),
			append(r.until, nullStamp(x.RedriveUntil))
	}
	if len(r.arn) > 0 {
		g.exec(q("EndedGroup"), r.arn, r.sm, r.smv, r.sma, r.name, r.status, r.input, r.output, r.errs, r.causes,
			r.start, r.stop, r.state, r.pid, r.ptok, r.redrives, r.redriven, r.until)
	}
}
