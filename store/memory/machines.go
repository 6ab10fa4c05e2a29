package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/store/internal/versioning"
)

// machine is a state machine's row with its revisions, published versions
// and aliases.
type machine struct {
	name, arn, role string
	latest          int
	created         time.Time
	deleted         bool
	typ             string
	logging         string // engine.EncodeLogging's text
	revisions       map[int]revision
	versions        []published // number i+1 at i; deleted ones stay
	aliases         map[string]engine.Alias
}

// revision is one immutable definition. hasRole false: a revision written
// without a role of its own, which shows the machine's role.
type revision struct {
	definition string
	role       string
	hasRole    bool
	created    time.Time
}

type published struct {
	v       engine.Version
	deleted bool
}

func (m *machine) live() bool { return !m.deleted }

// revisionRole is a revision's role, or the machine's when it has none.
func (m *machine) revisionRole(r revision) string {
	if r.hasRole {
		return r.role
	}
	return m.role
}

// liveMachine returns the machine name unless it is missing or deleted.
func (s *Store) liveMachine(name string) (*machine, error) {
	m := s.machines[name]
	if m == nil || !m.live() {
		return nil, fmt.Errorf("state machine %q: %w", name, engine.ErrNotFound)
	}
	return m, nil
}

// CreateStateMachine implements engine.Store.
func (s *Store) CreateStateMachine(_ context.Context, sm engine.StateMachine) (engine.StateMachine, error) {
	err := s.write(func() error {
		m := s.machines[sm.Name]
		switch {
		case m == nil:
			m = &machine{name: sm.Name, arn: sm.ARN, revisions: map[int]revision{}, aliases: map[string]engine.Alias{}}
			s.machines[sm.Name] = m
		case m.live():
			return engine.ErrConflict
		}
		m.latest++
		m.role, m.created, m.deleted = sm.RoleARN, ts(sm.CreatedAt), false
		m.typ, m.logging = engine.MachineType(sm.Type), engine.EncodeLogging(sm.Logging)
		m.revisions[m.latest] = revision{definition: sm.Definition, created: ts(sm.CreatedAt)}
		sm.Version = m.latest
		return nil
	})
	if err != nil {
		return engine.StateMachine{}, err
	}
	return sm, nil
}

// AddStateMachineVersion implements engine.Store.
func (s *Store) AddStateMachineVersion(_ context.Context, name, definition string, now time.Time) (engine.StateMachine, error) {
	sm := engine.StateMachine{Name: name, Definition: definition, CreatedAt: now}
	err := s.write(func() error {
		m, err := s.liveMachine(name)
		if err != nil {
			return err
		}
		m.latest++
		m.revisions[m.latest] = revision{definition: definition, created: ts(now)}
		sm.ARN, sm.RoleARN, sm.Version = m.arn, m.role, m.latest
		return nil
	})
	return sm, err
}

// GetStateMachine implements engine.Store.
func (s *Store) GetStateMachine(_ context.Context, name string, version int) (engine.StateMachine, error) {
	var sm engine.StateMachine
	err := s.read(func() error {
		m := s.machines[name]
		if m == nil {
			return fmt.Errorf("state machine %q: %w", name, engine.ErrNotFound)
		}
		if version == 0 {
			version = m.latest
		}
		r, ok := m.revisions[version]
		if !ok {
			return fmt.Errorf("state machine %q version %d: %w", name, version, engine.ErrNotFound)
		}
		lg, err := engine.DecodeLogging(m.logging)
		if err != nil {
			return err
		}
		sm = engine.StateMachine{Name: m.name, ARN: m.arn, RoleARN: m.revisionRole(r), Version: version, Definition: r.definition,
			CreatedAt: r.created, Deleted: !m.live(), Type: m.typ, Logging: lg}
		return nil
	})
	return sm, err
}

// ListStateMachines implements engine.Store: a machine's CreatedAt is its
// own, not its latest revision's.
func (s *Store) ListStateMachines(_ context.Context, afterName string, limit int) ([]engine.StateMachine, error) {
	var out []engine.StateMachine
	err := s.read(func() error {
		var names []string
		for n, m := range s.machines {
			if m.live() {
				names = append(names, n)
			}
		}
		slices.Sort(names)
		for _, n := range after(names, "", afterName, limit) {
			m := s.machines[n]
			lg, err := engine.DecodeLogging(m.logging)
			if err != nil {
				return err
			}
			out = append(out, engine.StateMachine{Name: n, ARN: m.arn, RoleARN: m.role, Version: m.latest,
				Definition: m.revisions[m.latest].definition, CreatedAt: m.created, Type: m.typ, Logging: lg})
		}
		return nil
	})
	return out, err
}

