package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stepwise-dev/stepwise/engine"
)

// queueMapRuns queues the upsert of the Map Run rows of ms, if any: one
// statement for the group.
func queueMapRuns(g *groupBatch, ms []*engine.Mutation) {
	var r struct {
		arn, state, status []string
		x, max, tolCount   []int64
		total, written     []int64
		tolPct             []float64
		start              []time.Time
		stop, redriven     []pgtype.Timestamptz
		redrives, pending  []int64
	}
	for _, m := range ms {
		for _, mr := range m.MapRuns {
			r.arn, r.x, r.state, r.status = append(r.arn, mr.ARN), append(r.x, m.ExecutionID), append(r.state, mr.StateName), append(r.status, mr.Status)
			r.max, r.tolCount, r.tolPct = append(r.max, mr.MaxConcurrency), append(r.tolCount, mr.ToleratedFailureCount), append(r.tolPct, mr.ToleratedFailurePercentage)
			r.total, r.written = append(r.total, mr.Total), append(r.written, mr.ResultsWritten)
			r.start, r.stop = append(r.start, mr.StartDate), append(r.stop, pgtype.Timestamptz{Time: mr.StopDate, Valid: !mr.StopDate.IsZero()})
			r.redrives, r.redriven = append(r.redrives, mr.RedriveCount), append(r.redriven, pgtype.Timestamptz{Time: mr.RedriveDate, Valid: !mr.RedriveDate.IsZero()})
			r.pending = append(r.pending, mr.PendingRedrive)
		}
	}
	if len(r.arn) > 0 {
		g.exec(q("UpsertMapRunsGroup"), r.arn, r.x, r.state, r.status, r.max, r.tolCount, r.tolPct, r.total, r.written, r.start, r.stop,
			r.redrives, r.redriven, r.pending)
	}
}

func scanMapRun(row pgx.Row) (engine.MapRun, error) {
	var r engine.MapRun
	var stop, redriven pgtype.Timestamptz
	err := row.Scan(&r.ARN, &r.ExecutionID, &r.ExecutionARN, &r.StateName, &r.Status, &r.MaxConcurrency, &r.ToleratedFailureCount,
		&r.ToleratedFailurePercentage, &r.Total, &r.ResultsWritten, &r.StartDate, &stop, &r.RedriveCount, &redriven,
		&r.PendingRedrive)
	if stop.Valid {
		r.StopDate = stop.Time
	}
	if redriven.Valid {
		r.RedriveDate = redriven.Time
	}
	return r, translate(err)
}

// GetMapRun implements engine.Store: the row, and its children counted
// by status.
func (s *Store) GetMapRun(ctx context.Context, arn string) (engine.MapRun, error) {
	r, err := scanMapRun(s.pool.QueryRow(ctx, q("GetMapRun"), arn))
	if err != nil {
		return r, err
	}
	stop := pgtype.Timestamptz{Time: r.StopDate, Valid: !r.StopDate.IsZero()}
	rows, err := s.pool.Query(ctx, q("CountMapRunChildren"), r.ExecutionID, engine.MapRunMachine(arn), r.StartDate, stop)
	if err != nil {
		return r, translate(err)
	}
	defer rows.Close()
	r.Children = map[string]int64{}
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return r, translate(err)
		}
		r.Children[status] = n
	}
	return r, translate(rows.Err())
}

// ListMapRuns implements engine.Store.
func (s *Store) ListMapRuns(ctx context.Context, executionID int64, offset, limit int) ([]engine.MapRun, error) {
	rows, err := s.pool.Query(ctx, q("ListMapRuns"), executionID, offset, limit)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []engine.MapRun
	for rows.Next() {
		r, err := scanMapRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, translate(rows.Err())
}
