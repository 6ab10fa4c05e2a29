package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

// CommitGroup implements engine.Store. The single writer serialises it
// with every other write, so reading the executions inside its BEGIN
// IMMEDIATE transaction is what Postgres' row locks give.
func (s *Store) CommitGroup(ctx context.Context, grp *engine.Group, decide func(map[int64]*engine.Execution) (*engine.GroupWrite, error)) (engine.GroupResult, error) {
	res := engine.GroupResult{Open: map[string]bool{}}
	var decideErr error
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		grp.Taken = nil
		for i, e := range grp.Starts {
			err := tx.QueryRowContext(ctx, q("InsertExecution"), e.ARN, e.StateMachine, e.StateMachineVersion, e.StateMachineARN,
				e.Name, e.Status, e.Input, micros(e.StartDate), string(e.State), e.ParentID, e.ParentToken).Scan(&e.ID)
			if errors.Is(err, sql.ErrNoRows) {
				old, gerr := scan.Execution(tx.QueryRowContext(ctx, q("GetExecutionByName"), e.StateMachine, e.Name))
				if gerr != nil {
					return gerr
				}
				if grp.Taken == nil {
					grp.Taken = map[int]*engine.Execution{}
				}
				grp.Taken[i] = old
				continue
			}
			if err != nil {
				return err
			}
		}
		xs := make(map[int64]*engine.Execution, len(grp.IDs))
		for _, id := range grp.IDs {
			x, err := scan.Execution(tx.QueryRowContext(ctx, q("GetExecution"), id))
			if errors.Is(err, engine.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if v, ok := grp.Cached[id]; !ok || v != x.Version {
				if x.Parts, err = loadParts(ctx, tx, id); err != nil {
					return err
				}
			}
			xs[id] = x
		}
		w, err := decide(xs)
		if err != nil {
			decideErr = err
			return err
		}
		for _, m := range w.Mutations {
			if err := applyMutation(ctx, tx, m); err != nil {
				return err
			}
		}
		for _, c := range w.Confirmed {
			if _, err := tx.ExecContext(ctx, q("ConfirmDispatch"), c.Token, micros(c.Until)); err != nil {
				return err
			}
		}
		for _, tok := range w.Started {
			n, err := execCount(ctx, tx, q("MarkTaskStarted"), tok)
			if err != nil {
				return err
			}
			res.Open[tok] = res.Open[tok] || n > 0
		}
		for _, tok := range w.Heartbeats {
			ok, err := heartbeat(ctx, tx, tok, w.Now)
			if err != nil {
				return err
			}
			res.Open[tok] = res.Open[tok] || ok
		}
		return writeEnded(ctx, tx, w.Ended)
	})
	if decideErr != nil {
		return engine.GroupResult{}, decideErr
	}
	if errors.Is(err, engine.ErrConflict) {
		return engine.GroupResult{}, err
	}
	return res, translate(err)
}

func execCount(ctx context.Context, tx *sql.Tx, query string, args ...any) (int64, error) {
	r, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

// heartbeat marks an open task STARTED and moves its heartbeat timer to
// now plus its HeartbeatSeconds; false when the task is not open.
func heartbeat(ctx context.Context, tx *sql.Tx, token string, now time.Time) (bool, error) {
	var id, hb int64
	err := tx.QueryRowContext(ctx, q("StartTask"), token).Scan(&id, &hb)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if hb > 0 {
		_, err = tx.ExecContext(ctx, q("MoveHeartbeatTimer"), id, token, micros(now.Add(time.Duration(hb)*time.Second)))
	}
	return true, err
}

// loadParts reads the parts of an execution's state.
func loadParts(ctx context.Context, tx *sql.Tx, id int64) ([]engine.StatePart, error) {
	rows, err := tx.QueryContext(ctx, q("LoadParts"), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []engine.StatePart
	for rows.Next() {
		var p engine.StatePart
		if err := rows.Scan(&p.Frame, &p.Slot, &p.Data); err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}
