// Package rowmap maps the rows both stores read to engine and schedule
// values: each entity's column order and conversions are written once,
// here, and the queries of store/postgres and store/sqlite whose rows a
// function maps select the columns its doc lists, in that order.
//
// What differs between the databases on the way out comes in as a
// [Scanner]'s hooks, set once in each store's dialect.go: the scan
// destination of a timestamp column (Postgres reads a timestamptz,
// SQLite integer microseconds since the Unix epoch) and which driver
// errors are "no row" and "conflict" ([Scanner.Err] maps them to the
// engine's sentinels). Everything else (text,
// integers, booleans, JSON text, nullable integers as *int64) scans alike
// through pgx and database/sql.
//
// It imports engine, schedule and store/internal/versioning, and no
// database package.
package rowmap

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/schedule"
	"github.com/stepwise-dev/stepwise/store/internal/versioning"
)

// Row is one row to scan: pgx.Row, pgx.Rows, *sql.Row and *sql.Rows are.
type Row interface {
	Scan(dest ...any) error
}

// Rows is a query's result set: pgx.Rows and *sql.Rows are.
type Rows interface {
	Row
	Next() bool
	Err() error
}

// Scanner maps rows with one database's hooks.
type Scanner struct {
	// Time returns the scan destination of a timestamp column, which sets
	// *t; NULL sets the zero time. Required.
	Time func(t *time.Time) any
	// NoRows is the driver's error for a query that returned no row.
	// Required.
	NoRows error
	// Conflict reports whether a driver error is a conflict (a unique
	// violation, a serialization failure), and its message. Required.
	Conflict func(error) (msg string, ok bool)
}

// Err translates a driver error to the engine's sentinels: NoRows to
// engine.ErrNotFound, a Conflict to engine.ErrConflict (with its message),
// and any other error unchanged.
func (s Scanner) Err(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, s.NoRows) {
		return engine.ErrNotFound
	}
	if msg, ok := s.Conflict(err); ok {
		return fmt.Errorf("%w: %s", engine.ErrConflict, msg)
	}
	return err
}

// All scans every row of rs with one, returning the first error (after
// s.Err). The caller closes rs.
func All[T any](s Scanner, rs Rows, one func(Row) (T, error)) ([]T, error) {
	var out []T
	for rs.Next() {
		v, err := one(rs)
		if err != nil {
			return nil, s.Err(err)
		}
		out = append(out, v)
	}
	return out, s.Err(rs.Err())
}

// Execution scans id, arn, name, state_machine, state_machine_version,
// state_machine_arn, status, input, output, error, cause, start_date,
// stop_date, version, last_event_id, state, parent_id, parent_token,
// redrive_count, redrive_date, redrive_until.
func (s Scanner) Execution(r Row) (*engine.Execution, error) {
	x := &engine.Execution{}
	var state string
	var parent *int64
	err := r.Scan(&x.ID, &x.ARN, &x.Name, &x.StateMachine, &x.StateMachineVersion, &x.StateMachineARN, &x.Status,
		&x.Input, &x.Output, &x.Error, &x.Cause, s.Time(&x.StartDate), s.Time(&x.StopDate), &x.Version, &x.LastEventID,
		&state, &parent, &x.ParentToken, &x.RedriveCount, s.Time(&x.RedriveDate), s.Time(&x.RedriveUntil))
	if err != nil {
		return nil, s.Err(err)
	}
	x.State = []byte(state)
	if parent != nil {
		x.ParentID = *parent
	}
	return x, nil
}

// ListedExecution is Execution without the State, which lists do not
// load.
func (s Scanner) ListedExecution(r Row) (*engine.Execution, error) {
	x, err := s.Execution(r)
	if x != nil {
		x.State = nil
	}
	return x, err
}

// StateMachine scans name, arn, role_arn, version, definition,
// created_at, deleted, type, logging (engine.EncodeLogging's text).
func (s Scanner) StateMachine(r Row) (engine.StateMachine, error) {
	var sm engine.StateMachine
	var logging string
	err := r.Scan(&sm.Name, &sm.ARN, &sm.RoleARN, &sm.Version, &sm.Definition, s.Time(&sm.CreatedAt), &sm.Deleted, &sm.Type, &logging)
	if err != nil {
		return engine.StateMachine{}, s.Err(err)
	}
	sm.Logging, err = engine.DecodeLogging(logging)
	return sm, err
}

// LatestRevision scans the latest revision of the machine name: version,
// definition, role_arn, arn, created_at.
func (s Scanner) LatestRevision(name string, r Row) (engine.StateMachine, error) {
	sm := engine.StateMachine{Name: name}
	if err := r.Scan(&sm.Version, &sm.Definition, &sm.RoleARN, &sm.ARN, s.Time(&sm.CreatedAt)); err != nil {
		return engine.StateMachine{}, s.Err(err)
	}
	return sm, nil
}

// Version scans a version of the machine name: number, revision,
// role_arn, description, created_at.
func (s Scanner) Version(name string, r Row) (engine.Version, error) {
	v := engine.Version{StateMachine: name}
	if err := r.Scan(&v.Number, &v.Revision, &v.RoleARN, &v.Description, s.Time(&v.CreatedAt)); err != nil {
		return engine.Version{}, s.Err(err)
	}
	return v, nil
}

