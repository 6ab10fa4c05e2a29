package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/stepwise-dev/stepwise/engine"
)

// writeEnded writes the rows of ended EXPRESS children of distributed Maps
// (engine.GroupWrite.Ended) inside tx, one after the other: each is
// inserted, or replaces the row of its (state machine, name), which keeps
// its id and loses what it had beside it (history, state parts, timers;
// its open tasks are cancelled), as store/postgres's EndedGroup does.
func writeEnded(ctx context.Context, tx *sql.Tx, ended []*engine.Execution) error {
	for _, x := range ended {
		var old int64
		err := tx.QueryRowContext(ctx, q("ExecutionIDByName"), x.StateMachine, x.Name).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, q("UpsertEnded"), x.ARN, x.StateMachine, x.StateMachineVersion, x.StateMachineARN,
			x.Name, x.Status, x.Input, x.Output, x.Error, x.Cause, micros(x.StartDate), nullMicros(x.StopDate), string(x.State),
			x.ParentID, x.ParentToken, x.RedriveCount, nullMicros(x.RedriveDate), nullMicros(x.RedriveUntil)); err != nil {
			return err
		}
		if old == 0 {
			continue
		}
		for _, st := range []struct {
			query string
			args  []any
		}{
			{q("DeleteChunks"), []any{old}},
			{q("DropAllParts"), []any{old}},
			{q("DeleteAllTimers"), []any{old}},
			{q("CancelOpenTasks"), []any{old, nullMicros(x.StopDate)}},
		} {
			if _, err := tx.ExecContext(ctx, st.query, st.args...); err != nil {
				return err
			}
		}
	}
	return nil
}
