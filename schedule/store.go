package schedule

import (
	"context"
	"time"
)

// Record is a schedule as stored, with where its firing stands.
type Record struct {
	Schedule Schedule
	// NextTick is the next tick to fire; zero when none is left.
	NextTick time.Time
	// DueAt is when NextTick fires: the tick plus its flexible-window
	// offset, or the time of the next attempt after a failed one. A claim
	// moves it by the lease. Zero when none is left.
	DueAt time.Time
	// Attempts counts the failed attempts to start NextTick's execution.
	Attempts int
	// Version is bumped by every write and every claim; a write made on
	// behalf of a claim applies only at the version the claim returned.
	Version int64
}

// Group is a schedule group.
type Group struct {
	Name              string
	Created, Modified time.Time
}

// KeepTicks is how many of a schedule's latest fired ticks the store
// keeps.
const KeepTicks = 100

// Tick is a fired tick: the execution it started, or why it started none.
type Tick struct {
	Group, Name  string
	Time         time.Time // the scheduled time
	ExecutionARN string    // "" when it failed
	Error        string    // why it started no execution
	Attempts     int
	Fired        time.Time
}

// ListFilter selects schedules for Store.ListSchedules, ordered by group
// then name.
type ListFilter struct {
	Group      string // "": every group
	NamePrefix string
	State      string // "": any
	// AfterGroup and AfterName resume a listing after that schedule.
	AfterGroup, AfterName string
	Limit                 int
}

// Store keeps schedules, schedule groups and fired ticks. store/postgres
// and store/sqlite implement it; store/storetest checks them. Errors are
// engine.ErrNotFound and engine.ErrConflict.
type Store interface {
	// CreateScheduleGroup adds a group; ErrConflict when it exists.
	CreateScheduleGroup(ctx context.Context, g Group) error
	GetScheduleGroup(ctx context.Context, name string) (Group, error)
	// DeleteScheduleGroup deletes a group and its schedules.
	DeleteScheduleGroup(ctx context.Context, name string) error
	// ListScheduleGroups lists groups by name after afterName.
	ListScheduleGroups(ctx context.Context, namePrefix, afterName string, limit int) ([]Group, error)

	// CreateSchedule adds a schedule: ErrConflict when its name is taken
	// in its group, ErrNotFound when the group does not exist.
	CreateSchedule(ctx context.Context, r Record) error
	// UpdateSchedule replaces a schedule and its firing state (the Record's
	// Version is ignored); ErrNotFound when missing.
	UpdateSchedule(ctx context.Context, r Record) error
	GetSchedule(ctx context.Context, group, name string) (Record, error)
	// DeleteSchedule deletes a schedule and its ticks; ErrNotFound when
	// missing.
	DeleteSchedule(ctx context.Context, group, name string) error
	ListSchedules(ctx context.Context, f ListFilter) ([]Record, error)

	// ClaimDueSchedules claims up to limit enabled schedules whose DueAt
	// is at or before now: each one's DueAt moves to now+lease and its
	// Version is bumped; the records are returned as claimed.
	ClaimDueSchedules(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Record, error)
	// AdvanceSchedule writes r's NextTick, DueAt and Attempts and, when
	// fired is not nil, records the tick (keeping the newest KeepTicks),
	// in one transaction, only if the schedule is still at r.Version;
	// else ErrConflict. With remove, the schedule is deleted instead
	// (ActionAfterCompletion DELETE).
	AdvanceSchedule(ctx context.Context, r Record, fired *Tick, remove bool) error
	// ListTicks returns a schedule's latest fired ticks, newest first.
	ListTicks(ctx context.Context, group, name string, limit int) ([]Tick, error)
}