// Alias scans an alias of the machine name: name, description, the
// routing columns (versioning.Columns), created_at, updated_at.
func (s Scanner) Alias(machine string, r Row) (engine.Alias, error) {
	a := engine.Alias{StateMachine: machine}
	var rs versioning.Scanned
	dest := append(append([]any{&a.Name, &a.Description}, rs.Dest()...), s.Time(&a.CreatedAt), s.Time(&a.UpdatedAt))
	if err := r.Scan(dest...); err != nil {
		return engine.Alias{}, s.Err(err)
	}
	a.Routes = rs.Routes()
	return a, nil
}

// Task scans token, execution_id, execution_arn, state_name, attempt,
// resource, input, timeout_seconds, heartbeat_seconds, created_at,
// dispatch_after.
func (s Scanner) Task(r Row) (engine.Task, error) {
	t, _, err := s.task(r, false)
	return t, err
}

// TaskStatus scans Task's columns and then status.
func (s Scanner) TaskStatus(r Row) (engine.Task, string, error) {
	return s.task(r, true)
}

func (s Scanner) task(r Row, withStatus bool) (engine.Task, string, error) {
	var t engine.Task
	var status string
	dest := []any{&t.Token, &t.ExecutionID, &t.ExecutionARN, &t.StateName, &t.Attempt, &t.Resource, &t.Input,
		&t.TimeoutSeconds, &t.HeartbeatSeconds, s.Time(&t.CreatedAt), s.Time(&t.DispatchAfter)}
	if withStatus {
		dest = append(dest, &status)
	}
	if err := r.Scan(dest...); err != nil {
		return engine.Task{}, "", s.Err(err)
	}
	return t, status, nil
}

// Timer scans execution_id, key (FireAt is left to the caller).
func (s Scanner) Timer(r Row) (engine.Timer, error) {
	var t engine.Timer
	if err := r.Scan(&t.ExecutionID, &t.Key); err != nil {
		return engine.Timer{}, s.Err(err)
	}
	return t, nil
}

// Tag scans key, value.
func (s Scanner) Tag(r Row) (engine.Tag, error) {
	var t engine.Tag
	if err := r.Scan(&t.Key, &t.Value); err != nil {
		return engine.Tag{}, s.Err(err)
	}
	return t, nil
}

// Activity scans name, arn, creation_date.
func (s Scanner) Activity(r Row) (engine.Activity, error) {
	var a engine.Activity
	if err := r.Scan(&a.Name, &a.ARN, s.Time(&a.CreationDate)); err != nil {
		return engine.Activity{}, s.Err(err)
	}
	return a, nil
}

// MapRun scans arn, execution_id, execution_arn, state_name, status,
// max_concurrency, tolerated_failure_count, tolerated_failure_percentage,
// total, results_written, start_date, stop_date, redrive_count,
// redrive_date, pending_redrive, running (Children is left to the caller).
func (s Scanner) MapRun(r Row) (engine.MapRun, error) {
	var m engine.MapRun
	err := r.Scan(&m.ARN, &m.ExecutionID, &m.ExecutionARN, &m.StateName, &m.Status, &m.MaxConcurrency, &m.ToleratedFailureCount,
		&m.ToleratedFailurePercentage, &m.Total, &m.ResultsWritten, s.Time(&m.StartDate), s.Time(&m.StopDate),
		&m.RedriveCount, s.Time(&m.RedriveDate), &m.PendingRedrive, &m.Running)
	if err != nil {
		return engine.MapRun{}, s.Err(err)
	}
	return m, nil
}

// ChildCount is one row of a Map Run's children counted by status.
type ChildCount struct {
	Status string
	N      int64
}

// ChildCount scans status, count.
func (s Scanner) ChildCount(r Row) (ChildCount, error) {
	var c ChildCount
	if err := r.Scan(&c.Status, &c.N); err != nil {
		return ChildCount{}, s.Err(err)
	}
	return c, nil
}

// ScheduleGroup scans name, created_at, modified_at, in UTC.
func (s Scanner) ScheduleGroup(r Row) (schedule.Group, error) {
	var g schedule.Group
	if err := r.Scan(&g.Name, s.Time(&g.Created), s.Time(&g.Modified)); err != nil {
		return schedule.Group{}, s.Err(err)
	}
	g.Created, g.Modified = g.Created.UTC(), g.Modified.UTC()
	return g, nil
}

// Schedule scans spec (the schedule.Schedule as JSON text), next_tick,
// due_at (in UTC, zero for NULL), attempts, version.
func (s Scanner) Schedule(r Row) (schedule.Record, error) {
	var rec schedule.Record
	var spec []byte
	if err := r.Scan(&spec, s.Time(&rec.NextTick), s.Time(&rec.DueAt), &rec.Attempts, &rec.Version); err != nil {
		return schedule.Record{}, s.Err(err)
	}
	rec.NextTick, rec.DueAt = rec.NextTick.UTC(), rec.DueAt.UTC()
	return rec, json.Unmarshal(spec, &rec.Schedule)
}

// Tick scans group_name, name, tick, execution_arn, error, attempts,
// fired_at, in UTC.
func (s Scanner) Tick(r Row) (schedule.Tick, error) {
	var t schedule.Tick
	if err := r.Scan(&t.Group, &t.Name, s.Time(&t.Time), &t.ExecutionARN, &t.Error, &t.Attempts, s.Time(&t.Fired)); err != nil {
		return schedule.Tick{}, s.Err(err)
	}
	t.Time, t.Fired = t.Time.UTC(), t.Fired.UTC()
	return t, nil
}
