// Package sqlite is the SQLite implementation of engine.Store, on
// modernc.org/sqlite (pure Go, no cgo). It is the embedded store of
// `stepwise dev`: one file, no server.
//
// It mirrors store/postgres statement for statement: the schema lives in
// embedded, numbered migrations (migrations/NNNN_*.sql), every query is a
// named query in queries/*.sql, and rows are mapped to engine types by
// store/internal/rowmap, which store/postgres shares, with the hooks of
// dialect.go: what is SQLite's own on the Go side (times as microseconds,
// translating SQLite errors to engine.ErrNotFound and engine.ErrConflict).
//
// # Concurrency
//
// SQLite has one writer at a time. The store keeps two connection pools on
// the same file: a write pool of exactly one connection, whose
// transactions start with BEGIN IMMEDIATE (so a transaction takes the
// write lock before it reads, and never fails to upgrade), and a read pool
// of several connections that see the last committed state through the
// write-ahead log (WAL) without blocking the writer. Writers in other
// processes on the same file wait for the lock for up to
// Config.BusyTimeout.
//
// What Postgres does with row locks, SQLite gets from the single writer:
//   - a transition (engine.Mutation) is one transaction whose first
//     statement updates the execution only at the version the decision
//     was made from; no row changed means another writer got there first,
//     and the transaction is rolled back with engine.ErrConflict;
//   - claiming due timers and undelivered tasks is one UPDATE … RETURNING
//     that moves their deadline by the lease, the equivalent of FOR UPDATE
//     SKIP LOCKED since no other writer runs meanwhile;
//   - migrations run each in a BEGIN IMMEDIATE transaction that first
//     checks whether it was applied, the equivalent of the advisory lock.
//
// Times are stored as microseconds since the Unix epoch, Postgres's
// timestamptz precision.
//
// It imports engine, statelang (for the history event type) and schedule
// (schedules.go implements schedule.Store), and no other Stepwise package.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

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

// Config configures Open.
type Config struct {
	// Path is the database file; it is created when missing. Required.
	Path string
	// BusyTimeout is how long a write waits for the write lock held by
	// another process on the same file. Defaults to 10s.
	BusyTimeout time.Duration
	// ReadConns is the size of the read pool. Defaults to 4.
	ReadConns int
	// Synchronous is SQLite's synchronous setting: "NORMAL" (the
	// default) survives a crash of the process, "FULL" also a power loss.
	Synchronous string
}

func (c *Config) setDefaults() {
	if c.BusyTimeout <= 0 {
		c.BusyTimeout = 10 * time.Second
	}
	if c.ReadConns <= 0 {
		c.ReadConns = 4
	}
	if c.Synchronous == "" {
		c.Synchronous = "NORMAL"
	}
}

func (c *Config) validate() error {
	if c.Path == "" {
		return errors.New("store/sqlite: Config.Path is required")
	}
	if strings.ContainsAny(c.Path, "?#") {
		return fmt.Errorf("store/sqlite: the path %q may not contain ? or #", c.Path)
	}
	switch strings.ToUpper(c.Synchronous) {
	case "OFF", "NORMAL", "FULL", "EXTRA":
	default:
		return fmt.Errorf("store/sqlite: bad Synchronous %q", c.Synchronous)
	}
	return nil
}

// Store is an engine.Store on a SQLite file. Close it when done.
type Store struct {
	w *sql.DB // exactly one connection; transactions BEGIN IMMEDIATE
	r *sql.DB // readers
}

var _ engine.Store = (*Store)(nil)

