package memory

import (
	"fmt"
	"slices"

	"github.com/stepwise-dev/stepwise/engine"
)

// checkEnded checks, before anything is written, that the rows of ended
// EXPRESS children (engine.GroupWrite.Ended) can be written as the SQL
// stores' unique ARN would let them: an ARN held by the row of another
// (state machine, name), or given to two of them, is engine.ErrConflict.
func (s *Store) checkEnded(ended []*engine.Execution) error {
	names := make(map[string][2]string, len(ended)) // ARN → (state machine, name)
	for _, e := range ended {
		k := [2]string{e.StateMachine, e.Name}
		if other, ok := names[e.ARN]; ok && other != k {
			return fmt.Errorf("%w: execution %s exists", engine.ErrConflict, e.ARN)
		}
		names[e.ARN] = k
		if id, ok := s.byARN[e.ARN]; ok {
			if x := s.execs[id].x; x.StateMachine != e.StateMachine || x.Name != e.Name {
				return fmt.Errorf("%w: execution %s exists", engine.ErrConflict, e.ARN)
			}
		}
	}
	return nil
}

// writeEnded writes the row of an ended EXPRESS child that checkEnded
// passed: a new row, or the row of the same (state machine, name)
// replaced, keeping its id and losing what it had beside it (history,
// state parts, timers; its open tasks are cancelled), as the SQL stores
// do.
func (s *Store) writeEnded(e *engine.Execution) {
	id, replaced := s.byName[[2]string{e.StateMachine, e.Name}]
	if !replaced {
		s.nextID++
		c := *e
		c.ID = s.nextID
		s.insert(&c)
		id = c.ID
	}
	x := s.execs[id]
	r := &x.x
	if replaced {
		for tok := range x.open {
			s.setTaskStatus(s.tasks[tok], engine.TaskCancelled)
		}
		for k := range x.timers {
			s.deleteTimer(x, k)
		}
		x.parts, x.chunks = nil, nil
		delete(s.byARN, r.ARN)
		s.byARN[e.ARN] = id
		s.setParent(x, e.ParentID)
	}
	r.ARN, r.StateMachineVersion, r.StateMachineARN = e.ARN, e.StateMachineVersion, e.StateMachineARN
	r.Input, r.Output, r.Error, r.Cause = e.Input, e.Output, e.Error, e.Cause
	r.StartDate, r.StopDate = ts(e.StartDate), ts(e.StopDate)
	r.Version, r.LastEventID, r.State = 0, 0, append([]byte{}, e.State...)
	r.RedriveCount, r.RedriveDate, r.RedriveUntil = e.RedriveCount, ts(e.RedriveDate), ts(e.RedriveUntil)
	if r.RedriveUntil.IsZero() {
		delete(s.keeping, id)
	} else {
		s.keeping[id] = struct{}{}
	}
	s.setParentToken(x, e.ParentToken)
	s.setStatus(x, e.Status)
}

// setParent sets an execution's parent, keeping the index of children by
// parent in id order.
func (s *Store) setParent(x *execution, parent int64) {
	id, old := x.x.ID, x.x.ParentID
	if parent == old {
		return
	}
	if old != 0 {
		kids := s.byParent[old]
		if i, ok := slices.BinarySearch(kids, id); ok {
			kids = slices.Delete(kids, i, i+1)
		}
		if len(kids) == 0 {
			delete(s.byParent, old)
		} else {
			s.byParent[old] = kids
		}
	}
	x.x.ParentID = parent
	if parent != 0 {
		kids := s.byParent[parent]
		i, _ := slices.BinarySearch(kids, id)
		s.byParent[parent] = slices.Insert(kids, i, id)
	}
}