// DeleteStateMachine implements engine.Store: the machine is marked
// deleted, its tags and aliases go, its versions are marked deleted.
func (s *Store) DeleteStateMachine(_ context.Context, name string, _ time.Time) error {
	return s.write(func() error {
		m, err := s.liveMachine(name)
		if err != nil {
			return err
		}
		m.deleted = true
		delete(s.tags, m.arn)
		clear(m.aliases)
		for i := range m.versions {
			m.versions[i].deleted = true
		}
		return nil
	})
}

// latestRevision is a live machine's latest revision.
func (s *Store) latestRevision(name string) (*machine, engine.StateMachine, error) {
	m, err := s.liveMachine(name)
	if err != nil {
		return nil, engine.StateMachine{}, err
	}
	r := m.revisions[m.latest]
	return m, engine.StateMachine{Name: name, Version: m.latest, Definition: r.definition, RoleARN: m.revisionRole(r),
		ARN: m.arn, CreatedAt: r.created}, nil
}

// ReviseStateMachine implements engine.VersionStore.
func (s *Store) ReviseStateMachine(_ context.Context, name string, definition, roleARN *string, now time.Time) (engine.StateMachine, error) {
	var sm engine.StateMachine
	err := s.write(func() error {
		m, latest, err := s.latestRevision(name)
		if err != nil {
			return err
		}
		sm = latest
		if !versioning.Revise(&sm, definition, roleARN, now) {
			return nil // nothing changes
		}
		m.latest++
		m.role = sm.RoleARN
		m.revisions[m.latest] = revision{definition: sm.Definition, role: sm.RoleARN, hasRole: true, created: ts(now)}
		sm.Version = m.latest
		return nil
	})
	return sm, err
}

// SetStateMachineLogging implements engine.VersionStore.
func (s *Store) SetStateMachineLogging(_ context.Context, name string, logging *engine.Logging) error {
	return s.write(func() error {
		m, err := s.liveMachine(name)
		if err != nil {
			return err
		}
		m.logging = engine.EncodeLogging(logging)
		return nil
	})
}

// StateMachineCreatedAt implements engine.VersionStore.
func (s *Store) StateMachineCreatedAt(_ context.Context, name string) (time.Time, error) {
	var t time.Time
	err := s.read(func() error {
		m, err := s.liveMachine(name)
		if err == nil {
			t = m.created
		}
		return err
	})
	return t, err
}

// newest is the machine's newest version not deleted, if any.
func (m *machine) newest() (engine.Version, bool) {
	for i := len(m.versions) - 1; i >= 0; i-- {
		if !m.versions[i].deleted {
			return m.versions[i].v, true
		}
	}
	return engine.Version{}, false
}

// PublishVersion implements engine.VersionStore. Numbers are never
// reused: deleted versions count.
func (s *Store) PublishVersion(_ context.Context, name string, rev int, description string, now time.Time) (engine.Version, error) {
	var v engine.Version
	err := s.write(func() error {
		m, sm, err := s.latestRevision(name)
		if err != nil {
			return err
		}
		if sm.Version != rev {
			return engine.ErrConflict
		}
		if n, ok := m.newest(); ok && n.Revision == rev {
			v = n // already published
			return nil
		}
		v = engine.Version{StateMachine: name, Number: len(m.versions) + 1, Revision: rev, RoleARN: sm.RoleARN,
			Description: description, CreatedAt: ts(now)}
		m.versions = append(m.versions, published{v: v})
		return nil
	})
	return v, err
}

// version returns number n of a machine, deleted or not.
func (s *Store) version(name string, n int) (published, bool) {
	m := s.machines[name]
	if m == nil || n < 1 || n > len(m.versions) {
		return published{}, false
	}
	return m.versions[n-1], true
}

// GetVersion implements engine.VersionStore.
func (s *Store) GetVersion(_ context.Context, name string, number int) (engine.Version, error) {
	var v engine.Version
	err := s.read(func() error {
		p, ok := s.version(name, number)
		if !ok || p.deleted {
			return fmt.Errorf("version %d of %q: %w", number, name, engine.ErrNotFound)
		}
		v = p.v
		return nil
	})
	return v, err
}

// VersionOfRevision implements engine.VersionStore: the newest version
// naming it, deleted or not.
func (s *Store) VersionOfRevision(_ context.Context, name string, rev int) (engine.Version, error) {
	var v engine.Version
	err := s.read(func() error {
		if m := s.machines[name]; m != nil {
			for i := len(m.versions) - 1; i >= 0; i-- {
				if m.versions[i].v.Revision == rev {
					v = m.versions[i].v
					return nil
				}
			}
		}
		return fmt.Errorf("version of revision %d of %q: %w", rev, name, engine.ErrNotFound)
	})
	return v, err
}

// ListVersions implements engine.VersionStore.
func (s *Store) ListVersions(_ context.Context, name string, before, limit int) ([]engine.Version, error) {
	var out []engine.Version
	err := s.read(func() error {
		m := s.machines[name]
		if m == nil {
			return nil
		}
		for i := len(m.versions) - 1; i >= 0 && (limit < 0 || len(out) < limit); i-- {
			if p := m.versions[i]; !p.deleted && (before == 0 || p.v.Number < before) {
				out = append(out, p.v)
			}
		}
		return nil
	})
	return out, err
}

