package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/store/internal/histchunk"
)

// Group commit. A group is written with a fixed number of statements,
// whatever its size: one per kind of row (execution versions, history
// events, new tasks, closed tasks, timers, task bookkeeping, the rows of
// ended express Map children), each fed by parallel arrays. CommitGroup takes two round trips: BEGIN with the
// locking read of the executions, then the writes with COMMIT.

// mutationTime is when a mutation happened: its stop date, else its last
// event's time.
func mutationTime(m *engine.Mutation) time.Time {
	if !m.StopDate.IsZero() {
		return m.StopDate
	}
	if n := len(m.Events); n > 0 {
		return m.Events[n-1].Timestamp
	}
	return time.Now()
}

// groupBatch is a pgx batch of group writes and how to read their results.
type groupBatch struct {
	b     pgx.Batch
	reads []func(pgx.BatchResults) error
	open  map[string]bool
}

func (g *groupBatch) exec(sql string, args ...any) {
	g.b.Queue(sql, args...)
	g.reads = append(g.reads, func(br pgx.BatchResults) error { _, err := br.Exec(); return err })
}

// tokens queues a statement returning task tokens; they go to g.open.
func (g *groupBatch) tokens(sql string, args ...any) {
	g.b.Queue(sql, args...)
	g.reads = append(g.reads, func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var tok string
			if err := rows.Scan(&tok); err != nil {
				return err
			}
			g.open[tok] = true
		}
		return rows.Err()
	})
}

// read reads every queued statement's result, in order.
func (g *groupBatch) read(br pgx.BatchResults) error {
	for _, r := range g.reads {
		if err := r(br); err != nil {
			_ = br.Close()
			return err
		}
	}
	return br.Close()
}

// queueGroup adds the statements writing w. locked: the transaction holds
// the executions' rows locked, so their versions need no check.
func queueGroup(g *groupBatch, w *engine.GroupWrite, locked bool) {
	if n := len(w.Mutations); n > 0 {
		ids, vers, lasts := make([]int64, n), make([]int64, n), make([]int64, n)
		status, state, output, errs, causes := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		stops := make([]pgtype.Timestamptz, n)
		for i, m := range w.Mutations {
			ids[i], vers[i], lasts[i] = m.ExecutionID, m.Version, m.LastEventID
			status[i], state[i], output[i], errs[i], causes[i] = m.Status, string(m.State), m.Output, m.Error, m.Cause
			stops[i] = pgtype.Timestamptz{Time: m.StopDate, Valid: !m.StopDate.IsZero()}
		}
		advance := q("AdvanceGroup")
		if locked {
			advance = q("AdvanceGroupLocked")
		}
		g.exec(advance, ids, vers, status, state, lasts, output, errs, causes, stops)
	}
	var ch struct {
		x, first, last []int64
		data           [][]byte
	}
	var tk struct {
		token, state, resource, input []string
		x, attempt, timeout, hb       []int64
		created, after                []time.Time
	}
	var cl struct {
		token, status []string
		at            []time.Time
	}
	var del, up struct {
		x   []int64
		key []string
		at  []time.Time
	}
	var end struct {
		x  []int64
		at []time.Time
	}
	var drop struct{ all, x, frame []int64 }
	var part struct {
		x, frame, slot []int64
		data           []string
	}
	for _, m := range w.Mutations {
		if n := len(m.Events); n > 0 {
			ch.x, ch.first, ch.last = append(ch.x, m.ExecutionID), append(ch.first, m.Events[0].ID), append(ch.last, m.Events[n-1].ID)
			ch.data = append(ch.data, histchunk.Encode(m.Events))
		}
		for _, t := range m.NewTasks {
			tk.token, tk.x, tk.state = append(tk.token, t.Token), append(tk.x, m.ExecutionID), append(tk.state, t.StateName)
			tk.attempt, tk.resource, tk.input = append(tk.attempt, t.Attempt), append(tk.resource, t.Resource), append(tk.input, t.Input)
			tk.timeout, tk.hb = append(tk.timeout, t.TimeoutSeconds), append(tk.hb, t.HeartbeatSeconds)
			tk.created, tk.after = append(tk.created, t.CreatedAt), append(tk.after, t.DispatchAfter)
		}
		now := mutationTime(m)
		for _, u := range m.CloseTasks {
			cl.token, cl.status, cl.at = append(cl.token, u.Token), append(cl.status, u.Status), append(cl.at, now)
		}
		for _, k := range m.DeleteTimers {
			del.x, del.key = append(del.x, m.ExecutionID), append(del.key, k)
		}
		if m.Terminal {
			end.x, end.at = append(end.x, m.ExecutionID), append(end.at, now)
			continue
		}
		if m.DropParts {
			drop.all = append(drop.all, m.ExecutionID)
		}
		for _, f := range m.DropFrames {
			drop.x, drop.frame = append(drop.x, m.ExecutionID), append(drop.frame, f)
		}
		for _, p := range m.Parts {
			part.x, part.frame, part.slot = append(part.x, m.ExecutionID), append(part.frame, p.Frame), append(part.slot, p.Slot)
			part.data = append(part.data, p.Data)
		}
		for _, t := range m.NewTimers {
			up.x, up.key, up.at = append(up.x, m.ExecutionID), append(up.key, t.Key), append(up.at, t.FireAt)
		}
	}
	queueMapRuns(g, w.Mutations)
	queueRedrives(g, w.Mutations)
	if len(ch.x) > 0 {
		g.exec(q("InsertChunksGroup"), ch.x, ch.first, ch.last, ch.data)
	}
	if len(tk.token) > 0 {
		g.exec(q("InsertTasksGroup"), tk.token, tk.x, tk.state, tk.attempt, tk.resource, tk.input, tk.timeout, tk.hb, tk.created, tk.after)
	}
	if len(cl.token) > 0 {
		g.exec(q("CloseTasksGroup"), cl.token, cl.status, cl.at)
	}
	if len(del.key) > 0 {
		g.exec(q("DeleteTimersGroup"), del.x, del.key)
	}
	if len(end.x) > 0 {
		g.exec(q("EndExecutionsGroup"), end.x, end.at)
	}
	if len(up.key) > 0 {
		g.exec(q("UpsertTimersGroup"), up.x, up.key, up.at)
	}
	if len(drop.all) > 0 {
		g.exec(q("DropAllPartsGroup"), drop.all)
	}
	if len(drop.x) > 0 {
		g.exec(q("DropPartsGroup"), drop.x, drop.frame)
	}
	if len(part.x) > 0 {
		g.exec(q("UpsertPartsGroup"), part.x, part.frame, part.slot, part.data)
	}
	if len(w.Confirmed) > 0 {
		toks, until := make([]string, len(w.Confirmed)), make([]time.Time, len(w.Confirmed))
		for i, c := range w.Confirmed {
			toks[i], until[i] = c.Token, c.Until
		}
		g.exec(q("ConfirmTasksGroup"), toks, until)
	}
	if len(w.Started) > 0 {
		g.tokens(q("StartTasksGroup"), w.Started)
	}
	if len(w.Heartbeats) > 0 {
		g.tokens(q("HeartbeatTasksGroup"), w.Heartbeats, w.Now)
	}
	queueEnded(g, w.Ended)
}

