package engine

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/internal/arn"
	"github.com/stepwise-dev/stepwise/statelang"
)

// Published versions and aliases, as AWS Step Functions has them.
//
// The engine's own StateMachine.Version is AWS's *revision*: every update
// that changes the definition or the role makes one (revisionId is its
// number). A published Version is AWS's version: number N of a machine
// names one revision and keeps the role and description it was published
// with; numbers grow and are never reused, even after a deletion. An Alias
// routes new executions to one or two versions by weight.
//
// An execution started through a version or an alias records the ARN it
// was started with (qualified: name:N or name:alias) as its
// StateMachineARN, so the association is written with the execution's row;
// ExecutionRoute reads it back.

// Version is a published version of a state machine.
type Version struct {
	StateMachine string
	Number       int
	Revision     int // the engine version (AWS revision) it names
	RoleARN      string
	Description  string
	CreatedAt    time.Time
}

// Route is one entry of an alias's routing configuration.
type Route struct {
	Version int // the version number
	Weight  int // 0 to 100; an alias's weights sum to 100
}

// Alias is a named pointer to one or two versions of a state machine.
type Alias struct {
	StateMachine string
	Name         string
	Description  string
	Routes       []Route // one or two, distinct versions
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// AliasKey is an alias's place in a listing of a machine's aliases,
// newest first: its creation time, then its name (the later name first
// among aliases created at the same time).
type AliasKey struct {
	CreatedAt time.Time
	Name      string
}

// VersionStore is the part of Store that keeps revisions' roles, published
// versions and aliases.
type VersionStore interface {
	// ReviseStateMachine makes a new revision with a new definition and/or
	// role (nil: unchanged) and returns it; when both equal the latest
	// revision's, nothing is written and the latest is returned.
	// ErrNotFound when the machine does not exist or was deleted.
	ReviseStateMachine(ctx context.Context, name string, definition, roleARN *string, now time.Time) (StateMachine, error)
	// StateMachineCreatedAt returns when the machine (not its latest
	// revision) was created; ErrNotFound when it does not exist.
	StateMachineCreatedAt(ctx context.Context, name string) (time.Time, error)
	// SetStateMachineLogging sets the machine's Logging (nil: none), for
	// all its versions, without a new revision; ErrNotFound when the
	// machine does not exist or was deleted.
	SetStateMachineLogging(ctx context.Context, name string, logging *Logging) error
	// PublishVersion publishes revision as the next version, with the
	// machine's role, unless the newest version not deleted already names
	// it: then that version is returned. ErrConflict (nothing written)
	// when revision is not the machine's latest, ErrNotFound when the
	// machine does not exist or was deleted.
	PublishVersion(ctx context.Context, name string, revision int, description string, now time.Time) (Version, error)
	// GetVersion returns a version that is not deleted, else ErrNotFound.
	GetVersion(ctx context.Context, name string, number int) (Version, error)
	// VersionOfRevision returns the version (deleted or not) that names a
	// revision; ErrNotFound when none does.
	VersionOfRevision(ctx context.Context, name string, revision int) (Version, error)
	// ListVersions returns up to limit versions not deleted with numbers
	// below before (0: from the newest), newest first.
	ListVersions(ctx context.Context, name string, before, limit int) ([]Version, error)
	// DeleteVersion deletes a version unless aliases route to it: then it
	// returns their names, sorted, and deletes nothing. Deleting a version
	// that does not exist is not an error.
	DeleteVersion(ctx context.Context, name string, number int, now time.Time) (aliases []string, err error)
	// CreateAlias stores a new alias; ErrConflict when the name is taken.
	CreateAlias(ctx context.Context, a Alias) error
	// UpdateAlias replaces an alias's description and routes and sets its
	// UpdatedAt; ErrNotFound when it does not exist.
	UpdateAlias(ctx context.Context, a Alias) error
	GetAlias(ctx context.Context, machine, name string) (Alias, error)
	// ListAliases returns up to limit aliases, newest first (by CreatedAt
	// descending, then by Name descending), those after the alias before
	// names in that order (all when before is zero).
	ListAliases(ctx context.Context, machine string, before AliasKey, limit int) ([]Alias, error)
	// DeleteAlias deletes an alias; deleting one that does not exist is
	// not an error.
	DeleteAlias(ctx context.Context, machine, name string) error
}

// RevisionConflictError: PublishStateMachineVersion named a revision that
// is not the machine's latest (AWS: ConflictException). It wraps ErrConflict.
type RevisionConflictError struct {
	Requested, Current string
}

func (e *RevisionConflictError) Error() string {
	return "revision " + e.Requested + " is not the current revision " + e.Current
}

func (e *RevisionConflictError) Unwrap() error { return ErrConflict }

// VersionInUseError: DeleteStateMachineVersion of a version aliases route
// to (AWS: ConflictException). It wraps ErrConflict.
type VersionInUseError struct {
	Aliases []string
}

func (e *VersionInUseError) Error() string {
	return "the version is referenced by aliases " + strings.Join(e.Aliases, ", ")
}

func (e *VersionInUseError) Unwrap() error { return ErrConflict }

// RevisionID is the revisionId AWS shows for a revision.
func RevisionID(revision int) string { return strconv.Itoa(revision) }

// VersionARN returns the ARN of version number of a machine.
func (e *Engine) VersionARN(machine string, number int) string {
	return e.arns.StateMachineVersion(machine, number)
}

// AliasARN returns the ARN of an alias of a machine.
func (e *Engine) AliasARN(machine, alias string) string {
	return e.arns.StateMachineAlias(machine, alias)
}

// UpdateStateMachineInput are the arguments of ReviseStateMachine.
type UpdateStateMachineInput struct {
	Name       string
	Definition *string // nil: unchanged
	RoleARN    *string // nil: unchanged
	// Logging replaces the machine's logging configuration (nil:
	// unchanged; a Level of LogOff turns logging off). It makes no new
	// revision.
	Logging *Logging
	// Publish publishes the resulting revision as a version (or returns
	// the newest version when it already names it), with
	// VersionDescription.
	Publish            bool
	VersionDescription string
}

// ReviseStateMachine updates a machine's definition and/or role, making a
// new revision when either changes, and publishes a version when asked.
// The returned Version is zero unless in.Publish.
func (e *Engine) ReviseStateMachine(ctx context.Context, in UpdateStateMachineInput) (StateMachine, Version, error) {
	if in.Definition != nil {
		if _, err := statelang.Parse([]byte(*in.Definition)); err != nil {
			return StateMachine{}, Version{}, fmt.Errorf("%w: %w", ErrInvalidInput, err)
		}
	}
	if in.Logging != nil {
		lg := in.Logging
		if lg.Level == LogOff {
			lg = nil
		}
		if err := e.store.SetStateMachineLogging(ctx, in.Name, lg); err != nil {
			return StateMachine{}, Version{}, err
		}
	}
	sm, err := e.store.ReviseStateMachine(ctx, in.Name, in.Definition, in.RoleARN, e.cfg.Now())
	if err != nil || !in.Publish {
		return sm, Version{}, err
	}
	v, err := e.store.PublishVersion(ctx, in.Name, sm.Version, in.VersionDescription, e.cfg.Now())
	return sm, v, err
}

// PublishStateMachineVersion publishes the machine's latest revision as a
// version. revisionID, when set, must be the latest revision's
// (*RevisionConflictError otherwise). Publishing a revision the newest
// version already names returns that version.
func (e *Engine) PublishStateMachineVersion(ctx context.Context, name, revisionID, description string) (Version, error) {
	for {
		sm, err := e.DescribeStateMachine(ctx, name, 0)
		if err != nil {
			return Version{}, err
		}
		if revisionID != "" && revisionID != RevisionID(sm.Version) {
			return Version{}, &RevisionConflictError{Requested: revisionID, Current: RevisionID(sm.Version)}
		}
		v, err := e.store.PublishVersion(ctx, name, sm.Version, description, e.cfg.Now())
		if errors.Is(err, ErrConflict) && revisionID == "" {
			continue // revised meanwhile: publish the new latest
		}
		if errors.Is(err, ErrConflict) {
			return Version{}, &RevisionConflictError{Requested: revisionID, Current: "a newer revision"}
		}
		return v, err
	}
}

// DescribeStateMachineVersion returns a version and the revision it names.
// ErrNotFound when the machine or the version does not exist.
func (e *Engine) DescribeStateMachineVersion(ctx context.Context, name string, number int) (StateMachine, Version, error) {
	if _, err := e.DescribeStateMachine(ctx, name, 0); err != nil {
		return StateMachine{}, Version{}, err
	}
	v, err := e.store.GetVersion(ctx, name, number)
	if err != nil {
		return StateMachine{}, Version{}, err
	}
	sm, err := e.store.GetStateMachine(ctx, name, v.Revision)
	if err != nil {
		return StateMachine{}, Version{}, err
	}
	sm.RoleARN = v.RoleARN
	return sm, v, nil
}

// StateMachineCreatedAt returns when a machine was created (its latest
// revision may be newer).
func (e *Engine) StateMachineCreatedAt(ctx context.Context, name string) (time.Time, error) {
	return e.store.StateMachineCreatedAt(ctx, name)
}

// decodeToken decodes a next token of the listings here: a base64 key.
func decodeToken(token string) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) == 0 || !utf8.Valid(b) {
		return "", fmt.Errorf("%w: invalid next token", ErrInvalidInput)
	}
	return string(b), nil
}

