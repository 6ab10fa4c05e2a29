package telemetry

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

// Observe returns st watched by m and t: give the result to
// engine.Config.Store (and only there; other users keep st). Every group
// commit it makes is reported to m (and, when t is not nil, to t) after it
// committed, and every timer claim with how late the timers were. A nil m
// or t reports nothing of its kind; with both nil st is returned as it is.
func Observe(st engine.Store, m *Metrics, t *Tracer) engine.Store {
	if m == nil && t == nil {
		return st
	}
	return &observed{Store: st, m: m, t: t}
}

type observed struct {
	engine.Store
	m *Metrics
	t *Tracer
}

// ClaimDueTimers observes how late each claimed timer is.
func (o *observed) ClaimDueTimers(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]engine.Timer, error) {
	ts, err := o.Store.ClaimDueTimers(ctx, now, lease, limit)
	if o.m != nil {
		for _, t := range ts {
			o.m.timerLag.Observe(max(now.Sub(t.FireAt), 0).Seconds())
		}
	}
	return ts, err
}

// CommitGroup reports what a committed group wrote.
func (o *observed) CommitGroup(ctx context.Context, g *engine.Group, decide func(map[int64]*engine.Execution) (*engine.GroupWrite, error)) (engine.GroupResult, error) {
	start := time.Now()
	var (
		w  *engine.GroupWrite
		xs map[int64]*engine.Execution
	)
	res, err := o.Store.CommitGroup(ctx, g, func(m map[int64]*engine.Execution) (*engine.GroupWrite, error) {
		gw, err := decide(m)
		w, xs = gw, m
		return gw, err
	})
	if o.m != nil {
		result := "ok"
		switch {
		case errors.Is(err, engine.ErrConflict):
			result = "conflict"
		case err != nil:
			result = "error"
		}
		o.m.commitTime.WithLabelValues(result).Observe(time.Since(start).Seconds())
	}
	if err != nil || w == nil {
		return res, err
	}
	c := committed{g: g, xs: xs, w: w}
	if o.m != nil {
		o.m.committed(&c)
	}
	if o.t != nil {
		o.t.committed(&c)
	}
	return res, err
}

// ExpressDecided implements engine.ExpressObserver: a decision of an
// express execution, which commits nothing, is counted as the commit of a
// standard one's step is, under machine_type EXPRESS.
func (o *observed) ExpressDecided(x *engine.Execution, mu *engine.Mutation, now time.Time) {
	if o.m != nil {
		o.m.mutation(x, typeExpress, mu, now)
	}
}

// committed is one group commit as the observers see it.
type committed struct {
	g  *engine.Group
	xs map[int64]*engine.Execution
	w  *engine.GroupWrite
}

// execution returns the row of a mutation's execution: the one the group
// loaded, or the start the store inserted.
func (c *committed) execution(m *engine.Mutation) *engine.Execution {
	if x := c.xs[m.ExecutionID]; x != nil {
		return x
	}
	for _, x := range c.g.Starts {
		if x.ID == m.ExecutionID {
			return x
		}
	}
	return nil
}

// committed counts what one group wrote.
func (m *Metrics) committed(c *committed) {
	w := c.w
	m.batchSize.Observe(float64(len(w.Mutations) + len(w.Confirmed) + len(w.Started) + len(w.Heartbeats)))
	for _, mu := range w.Mutations {
		m.mutation(c.execution(mu), typeStandard, mu, w.Now)
	}
}

// The values of the machine_type label.
const (
	typeStandard = "STANDARD"
	typeExpress  = "EXPRESS"
)

// stateCount is how many states of a type one step entered.
type stateCount struct {
	typ string
	n   float64
}

// mutation counts what one step of execution x (nil: unknown), of a
// machine of type typ, did at now.
func (m *Metrics) mutation(x *engine.Execution, typ string, mu *engine.Mutation, now time.Time) {
	machine := ""
	var startDate time.Time
	if x != nil {
		machine, startDate = x.StateMachine, x.StartDate
	}
	if mu.Version == 0 {
		m.started.WithLabelValues(machine, typ).Inc()
	}
	// One label lookup per state type, not per state: a step of an express
	// run may enter dozens of states.
	var buf [8]stateCount
	entered := buf[:0]
next:
	for i := range mu.Events {
		st, ok := strings.CutSuffix(string(mu.Events[i].Type), "StateEntered")
		if !ok {
			continue
		}
		for j := range entered {
			if entered[j].typ == st {
				entered[j].n++
				continue next
			}
		}
		entered = append(entered, stateCount{st, 1})
	}
	for _, c := range entered {
		m.transitions.WithLabelValues(machine, typ, c.typ).Add(c.n)
	}
	for i := range mu.NewTasks {
		m.scheduled.WithLabelValues(mu.NewTasks[i].Resource).Inc()
	}
	if len(mu.NewTasks) > 0 || len(mu.CloseTasks) > 0 {
		m.tasks.mu.Lock()
		for i := range mu.NewTasks {
			t := &mu.NewTasks[i]
			at := t.CreatedAt
			if at.IsZero() {
				at = now
			}
			m.tasks.add(t.Token, taskStart{resource: t.Resource, at: at})
		}
		for _, u := range mu.CloseTasks {
			if s, ok := m.tasks.take(u.Token); ok {
				m.taskLatency.WithLabelValues(s.resource, u.Status).Observe(max(now.Sub(s.at), 0).Seconds())
			}
		}
		m.tasks.mu.Unlock()
	}
	if mu.Terminal {
		m.finished.WithLabelValues(machine, typ, mu.Status).Inc()
		if !startDate.IsZero() {
			m.duration.WithLabelValues(machine, typ, mu.Status).Observe(max(mu.StopDate.Sub(startDate), 0).Seconds())
		}
	}
}
