package postgres

import (
	"context"
	"time"

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
		running            []int64
	}
	for _, m := range ms {
		for _, mr := range m.MapRuns {
			r.arn, r.x, r.state, r.status = append(r.arn, mr.ARN), append(r.x, m.ExecutionID), append(r.state, mr.StateName), append(r.status, mr.Status)
			r.max, r.tolCount, r.tolPct = append(r.max, mr.MaxConcurrency), append(r.tolCount, mr.ToleratedFailureCount), append(r.tolPct, mr.ToleratedFailurePercentage)
			r.total, r.written = append(r.total, mr.Total), append(r.written, mr.ResultsWritten)
			r.start, r.stop = append(r.start, mr.StartDate), append(r.stop, nullStamp(mr.StopDate))
			r.redrives, r.redriven = append(r.redrives, mr.RedriveCount), append(r.redriven, nullStamp(mr.RedriveDate))
			r.pending, r.running = append(r.pending, mr.PendingRedrive), append(r.running, mr.Running)
		}
	}
	if len(r.arn) > 0 {
		g.exec(q("UpsertMapRunsGroup"), r.arn, r.x, r.state, r.status, r.max, r.tolCount, r.tolPct, r.total, r.written, r.start, r.stop,
			r.redrives, r.redriven, r.pending, r.running)
	}
}

// GetMapRun implements engine.Store: the row, and its children counted
// by status.
func (s *Store) GetMapRun(ctx context.Context, arn string) (engine.MapRun, error) {
	r, err := scan.MapRun(s.pool.QueryRow(ctx, q("GetMapRun"), arn))
	if err != nil {
		return r, err
	}
	rows, err := s.pool.Query(ctx, q("CountMapRunChildren"), r.ExecutionID, engine.MapRunMachine(arn), r.StartDate, nullStamp(r.StopDate))
	cs, err := collect(rows, err, scan.ChildCount)
	r.Children = map[string]int64{}
	for _, c := range cs {
		r.Children[c.Status] = c.N
	}
	return r, err
}

// ListMapRuns implements engine.Store.
func (s *Store) ListMapRuns(ctx context.Context, executionID int64, offset, limit int) ([]engine.MapRun, error) {
	rows, err := s.pool.Query(ctx, q("ListMapRuns"), executionID, offset, limit)
	return collect(rows, err, scan.MapRun)
}