// Open opens (creating when missing) the database file cfg.Path in WAL
// mode. It does not migrate: call Migrate.
func Open(cfg Config) (*Store, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	params := url.Values{}
	params.Add("_pragma", "busy_timeout("+strconv.FormatInt(cfg.BusyTimeout.Milliseconds(), 10)+")")
	params.Add("_pragma", "journal_mode(WAL)")
	params.Add("_pragma", "foreign_keys(1)")
	params.Add("_pragma", "synchronous("+strings.ToUpper(cfg.Synchronous)+")")
	w, err := sql.Open("sqlite", cfg.Path+"?"+params.Encode()+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store/sqlite: open %s: %w", cfg.Path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// Create the file and switch it to WAL before the readers open it.
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, fmt.Errorf("store/sqlite: open %s: %w", cfg.Path, err)
	}
	r, err := sql.Open("sqlite", cfg.Path+"?"+params.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store/sqlite: open %s: %w", cfg.Path, err)
	}
	r.SetMaxOpenConns(cfg.ReadConns)
	r.SetMaxIdleConns(cfg.ReadConns)
	return &Store{w: w, r: r}, nil
}

// Close closes both pools.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// Migrate applies the embedded migrations not yet applied, in order, each
// in its own BEGIN IMMEDIATE transaction that first checks whether another
// process applied it meanwhile, so several processes may call it at once.
func (s *Store) Migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS stepwise_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
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
		text, err := migrationFS.ReadFile(f)
		if err != nil {
			return err
		}
		err = s.writeTx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM stepwise_migrations WHERE version = ?1", v).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(text)); err != nil {
				return err
			}
			if step := goMigrations[v]; step != nil {
				if err := step(ctx, tx); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO stepwise_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
				v, base, time.Now().UnixMicro())
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
var goMigrations = map[int]func(context.Context, *sql.Tx) error{
	7: moveHistoryToChunks,
}

// moveHistoryToChunks rewrites the rows of history_events (one per event,
// before version 7) as chunks of up to 100 events, then drops the table.
func moveHistoryToChunks(ctx context.Context, tx *sql.Tx) error {
	var lastX, lastID int64
	for {
		rows, err := tx.QueryContext(ctx, `SELECT execution_id, id, previous_event_id, type, timestamp, details
			  FROM history_events WHERE execution_id > ?1 OR (execution_id = ?1 AND id > ?2)
			 ORDER BY execution_id, id LIMIT 10000`, lastX, lastID)
		if err != nil {
			return err
		}
		byExec := map[int64][]statelang.HistoryEvent{}
		var order []int64
		for rows.Next() {
			var x, ts int64
			var e statelang.HistoryEvent
			var details sql.NullString
			if err := rows.Scan(&x, &e.ID, &e.PreviousEventID, &e.Type, &ts, &details); err != nil {
				rows.Close()
				return err
			}
			e.Timestamp = fromMicros(ts)
			if details.Valid && details.String != "null" {
				v, err := statelang.ParseJSON([]byte(details.String))
				if err != nil {
					rows.Close()
					return fmt.Errorf("history event %d of execution %d: %w", e.ID, x, err)
				}
				e.Details, _ = v.(map[string]any)
			}
			if byExec[x] == nil {
				order = append(order, x)
			}
			byExec[x] = append(byExec[x], e)
			lastX, lastID = x, e.ID
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(order) == 0 {
			break
		}
		for _, x := range order {
			for _, part := range histchunk.Split(byExec[x], 100) {
				if _, err := tx.ExecContext(ctx, q("InsertChunk"), x, part[0].ID, part[len(part)-1].ID, histchunk.Encode(part)); err != nil {
					return err
				}
			}
		}
	}
	_, err := tx.ExecContext(ctx, "DROP TABLE history_events")
	return err
}

// writeTx runs fn in a BEGIN IMMEDIATE transaction on the write
// connection, committing when fn returns nil.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// CreateStateMachine implements engine.Store.
func (s *Store) CreateStateMachine(ctx context.Context, sm engine.StateMachine) (engine.StateMachine, error) {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, q("UpsertStateMachine"), sm.Name, sm.ARN, sm.RoleARN, micros(sm.CreatedAt),
			engine.MachineType(sm.Type), engine.EncodeLogging(sm.Logging)).Scan(&sm.Version)
		if errors.Is(err, sql.ErrNoRows) {
			return engine.ErrConflict
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, q("InsertStateMachineVersion"), sm.Name, sm.Version, sm.Definition, micros(sm.CreatedAt))
		return err
	})
	if errors.Is(err, engine.ErrConflict) {
		return engine.StateMachine{}, err
	}
	if err != nil {
		return engine.StateMachine{}, translate(err)
	}
	return sm, nil
}

