package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// ExpireRedrives implements engine.RedriveStore.
func (s *Store) ExpireRedrives(ctx context.Context, now time.Time, limit int) (int, error) {
	var n int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, q("ExpireRedrives"), micros(now), limit)
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	return int(n), translate(err)
}