// DeleteVersion implements engine.VersionStore.
func (s *Store) DeleteVersion(_ context.Context, name string, number int, _ time.Time) ([]string, error) {
	var aliases []string
	err := s.write(func() error {
		m := s.machines[name]
		if m == nil {
			return nil
		}
		for _, a := range sortedKeys(m.aliases) {
			if slices.ContainsFunc(m.aliases[a].Routes, func(r engine.Route) bool { return r.Version == number }) {
				aliases = append(aliases, a)
			}
		}
		if len(aliases) == 0 && number >= 1 && number <= len(m.versions) {
			m.versions[number-1].deleted = true
		}
		return nil
	})
	return aliases, err
}

// checkRoutes checks that the machine is live and the versions an alias
// routes to exist (ErrNotFound otherwise).
func (s *Store) checkRoutes(a engine.Alias) (*machine, error) {
	if len(a.Routes) < 1 || len(a.Routes) > 2 {
		return nil, fmt.Errorf("%w: an alias routes to one or two versions, not %d", engine.ErrInvalidInput, len(a.Routes))
	}
	m, err := s.liveMachine(a.StateMachine)
	if err != nil {
		return nil, err
	}
	live := map[int]bool{}
	for _, r := range a.Routes {
		if p, ok := s.version(a.StateMachine, r.Version); ok && !p.deleted {
			live[r.Version] = true
		}
	}
	if len(live) != len(a.Routes) {
		return nil, fmt.Errorf("a version alias %q routes to: %w", a.Name, engine.ErrNotFound)
	}
	return m, nil
}

// alias is a copy of a as stored.
func alias(a engine.Alias) engine.Alias {
	a.Routes = slices.Clone(a.Routes)
	a.CreatedAt, a.UpdatedAt = ts(a.CreatedAt), ts(a.UpdatedAt)
	return a
}

// CreateAlias implements engine.VersionStore.
func (s *Store) CreateAlias(_ context.Context, a engine.Alias) error {
	return s.write(func() error {
		m, err := s.checkRoutes(a)
		if err != nil {
			return err
		}
		if _, ok := m.aliases[a.Name]; ok {
			return engine.ErrConflict
		}
		m.aliases[a.Name] = alias(a)
		return nil
	})
}

// UpdateAlias implements engine.VersionStore: its description, routes and
// UpdatedAt.
func (s *Store) UpdateAlias(_ context.Context, a engine.Alias) error {
	return s.write(func() error {
		m, err := s.checkRoutes(a)
		if err != nil {
			return err
		}
		old, ok := m.aliases[a.Name]
		if !ok {
			return fmt.Errorf("alias %q of %q: %w", a.Name, a.StateMachine, engine.ErrNotFound)
		}
		a.CreatedAt = old.CreatedAt
		m.aliases[a.Name] = alias(a)
		return nil
	})
}

// GetAlias implements engine.VersionStore.
func (s *Store) GetAlias(_ context.Context, machine, name string) (engine.Alias, error) {
	var a engine.Alias
	err := s.read(func() error {
		if m := s.machines[machine]; m != nil {
			if got, ok := m.aliases[name]; ok {
				a = alias(got)
				return nil
			}
		}
		return fmt.Errorf("alias %q of %q: %w", name, machine, engine.ErrNotFound)
	})
	return a, err
}

// ListAliases implements engine.VersionStore.
func (s *Store) ListAliases(_ context.Context, machine string, before engine.AliasKey, limit int) ([]engine.Alias, error) {
	var out []engine.Alias
	err := s.read(func() error {
		m := s.machines[machine]
		if m == nil {
			return nil
		}
		for _, a := range m.aliases {
			if before.CreatedAt.IsZero() || aliasBefore(engine.AliasKey{CreatedAt: a.CreatedAt, Name: a.Name}, before) {
				out = append(out, alias(a))
			}
		}
		slices.SortFunc(out, func(a, b engine.Alias) int {
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(b.Name, a.Name)
		})
		if limit >= 0 && len(out) > limit {
			out = out[:limit]
		}
		return nil
	})
	return out, err
}

// aliasBefore reports whether an alias at key k comes after the alias at
// key before in a newest-first listing (created earlier, or at the same
// time with a smaller name).
func aliasBefore(k, before engine.AliasKey) bool {
	before.CreatedAt = ts(before.CreatedAt)
	if c := k.CreatedAt.Compare(before.CreatedAt); c != 0 {
		return c < 0
	}
	return k.Name < before.Name
}

// DeleteAlias implements engine.VersionStore.
func (s *Store) DeleteAlias(_ context.Context, machine, name string) error {
	return s.write(func() error {
		if m := s.machines[machine]; m != nil {
			delete(m.aliases, name)
		}
		return nil
	})
}