// AddStateMachineVersion implements engine.Store.
func (s *Store) AddStateMachineVersion(ctx context.Context, name, definition string, now time.Time) (engine.StateMachine, error) {
	sm := engine.StateMachine{Name: name, Definition: definition, CreatedAt: now}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, q("BumpStateMachineVersion"), name).Scan(&sm.ARN, &sm.RoleARN, &sm.Version); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, q("InsertStateMachineVersion"), name, sm.Version, definition, micros(now))
		return err
	})
	return sm, translate(err)
}

// GetStateMachine implements engine.Store.
func (s *Store) GetStateMachine(ctx context.Context, name string, version int) (engine.StateMachine, error) {
	return scan.StateMachine(s.r.QueryRowContext(ctx, q("GetStateMachine"), name, version))
}

// CreateExecution implements engine.Store.
func (s *Store) CreateExecution(ctx context.Context, e *engine.Execution, first func(id int64) (*engine.Mutation, error)) (*engine.Execution, error) {
	var out *engine.Execution
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, q("InsertExecution"), e.ARN, e.StateMachine, e.StateMachineVersion, e.StateMachineARN,
			e.Name, e.Status, e.Input, micros(e.StartDate), string(e.State), e.ParentID, e.ParentToken).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			old, gerr := scan.Execution(tx.QueryRowContext(ctx, q("GetExecutionByName"), e.StateMachine, e.Name))
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
		if err := applyMutation(ctx, tx, m); err != nil {
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
	return scan.Execution(s.r.QueryRowContext(ctx, q("GetExecution"), id))
}

// GetExecutionByARN implements engine.Store.
func (s *Store) GetExecutionByARN(ctx context.Context, arn string) (*engine.Execution, error) {
	return scan.Execution(s.r.QueryRowContext(ctx, q("GetExecutionByARN"), arn))
}

// History implements engine.Store: the chunks that hold the page, decoded
// and cut to it.
func (s *Store) History(ctx context.Context, executionID int64, f engine.HistoryFilter) ([]statelang.HistoryEvent, error) {
	limit := int64(f.Limit)
	if limit <= 0 {
		limit = math.MaxInt32
	}
	var rows *sql.Rows
	var err error
	if f.Reverse {
		rows, err = s.r.QueryContext(ctx, q("HistoryReverse"), executionID, f.BeforeID, limit)
	} else {
		rows, err = s.r.QueryContext(ctx, q("HistoryForward"), executionID, f.AfterID, limit)
	}
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var all []statelang.HistoryEvent
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, translate(err)
		}
		evs, err := histchunk.Decode(data)
		if err != nil {
			return nil, fmt.Errorf("history of execution %d: %w", executionID, err)
		}
		all = append(all, evs...)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	return histchunk.Page(all, f.AfterID, f.BeforeID, f.Reverse, int(limit)), nil
}