// sendGroup writes w on qu (a transaction, or the pool: a batch runs as
// one implicit transaction).
func sendGroup(ctx context.Context, qu queuer, w *engine.GroupWrite) (map[string]bool, error) {
	g := &groupBatch{open: map[string]bool{}}
	queueGroup(g, w, false)
	if len(g.reads) == 0 {
		return g.open, nil
	}
	return g.open, translate(g.read(qu.SendBatch(ctx, &g.b)))
}

// CommitGroup implements engine.Store: BEGIN, the inserts of new
// executions and the locking read in one round trip (plus one to read the
// executions holding names that were taken, when some were), the
// decision, then every write and COMMIT in a second.
func (s *Store) CommitGroup(ctx context.Context, grp *engine.Group, decide func(map[int64]*engine.Execution) (*engine.GroupWrite, error)) (engine.GroupResult, error) {
	if len(grp.IDs) == 0 && len(grp.Starts) == 0 { // task bookkeeping only: one implicit transaction
		w, err := decide(nil)
		if err != nil {
			return engine.GroupResult{}, err
		}
		open, err := sendGroup(ctx, s.pool, w)
		return engine.GroupResult{Open: open}, err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return engine.GroupResult{}, translate(err)
	}
	defer conn.Release()
	committed := false
	defer func() {
		if !committed { // roll back; a connection left in a transaction is closed on release
			_, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	xs := make(map[int64]*engine.Execution, len(grp.IDs))
	if err := s.readGroup(ctx, conn, grp, xs); err != nil {
		return engine.GroupResult{}, translate(err)
	}
	w, err := decide(xs)
	if err != nil {
		return engine.GroupResult{}, err
	}
	g := &groupBatch{open: map[string]bool{}}
	queueGroup(g, w, true)
	g.exec("COMMIT")
	if err := g.read(conn.SendBatch(ctx, &g.b)); err != nil {
		return engine.GroupResult{}, translate(err)
	}
	committed = true
	return engine.GroupResult{Open: g.open}, nil
}

// readGroup begins the group's transaction, inserts its new executions
// and locks and loads the existing ones into xs.
func (s *Store) readGroup(ctx context.Context, conn *pgxpool.Conn, grp *engine.Group, xs map[int64]*engine.Execution) error {
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	// Generic plans: the group's statements take arrays whose lengths
	// vary, and planning each one anew costs more than the statement.
	// No sequential scans: every statement of a group reads or writes rows
	// by key, but a generic plan is chosen from statistics that lag
	// tables growing from empty, and that are skewed by a wide Map (its
	// parent owns most rows of state_parts, so "execution_id = ANY($1)"
	// looks like most of the table): with seq scans allowed, each commit
	// scanned whole tables and a step's cost grew with the run.
	b.Queue("SELECT set_config('plan_cache_mode', 'force_generic_plan', true), set_config('enable_seqscan', 'off', true)")
	type key struct{ sm, name string }
	pending := map[key]int{}
	if n := len(grp.Starts); n > 0 {
		arn, sm, sma, name, status, input, state, ptok := make([]string, n), make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		smv, start, pid := make([]int32, n), make([]time.Time, n), make([]int64, n)
		for i, x := range grp.Starts {
			arn[i], sm[i], smv[i], sma[i], name[i] = x.ARN, x.StateMachine, int32(x.StateMachineVersion), x.StateMachineARN, x.Name
			status[i], input[i], start[i], state[i], pid[i], ptok[i] = x.Status, x.Input, x.StartDate, string(x.State), x.ParentID, x.ParentToken
			pending[key{x.StateMachine, x.Name}] = i
		}
		b.Queue(q("InsertExecutionsGroup"), arn, sm, smv, sma, name, status, input, start, state, pid, ptok)
	}
	var load []int64 // executions whose state parts are loaded with the lock
	for _, id := range grp.IDs {
		if _, ok := grp.Cached[id]; !ok {
			load = append(load, id)
		}
	}
	if len(grp.IDs) > 0 {
		b.Queue(q("LockExecutions"), grp.IDs)
		if len(load) > 0 {
			b.Queue(q("LoadParts"), load)
		}
	}
	br := conn.SendBatch(ctx, b)
	err := func() error {
		if _, err := br.Exec(); err != nil {
			return err
		}
		if _, err := br.Exec(); err != nil {
			return err
		}
		if len(grp.Starts) > 0 {
			rows, err := br.Query()
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				var k key
				if err := rows.Scan(&id, &k.sm, &k.name); err != nil {
					rows.Close()
					return err
				}
				if i, ok := pending[k]; ok {
					grp.Starts[i].ID = id
					delete(pending, k)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		if len(grp.IDs) > 0 {
			rows, err := br.Query()
			if err != nil {
				return err
			}
			for rows.Next() {
				x, err := scan.Execution(rows)
				if err != nil {
					rows.Close()
					return err
				}
				xs[x.ID] = x
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if len(load) > 0 {
				if err := readParts(br.Query())(xs); err != nil {
					return err
				}
			}
		}
		return nil
	}()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// Executions cached at another version than their row's (another
	// process stepped them): their parts too.
	load = load[:0]
	for id, v := range grp.Cached {
		if x := xs[id]; x != nil && x.Version != v {
			load = append(load, id)
		}
	}
	if len(load) > 0 {
		if err := readParts(conn.Query(ctx, q("LoadParts"), load))(xs); err != nil {
			return err
		}
	}
	if len(pending) == 0 {
		return nil
	}
	// Names taken: read the executions that hold them.
	grp.Taken = map[int]*engine.Execution{}
	for k, i := range pending {
		x, err := scan.Execution(conn.QueryRow(ctx, q("GetExecutionByName"), k.sm, k.name))
		if err != nil {
			return err
		}
		grp.Taken[i] = x
	}
	return nil
}

// readParts returns a function that adds the state parts rows holds to
// their executions in xs.
func readParts(rows pgx.Rows, err error) func(map[int64]*engine.Execution) error {
	return func(xs map[int64]*engine.Execution) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var p engine.StatePart
			if err := rows.Scan(&id, &p.Frame, &p.Slot, &p.Data); err != nil {
				return err
			}
			if x := xs[id]; x != nil {
				x.Parts = append(x.Parts, p)
			}
		}
		return rows.Err()
	}
}
