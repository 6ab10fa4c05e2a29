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
			r.RedriveCount, nullMicros(r.RedriveDate), r.PendingRedrive, r.Running); err != nil {
			return err
		}
	}
	return nil
}

// GetMapRun implements engine.Store: the row, and its children counted
// by status.
func (s *Store) GetMapRun(ctx context.Context, arn string) (engine.MapRun, error) {
	r, err := scan.MapRun(s.r.QueryRowContext(ctx, q("GetMapRun"), arn))
	if err != nil {
		return r, err
	}
	rows, err := s.r.QueryContext(ctx, q("CountMapRunChildren"), r.ExecutionID, engine.MapRunMachine(arn),
		micros(r.StartDate), nullMicros(r.StopDate))
	cs, err := collect(rows, err, scan.ChildCount)
	r.Children = map[string]int64{}
	for _, c := range cs {
		r.Children[c.Status] = c.N
	}
	return r, err
}

// ListMapRuns implements engine.Store.
func (s *Store) ListMapRuns(ctx context.Context, executionID int64, offset, limit int) ([]engine.MapRun, error) {
	rows, err := s.r.QueryContext(ctx, q("ListMapRuns"), executionID, offset, limit)
	return collect(rows, err, scan.MapRun)
}