func encodeToken(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func pageLimit(n int) int {
	if n <= 0 || n > 1000 {
		return 1000
	}
	return n
}

// ListStateMachineVersions lists a machine's versions, newest first, a page
// at a time; the returned token is "" on the last page.
func (e *Engine) ListStateMachineVersions(ctx context.Context, name string, maxResults int, nextToken string) ([]Version, string, error) {
	key, err := decodeToken(nextToken)
	if err != nil {
		return nil, "", err
	}
	before := 0
	if key != "" {
		if before, err = strconv.Atoi(key); err != nil || before <= 0 {
			return nil, "", fmt.Errorf("%w: invalid next token", ErrInvalidInput)
		}
	}
	return listPage(ctx, e, name, maxResults, func(limit int) ([]Version, error) {
		return e.store.ListVersions(ctx, name, before, limit)
	}, func(v Version) string { return strconv.Itoa(v.Number) })
}

// listPage reads one page of a live machine's versions or aliases: list
// returns up to limit rows, key names a row for the next token.
func listPage[T any](ctx context.Context, e *Engine, machine string, maxResults int, list func(limit int) ([]T, error), key func(T) string) ([]T, string, error) {
	if _, err := e.DescribeStateMachine(ctx, machine, 0); err != nil {
		return nil, "", err
	}
	limit := pageLimit(maxResults)
	rows, err := list(limit + 1)
	if err != nil || len(rows) <= limit {
		return rows, "", err
	}
	rows = rows[:limit]
	return rows, encodeToken(key(rows[limit-1])), nil
}

// DeleteStateMachineVersion deletes a version; *VersionInUseError when
// aliases route to it. Deleting a version that does not exist succeeds.
func (e *Engine) DeleteStateMachineVersion(ctx context.Context, name string, number int) error {
	aliases, err := e.store.DeleteVersion(ctx, name, number, e.cfg.Now())
	if err != nil {
		return err
	}
	if len(aliases) > 0 {
		return &VersionInUseError{Aliases: aliases}
	}
	return nil
}

// checkRoutes checks that an alias's routes name versions of the machine
// that exist.
func (e *Engine) checkRoutes(ctx context.Context, machine string, routes []Route) error {
	if _, err := e.DescribeStateMachine(ctx, machine, 0); err != nil {
		return err
	}
	for _, r := range routes {
		if _, err := e.store.GetVersion(ctx, machine, r.Version); err != nil {
			return err
		}
	}
	return nil
}

func sameRoutes(a, b []Route) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// CreateStateMachineAlias creates an alias. Creating it again with the
// same description and routes returns the existing one; a different one is
// ErrConflict. ErrNotFound when the machine or a version does not exist.
func (e *Engine) CreateStateMachineAlias(ctx context.Context, a Alias) (Alias, error) {
	if err := e.checkRoutes(ctx, a.StateMachine, a.Routes); err != nil {
		return Alias{}, err
	}
	now := e.cfg.Now()
	a.CreatedAt, a.UpdatedAt = now, now
	err := e.store.CreateAlias(ctx, a)
	if errors.Is(err, ErrConflict) {
		old, gerr := e.store.GetAlias(ctx, a.StateMachine, a.Name)
		if gerr == nil && old.Description == a.Description && sameRoutes(old.Routes, a.Routes) {
			return old, nil
		}
	}
	return a, err
}

// UpdateStateMachineAlias changes an alias's description and/or routes
// (nil: unchanged). ErrNotFound when the alias or a version does not exist.
func (e *Engine) UpdateStateMachineAlias(ctx context.Context, machine, name string, description *string, routes []Route) (Alias, error) {
	a, err := e.store.GetAlias(ctx, machine, name)
	if err != nil {
		return Alias{}, err
	}
	if description != nil {
		a.Description = *description
	}
	if routes != nil {
		if err := e.checkRoutes(ctx, machine, routes); err != nil {
			return Alias{}, err
		}
		a.Routes = routes
	}
	a.UpdatedAt = e.cfg.Now()
	return a, e.store.UpdateAlias(ctx, a)
}

// DescribeStateMachineAlias returns an alias; ErrNotFound when it or its
// machine does not exist.
func (e *Engine) DescribeStateMachineAlias(ctx context.Context, machine, name string) (Alias, error) {
	if _, err := e.DescribeStateMachine(ctx, machine, 0); err != nil {
		return Alias{}, err
	}
	return e.store.GetAlias(ctx, machine, name)
}

// DeleteStateMachineAlias deletes an alias; deleting one that does not
// exist succeeds.
func (e *Engine) DeleteStateMachineAlias(ctx context.Context, machine, name string) error {
	return e.store.DeleteAlias(ctx, machine, name)
}

// ListStateMachineAliases lists a machine's aliases newest first, as AWS
// does, a page at a time; the returned token is "" on the last page. A
// token names the last alias of its page by creation time and name, so an
// alias created or deleted meanwhile neither repeats nor skips another.
func (e *Engine) ListStateMachineAliases(ctx context.Context, machine string, maxResults int, nextToken string) ([]Alias, string, error) {
	key, err := decodeToken(nextToken)
	if err != nil {
		return nil, "", err
	}
	var before AliasKey
	if key != "" {
		if before, err = parseAliasKey(key); err != nil {
			return nil, "", err
		}
	}
	return listPage(ctx, e, machine, maxResults, func(limit int) ([]Alias, error) {
		return e.store.ListAliases(ctx, machine, before, limit)
	}, func(a Alias) string { return aliasKey(a) })
}

// aliasKey is the key of a next token naming alias a: its creation time
// in Unix nanoseconds, a space, its name (alias names have no spaces).
func aliasKey(a Alias) string {
	return strconv.FormatInt(a.CreatedAt.UnixNano(), 10) + " " + a.Name
}

func parseAliasKey(key string) (AliasKey, error) {
	ns, name, ok := strings.Cut(key, " ")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || name == "" {
		return AliasKey{}, fmt.Errorf("%w: invalid next token", ErrInvalidInput)
	}
	return AliasKey{CreatedAt: time.Unix(0, n).UTC(), Name: name}, nil
}

// StartTarget resolves what StartExecution runs for a qualifier of a
// machine's ARN: "" (the latest revision), a version number, or an alias
// name (which picks one of its versions by weight). It returns the
// StartExecutionInput fields to set. ErrNotFound when the machine, the
// version or the alias does not exist.
func (e *Engine) StartTarget(ctx context.Context, machine, qualifier string) (StartExecutionInput, error) {
	in := StartExecutionInput{StateMachine: machine}
	if qualifier == "" {
		return in, nil
	}
	number, err := strconv.Atoi(qualifier)
	if err != nil {
		a, err := e.store.GetAlias(ctx, machine, qualifier)
		if err != nil {
			return in, err
		}
		number = pickRoute(a.Routes, e.cfg.Random())
	}
	v, err := e.store.GetVersion(ctx, machine, number)
	if err != nil {
		return in, err
	}
	in.Version, in.StateMachineARN = v.Revision, e.AliasARN(machine, qualifier)
	return in, nil
}

// pickRoute picks a route's version for r in [0, 1), each with the
// probability of its weight.
func pickRoute(routes []Route, r float64) int {
	x := int(r * 100)
	for _, rt := range routes {
		if x < rt.Weight {
			return rt.Version
		}
		x -= rt.Weight
	}
	return routes[len(routes)-1].Version
}

// ExecutionRoute reports the version and alias an execution was started
// through (0 and "" when it was started with the unqualified ARN). The
// version of an execution started through an alias is found by the
// revision it runs; it is 0 if that version was since deleted and the
// machine deleted too.
func (e *Engine) ExecutionRoute(ctx context.Context, x *Execution) (version int, alias string, err error) {
	m, perr := arn.ParseStateMachine(x.StateMachineARN)
	if perr != nil || m.Scope != e.arns || m.Name != x.StateMachine || m.Qualifier == "" {
		return 0, "", nil
	}
	q := m.Qualifier
	if n, err := strconv.Atoi(q); err == nil {
		return n, "", nil
	}
	v, err := e.store.VersionOfRevision(ctx, x.StateMachine, x.StateMachineVersion)
	if errors.Is(err, ErrNotFound) {
		return 0, q, nil
	}
	return v.Number, q, err
}