// applyMutation writes a mutation inside tx: the version-checked update
// first, then the events and the outbox, as store/postgres's batch does.
func applyMutation(ctx context.Context, tx *sql.Tx, m *engine.Mutation) error {
	res, err := tx.ExecContext(ctx, q("Advance"), m.ExecutionID, m.Version, m.Status, string(m.State), m.LastEventID,
		m.Output, m.Error, m.Cause, nullMicros(m.StopDate))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("%w: execution %d is no longer at version %d", engine.ErrConflict, m.ExecutionID, m.Version)
	}
	if n := len(m.Events); n > 0 {
		if _, err := tx.ExecContext(ctx, q("InsertChunk"), m.ExecutionID, m.Events[0].ID, m.Events[n-1].ID, histchunk.Encode(m.Events)); err != nil {
			return err
		}
	}
	for _, t := range m.NewTasks {
		if _, err := tx.ExecContext(ctx, q("InsertTask"), t.Token, m.ExecutionID, t.StateName, t.Attempt, t.Resource, t.Input,
			t.TimeoutSeconds, t.HeartbeatSeconds, micros(t.CreatedAt), micros(t.DispatchAfter)); err != nil {
			return err
		}
	}
	if err := upsertMapRuns(ctx, tx, m); err != nil {
		return err
	}
	if r := m.Redrive; r != nil {
		if _, err := tx.ExecContext(ctx, q("SetRedrive"), m.ExecutionID, r.Count, nullMicros(r.Date), nullMicros(r.Until), r.ParentToken); err != nil {
			return err
		}
	}
	now := m.StopDate
	if now.IsZero() && len(m.Events) > 0 {
		now = m.Events[len(m.Events)-1].Timestamp
	}
	if now.IsZero() {
		now = time.Now()
	}
	for _, u := range m.CloseTasks {
		if _, err := tx.ExecContext(ctx, q("CloseTask"), u.Token, u.Status, micros(now)); err != nil {
			return err
		}
	}
	for _, key := range m.DeleteTimers {
		if _, err := tx.ExecContext(ctx, q("DeleteTimer"), m.ExecutionID, key); err != nil {
			return err
		}
	}
	if m.Terminal {
		if _, err := tx.ExecContext(ctx, q("CancelOpenTasks"), m.ExecutionID, micros(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, q("DeleteAllTimers"), m.ExecutionID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, q("DropAllParts"), m.ExecutionID); err != nil {
			return err
		}
	} else {
		if m.DropParts {
			if _, err := tx.ExecContext(ctx, q("DropAllParts"), m.ExecutionID); err != nil {
				return err
			}
		}
		for _, f := range m.DropFrames {
			if _, err := tx.ExecContext(ctx, q("DropFrameParts"), m.ExecutionID, f); err != nil {
				return err
			}
		}
		for _, p := range m.Parts {
			if _, err := tx.ExecContext(ctx, q("UpsertPart"), m.ExecutionID, p.Frame, p.Slot, p.Data); err != nil {
				return err
			}
		}
		for _, t := range m.NewTimers {
			if _, err := tx.ExecContext(ctx, q("UpsertTimer"), m.ExecutionID, t.Key, micros(t.FireAt)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Commit implements engine.Store: one BEGIN IMMEDIATE transaction.
func (s *Store) Commit(ctx context.Context, m *engine.Mutation) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error { return applyMutation(ctx, tx, m) })
	if errors.Is(err, engine.ErrConflict) {
		return err
	}
	return translate(err)
}

// ClaimDueTimers implements engine.Store.
func (s *Store) ClaimDueTimers(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]engine.Timer, error) {
	rows, err := s.w.QueryContext(ctx, q("ClaimDueTimers"), micros(now), micros(now.Add(lease)), limit)
	out, err := collect(rows, err, scan.Timer)
	for i := range out {
		out[i].FireAt = now.Add(lease)
	}
	return out, err
}

// ClaimUndispatched implements engine.Store.
func (s *Store) ClaimUndispatched(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]engine.Task, error) {
	rows, err := s.w.QueryContext(ctx, q("ClaimUndispatched"), micros(now), micros(now.Add(lease)), limit)
	out, err := collect(rows, err, scan.Task)
	if err != nil {
		return nil, err
	}
	// RETURNING's order is unspecified; hand them out oldest deadline first.
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

// GetTask implements engine.Store.
func (s *Store) GetTask(ctx context.Context, token string) (engine.Task, string, error) {
	return scan.TaskStatus(s.r.QueryRowContext(ctx, q("GetTask"), token))
}

// EndedChildren implements engine.Store.
func (s *Store) EndedChildren(ctx context.Context, limit int) ([]*engine.Execution, error) {
	return queryExecutions(s.r.QueryContext(ctx, q("EndedChildren"), limit))
}

// StrandedChildren implements engine.Store.
func (s *Store) StrandedChildren(ctx context.Context, limit int) ([]*engine.Execution, error) {
	return queryExecutions(s.r.QueryContext(ctx, q("StrandedChildren"), limit))
}

// queryExecutions reads the executions a query returns (State not loaded).
func queryExecutions(rows *sql.Rows, err error) ([]*engine.Execution, error) {
	return collect(rows, err, scan.ListedExecution)
}
