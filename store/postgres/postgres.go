// Package postgres is the PostgreSQL implementation of engine.Store, on pgx
// v5.
//
// The schema lives in embedded, numbered migrations (migrations/NNNN_*.sql)
// applied by [Store.Migrate] under a Postgres advisory lock; every query is a
// named query in queries/*.sql. Rows are mapped to engine types by
// store/internal/rowmap, which store/sqlite shares, with the hooks of
// dialect.go: what is Postgres's own on the Go side (reading timestamptz,
// translating pgx errors to engine.ErrNotFound and engine.ErrConflict).
//
// A transition (engine.Mutation) is written with one pgx batch: the batch
// runs as one implicit transaction, its first statement (stepwise_advance)
// checks and bumps the execution's version and raises a serialization
// failure if another writer got there first, which rolls the whole batch
// back. So a transition costs one round trip and one commit.
//
// It imports engine, statelang (for the history event type) and schedule
// (schedules.go implements schedule.Store), and no other Stepwise package.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/store/internal/histchunk"
	"github.com/stepwise-dev/stepwise/store/internal/namedsql"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Named queries live in queries/*.sql, one file per area, each query
// introduced by a "-- name: X" line.
//
//go:embed queries/*.sql
var queryFS embed.FS

var queries = namedsql.MustLoad(queryFS, "queries/*.sql")

func q(name string) string { return queries.Get(name) }

// Store is an engine.Store on a pgx pool.
type Store struct {
	pool *pgxpool.Pool
}

var _ engine.Store = (*Store)(nil)

// New returns a Store using pool. The caller owns the pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// advisoryLockKey serialises migrations across processes.
const advisoryLockKey = 0x5717e015e

// Migrate applies the embedded migrations not yet applied, in order, each
// in its own transaction, while holding a Postgres advisory lock, so several
// processes may call it at once.
func (s *Store) Migrate(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", advisoryLockKey); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", advisoryLockKey) //nolint:errcheck
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS stepwise_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	applied := map[int]bool{}
	rows, err := conn.Query(ctx, "SELECT version FROM stepwise_migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		base := strings.TrimPrefix(f, "migrations/")
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return fmt.Errorf("migrate: bad migration file name %s", base)
		}
		if applied[v] {
			continue
		}
		sql, err := migrationFS.ReadFile(f)
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return err
			}
			if step := goMigrations[v]; step != nil {
				if err := step(ctx, tx); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, "INSERT INTO stepwise_migrations (version, name) VALUES ($1, $2)", v, base)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate: %s: %w", base, err)
		}
	}
	return nil
}

// goMigrations are the parts of migrations that SQL cannot do, run in the
// migration's transaction after its SQL file.
var goMigrations = map[int]func(context.Context, pgx.Tx) error{
	8: moveHistoryToChunks,
}

// moveHistoryToChunks rewrites the rows of history_events (one per event,
// before version 8) as chunks of up to 100 events, then drops the table.
func moveHistoryToChunks(ctx context.Context, tx pgx.Tx) error {
	var lastX, lastID int64
	for {
		rows, err := tx.Query(ctx, `SELECT execution_id, id, previous_event_id, type, timestamp, details::text
			  FROM history_events WHERE (execution_id, id) > ($1, $2)
			 ORDER BY execution_id, id LIMIT 10000`, lastX, lastID)
		if err != nil {
			return err
		}
		byExec := map[int64][]statelang.HistoryEvent{}
		var order []int64
		var x int64
		var ev statelang.HistoryEvent
		var details *string
		n, err := pgx.ForEachRow(rows, []any{&x, &ev.ID, &ev.PreviousEventID, &ev.Type, &ev.Timestamp, &details}, func() error {
			e := ev
			e.Details = nil
			if details != nil && *details != "null" {
				v, err := statelang.ParseJSON([]byte(*details))
				if err != nil {
					return fmt.Errorf("history event %d of execution %d: %w", ev.ID, x, err)
				}
				e.Details, _ = v.(map[string]any)
			}
			if byExec[x] == nil {
				order = append(order, x)
			}
			byExec[x] = append(byExec[x], e)
			lastX, lastID = x, ev.ID
			return nil
		})
		if err != nil {
			return err
		}
		if n.RowsAffected() == 0 {
			break
		}
		var xs, firsts, lasts []int64
		var data [][]byte
		for _, x := range order {
			for _, part := range histchunk.Split(byExec[x], 100) {
				xs, firsts, lasts = append(xs, x), append(firsts, part[0].ID), append(lasts, part[len(part)-1].ID)
				data = append(data, histchunk.Encode(part))
			}
		}
		if _, err := tx.Exec(ctx, q("InsertChunksGroup"), xs, firsts, lasts, data); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, "DROP TABLE history_events")
	return err
}

// CreateStateMachine implements engine.Store.
func (s *Store) CreateStateMachine(ctx context.Context, sm engine.StateMachine) (engine.StateMachine, error) {
	err := s.pool.QueryRow(ctx, q("CreateStateMachine"), sm.Name, sm.ARN, sm.RoleARN, sm.Definition, sm.CreatedAt,
		engine.MachineType(sm.Type), engine.EncodeLogging(sm.Logging)).Scan(&sm.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return engine.StateMachine{}, engine.ErrConflict
	}
	if err != nil {
		return engine.StateMachine{}, translate(err)
	}
	return sm, nil
}

// AddStateMachineVersion implements engine.Store.
func (s *Store) AddStateMachineVersion(ctx context.Context, name, definition string, now time.Time) (engine.StateMachine, error) {
	sm := engine.StateMachine{Name: name, Definition: definition, CreatedAt: now}
	err := s.pool.QueryRow(ctx, q("AddStateMachineVersion"), name, definition, now).Scan(&sm.ARN, &sm.RoleARN, &sm.Version)
	return sm, translate(err)
}

// GetStateMachine implements engine.Store.
func (s *Store) GetStateMachine(ctx context.Context, name string, version int) (engine.StateMachine, error) {
	return scan.StateMachine(s.pool.QueryRow(ctx, q("GetStateMachine"), name, version))
}

// CreateExecution implements engine.Store.
func (s *Store) CreateExecution(ctx context.Context, e *engine.Execution, first func(id int64) (*engine.Mutation, error)) (*engine.Execution, error) {
	var out *engine.Execution
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, q("InsertExecution"), e.ARN, e.StateMachine, e.StateMachineVersion, e.StateMachineARN,
			e.Name, e.Status, e.Input, e.StartDate, string(e.State), e.ParentID, e.ParentToken).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			old, gerr := scan.Execution(tx.QueryRow(ctx, q("GetExecutionByName"), e.StateMachine, e.Name))
			if gerr != nil {
				return gerr
			}
			out = old
			return engine.ErrConflict
		}
		if err != nil {
			return err
		}
		m, err := first(id)
		if err != nil {
			return err
		}
		m.ExecutionID, m.Version = id, 0
		if err := sendMutation(ctx, tx, m); err != nil {
			return err
		}
		x := *e
		x.ID, x.Version, x.Status, x.LastEventID, x.State = id, 1, m.Status, m.LastEventID, m.State
		x.Output, x.Error, x.Cause, x.StopDate = m.Output, m.Error, m.Cause, m.StopDate
		out = &x
		return nil
	})
	if errors.Is(err, engine.ErrConflict) {
		return out, err
	}
	if err != nil {
		return nil, translate(err)
	}
	return out, nil
}

// GetExecution implements engine.Store.
func (s *Store) GetExecution(ctx context.Context, id int64) (*engine.Execution, error) {
	return scan.Execution(s.pool.QueryRow(ctx, q("GetExecution"), id))
}

// GetExecutionByARN implements engine.Store.
func (s *Store) GetExecutionByARN(ctx context.Context, arn string) (*engine.Execution, error) {
	return scan.Execution(s.pool.QueryRow(ctx, q("GetExecutionByARN"), arn))
}

// History implements engine.Store: the chunks that hold the page, decoded
// and cut to it.
func (s *Store) History(ctx context.Context, executionID int64, f engine.HistoryFilter) ([]statelang.HistoryEvent, error) {
	limit := int64(f.Limit)
	if limit <= 0 {
		limit = math.MaxInt32
	}
	var rows pgx.Rows
	var err error
	if f.Reverse {
		rows, err = s.pool.Query(ctx, q("HistoryReverse"), executionID, f.BeforeID, limit)
	} else {
		rows, err = s.pool.Query(ctx, q("HistoryForward"), executionID, f.AfterID, limit)
	}
	if err != nil {
		return nil, translate(err)
	}
	var all []statelang.HistoryEvent
	var data []byte
	_, err = pgx.ForEachRow(rows, []any{&data}, func() error {
		evs, err := histchunk.Decode(data)
		if err != nil {
			return fmt.Errorf("history of execution %d: %w", executionID, err)
		}
		all = append(all, evs...)
		return nil
	})
	if err != nil {
		return nil, translate(err)
	}
	return histchunk.Page(all, f.AfterID, f.BeforeID, f.Reverse, int(limit)), nil
}

// queuer is a pgx.Tx or the pool: something a batch can be sent on.
type queuer interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

func sendMutation(ctx context.Context, qu queuer, m *engine.Mutation) error {
	_, err := sendGroup(ctx, qu, &engine.GroupWrite{Mutations: []*engine.Mutation{m}})
	return err
}

// Commit implements engine.Store: one batch, one implicit transaction.
func (s *Store) Commit(ctx context.Context, m *engine.Mutation) error {
	return sendMutation(ctx, s.pool, m)
}

// ClaimDueTimers implements engine.Store.
func (s *Store) ClaimDueTimers(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]engine.Timer, error) {
	rows, err := s.pool.Query(ctx, q("ClaimDueTimers"), now, now.Add(lease), limit)
	return collect(rows, err, scan.Timer)
}

// ClaimUndispatched implements engine.Store.
func (s *Store) ClaimUndispatched(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]engine.Task, error) {
	rows, err := s.pool.Query(ctx, q("ClaimUndispatched"), now, now.Add(lease), limit)
	return collect(rows, err, scan.Task)
}

// GetTask implements engine.Store.
func (s *Store) GetTask(ctx context.Context, token string) (engine.Task, string, error) {
	return scan.TaskStatus(s.pool.QueryRow(ctx, q("GetTask"), token))
}

// EndedChildren implements engine.Store.
func (s *Store) EndedChildren(ctx context.Context, limit int) ([]*engine.Execution, error) {
	return queryExecutions(s.pool.Query(ctx, q("EndedChildren"), limit))
}

// StrandedChildren implements engine.Store.
func (s *Store) StrandedChildren(ctx context.Context, limit int) ([]*engine.Execution, error) {
	return queryExecutions(s.pool.Query(ctx, q("StrandedChildren"), limit))
}

// queryExecutions reads the executions a query returns (State not loaded).
func queryExecutions(rows pgx.Rows, err error) ([]*engine.Execution, error) {
	return collect(rows, err, scan.ListedExecution)
}
