package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stepwise-dev/stepwise/engine"
)

// queueRedrives writes the redrive columns of the mutations that set
// them (engine.Mutation.Redrive): one statement for the group.
func queueRedrives(g *groupBatch, ms []*engine.Mutation) {
	var ids []int64
	var counts []int32
	var dates, until []pgtype.Timestamptz
	var parents []string
	for _, m := range ms {
		if r := m.Redrive; r != nil {
			ids, counts, parents = append(ids, m.ExecutionID), append(counts, int32(r.Count)), append(parents, r.ParentToken)
			dates, until = append(dates, nullStamp(r.Date)), append(until, nullStamp(r.Until))
		}
	}
	if len(ids) > 0 {
		g.exec(q("RedriveGroup"), ids, counts, dates, until, parents)
	}
}

// ExpireRedrives implements engine.RedriveStore.
func (s *Store) ExpireRedrives(ctx context.Context, now time.Time, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, q("ExpireRedrives"), now, limit)
	if err != nil {
		return 0, translate(err)
	}
	return int(tag.RowsAffected()), nil
}
