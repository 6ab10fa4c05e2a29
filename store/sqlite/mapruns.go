package sqlite

import (
	"context"
	"database/sql"

	"github.com/stepwise-dev/stepwise/engine"
)

// upsertMapRuns writes the Map Run rows of m.
func upsertMapRuns(ctx context.Context, tx *sql.Tx, m *engine.Mutation) error {
	for _, r := range m.MapRuns {
		if _, err := tx.ExecContext(ctx, q("UpsertMapRun"), r.ARN, m.ExecutionID, r.StateName, r.Status, r.MaxConcurrency,
			r.ToleratedFailureCount, r.ToleratedFailurePercentage, r.Total, r.ResultsWritten, micros(r.StartDate), nullMicros(r.StopDate),
			r.RedriveCount, nullMicros(r.RedriveDate), r.PendingRedrive); err != nil {
			return err
		}
	}
	return nil
}

func scanMapRun(row row) (engine.MapRun, error) {
	var r engine.MapRun
	var start int64
	var stop, redriven sql.NullInt64
	err := row.Scan(&r.ARN, &r.ExecutionID, &r.ExecutionARN, &r.StateName, &r.Status, &r.MaxConcurrency, &r.ToleratedFailureCount,
		&r.ToleratedFailurePercentage, &r.Total, &r.ResultsWritten, &start, &stop, &r.RedriveCount, &redriven, &r.PendingRedrive)
	r.StartDate = fromMicros(start)
	if stop.Valid {
		r.StopDate = fromMicros(stop.Int64)
	}
	if redriven.Valid {
		r.RedriveDate = fromMicros(redriven.Int64)
	}
	return r, translate(err)
}

// GetMapRun implements engine.Store: the row, and its children counted
// by status.
func (s *Store) GetMapRun(ctx context.Context, arn string) (engine.MapRun, error) {
	r, err := scanMapRun(s.r.QueryRowContext(ctx, q("GetMapRun"), arn))
	if err != nil {
		return r, err
	}
	type count struct {
		status string
		n      int64
	}
	rows, err := s.r.QueryContext(ctx, q("CountMapRunChildren"), r.ExecutionID, engine.MapRunMachine(arn),
		micros(r.StartDate), nullMicros(r.StopDate))
	cs, err := collect(rows, err, func(rw row) (count, error) {
		var c count
		return c, rw.Scan(&c.status, &c.n)
	})
	r.Children = map[string]int64{}
	for _, c := range cs {
		r.Children[c.status] = c.n
	}
	return r, err
}

// ListMapRuns implements engine.Store.
func (s *Store) ListMapRuns(ctx context.Context, executionID int64, offset, limit int) ([]engine.MapRun, error) {
	rows, err := s.r.QueryContext(ctx, q("ListMapRuns"), executionID, offset, limit)
	return collect(rows, err, scanMapRun)
}
