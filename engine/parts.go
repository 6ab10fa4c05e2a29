package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/statelang"
)

// StatePart is one row of an execution's state beside its row: a frame, the
// inputs of a frame's Parallel branches or Map iterations, or one of their
// results. A step writes the parts it changed, so its cost does not grow
// with the width of a Map.
type StatePart struct {
	Frame int64
	// Slot is PartFrame, PartInputs or a result's index (≥ 0).
	Slot int64
	Data string // JSON
}

// StatePart slots that are not results.
const (
	PartFrame  = -1 // the frame without its input, variables, kids' inputs and results
	PartInputs = -2 // the JSON array of its kids' inputs
	PartInput  = -3 // its state's input
	PartVars   = -4 // its variables (absent when it has none)
)

type partKey struct{ frame, slot int64 }

// Dirty marks (State.dirty).
const (
	dirtyFrame   uint8 = 1 << iota // the frame's part
	dirtyKids                      // its kids were made or dropped: rewrite all its parts
	dirtyResults                   // a result was set (see Kids.result)
	dirtyInput                     // its input
	dirtyVars                      // its variables
)

// mark notes that frame id (present or deleted) may have changed.
func (st *execState) mark(id int64, how uint8) {
	if st.dirty == nil {
		st.dirty = map[int64]uint8{}
	}
	st.dirty[id] |= how
}

// smallState bounds the states written whole in the execution row (see
// write): up to this many frames, none with more kids.
const smallState = 64

// write is what the state's next mutation writes: the execution row's
// JSON, the parts to write, the frames whose parts are deleted first, and
// whether every part is deleted first. A small state (most executions: a
// few frames, small Parallels and Maps) is written whole in the row, where
// rewriting it costs less than rows of parts; a bigger one in parts, so
// that a step of a wide Map writes what it changed. It clears the marks.
func (st *execState) write() (head []byte, parts []StatePart, drop []int64, dropAll bool) {
	small := len(st.Frames) <= smallState
	if small {
		for _, f := range st.Frames {
			if f.Kids != nil && f.Kids.Inputs.Len() > smallState {
				small = false
				break
			}
		}
	}
	switch {
	case small:
		dropAll = st.inParts
		st.inParts, st.shadow = false, nil
		clear(st.dirty)
		for _, f := range st.Frames {
			if f.Kids != nil {
				f.Kids.fresh = nil
			}
		}
		return mustJSON(st), nil, nil, dropAll
	case !st.inParts:
		st.inParts = true
		clear(st.dirty)
		head, parts = encodeState(st)
		for _, f := range st.Frames {
			if f.Kids != nil {
				f.Kids.fresh = nil
			}
		}
		if testing.Testing() {
			st.shadow = make(map[partKey]string, len(parts))
			for _, p := range parts {
				st.shadow[partKey{p.Frame, p.Slot}] = p.Data
			}
		}
		return head, parts, nil, false
	}
	head, parts, drop = st.delta()
	return head, parts, drop, false
}

// encodeState writes a whole State: the execution row's JSON and every
// part.
func encodeState(st *execState) ([]byte, []StatePart) {
	var parts []StatePart
	for _, id := range slices.Sorted(maps.Keys(st.Frames)) {
		parts = appendFrame(parts, st.Frames[id], true)
	}
	return encodeHead(st), parts
}

// delta is what changed since the state was last written: its row's JSON,
// the parts to write and the frames whose parts are deleted first. It
// clears the marks.
func (st *execState) delta() (head []byte, parts []StatePart, drop []int64) {
	for _, id := range slices.Sorted(maps.Keys(st.dirty)) {
		how := st.dirty[id]
		f := st.Frames[id]
		if f == nil || how&dirtyKids != 0 {
			drop = append(drop, id)
		}
		if f == nil {
			continue
		}
		if how&dirtyKids != 0 {
			parts = appendFrame(parts, f, true)
			if f.Kids != nil {
				f.Kids.fresh = nil
			}
			continue
		}
		if how&dirtyFrame != 0 {
			parts = appendFrame(parts, f, false)
		}
		if how&dirtyInput != 0 {
			parts = append(parts, StatePart{Frame: id, Slot: PartInput, Data: statelang.MarshalString(f.Input.V)})
		}
		if how&dirtyVars != 0 && f.Vars != nil {
			parts = append(parts, StatePart{Frame: id, Slot: PartVars, Data: statelang.MarshalString(f.Vars.V)})
		}
		if k := f.Kids; k != nil && how&dirtyResults != 0 {
			for _, i := range k.fresh {
				parts = append(parts, StatePart{Frame: id, Slot: int64(i), Data: statelang.MarshalString(k.Results[i].V)})
			}
			k.fresh = nil // only Kids.result sets it, and marks the frame
		}
	}
	clear(st.dirty)
	if testing.Testing() {
		st.checkDelta(parts, drop)
	}
	return encodeHead(st), parts, drop
}

// checkDelta, in test binaries, applies a delta to the parts as last
// written and panics unless they equal a whole encoding of the state: a
// change the decider did not mark would be lost on the next load.
func (st *execState) checkDelta(parts []StatePart, drop []int64) {
	if st.shadow == nil {
		st.shadow = map[partKey]string{}
	}
	for _, id := range drop {
		for k := range st.shadow {
			if k.frame == id {
				delete(st.shadow, k)
			}
		}
	}
	for _, p := range parts {
		st.shadow[partKey{p.Frame, p.Slot}] = p.Data
	}
	_, all := encodeState(st)
	want := make(map[partKey]string, len(all))
	for _, p := range all {
		want[partKey{p.Frame, p.Slot}] = p.Data
	}
	for k, v := range want {
		if st.shadow[k] != v {
			panic(fmt.Sprintf("engine: state part %v changed unmarked:\nwritten %s\nnow     %s", k, st.shadow[k], v))
		}
	}
	for k := range st.shadow {
		if _, ok := want[k]; !ok {
			panic(fmt.Sprintf("engine: state part %v deleted unmarked", k))
		}
	}
}

func encodeHead(st *execState) []byte {
	h := *st
	h.Frames = nil
	return mustJSON(&h)
}

// appendFrame appends a frame's part and, when all, its input, variables,
// kids' inputs and the results set so far.
func appendFrame(parts []StatePart, f *frame, all bool) []StatePart {
	g := *f
	g.Input, g.Vars = jsonValue{}, nil
	if k := f.Kids; k != nil {
		c := *k
		c.Inputs, c.Results, c.Running, c.fresh = kidInputs{}, nil, nil, nil
		g.Kids = &c
	}
	parts = append(parts, StatePart{Frame: f.ID, Slot: PartFrame, Data: string(mustJSON(&g))})
	if !all {
		return parts
	}
	parts = append(parts, StatePart{Frame: f.ID, Slot: PartInput, Data: statelang.MarshalString(f.Input.V)})
	if f.Vars != nil {
		parts = append(parts, StatePart{Frame: f.ID, Slot: PartVars, Data: statelang.MarshalString(f.Vars.V)})
	}
	k := f.Kids
	if k == nil {
		return parts
	}
	in, _ := k.Inputs.MarshalJSON() // as texts, without json.Marshal's copy
	parts = append(parts, StatePart{Frame: f.ID, Slot: PartInputs, Data: string(in)})
	for i, r := range k.Results {
		if k.done(i) {
			parts = append(parts, StatePart{Frame: f.ID, Slot: int64(i), Data: statelang.MarshalString(r.V)})
		}
	}
	return parts
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encode execution state: %v", err)) // only plain data: cannot fail
	}
	return b
}

// decodeState reads a State from its execution row's JSON and its parts
// (in any order).
// MarshalJSON writes a frame as stored: with its TaskRef instead of its
// Token when the token is the ref's (see decodeState).
func (f *frame) MarshalJSON() ([]byte, error) {
	type stored frame // without this method
	if f.TaskRef == "" || !strings.HasPrefix(f.Token, f.TaskRef+"-") {
		return json.Marshal((*stored)(f))
	}
	g := stored(*f)
	g.Token = ""
	return json.Marshal(&g)
}

// signTokens makes again the tokens of the frames stored with a TaskRef.
func (st *execState) signTokens() {
	for _, f := range st.Frames {
		if f.Token == "" && f.TaskRef != "" {
			f.Token = signedToken(f.TaskRef, st.Secret)
		}
	}
}

func decodeState(head []byte, parts []StatePart) (*execState, error) {
	st := &execState{}
	if len(head) > 0 {
		if err := json.Unmarshal(head, st); err != nil {
			return nil, fmt.Errorf("decode execution state: %w", err)
		}
	}
	if len(st.Frames) > 0 { // written whole (see write)
		for id, f := range st.Frames {
			if k := f.Kids; k != nil {
				k.setDone()
				if k.Distributed && k.Inputs.vals != nil { // held as texts, as from their part (a Map Run kept for a redrive)
					vs := make([]any, len(k.Inputs.vals))
					for i, v := range k.Inputs.vals {
						vs[i] = v.V
					}
					if in, ok := itemTexts(vs); ok {
						k.Inputs = in
					}
				}
			}
			st.mark(id, dirtyKids)
		}
		st.signTokens()
		return st, nil
	}
	st.Frames, st.inParts = map[int64]*frame{}, true
	if testing.Testing() {
		st.shadow = make(map[partKey]string, len(parts))
		for _, p := range parts {
			st.shadow[partKey{p.Frame, p.Slot}] = p.Data
		}
	}
	for _, p := range parts {
		if p.Slot != PartFrame {
			continue
		}
		f := &frame{}
		if err := json.Unmarshal([]byte(p.Data), f); err != nil {
			return nil, fmt.Errorf("decode frame %d of execution state: %w", p.Frame, err)
		}
		st.Frames[f.ID] = f
	}
	for _, p := range parts {
		if p.Slot == PartFrame {
			continue
		}
		f := st.Frames[p.Frame]
		if f == nil {
			return nil, fmt.Errorf("decode execution state: part %d of frame %d has no frame", p.Slot, p.Frame)
		}
		switch p.Slot {
		case PartInput, PartVars:
			v, err := statelang.ParseJSON([]byte(p.Data))
			if err != nil {
				return nil, fmt.Errorf("decode part %d of frame %d of execution state: %w", p.Slot, p.Frame, err)
			}
			if p.Slot == PartInput {
				f.Input = jsonValue{v}
			} else {
				f.Vars = &jsonValue{v}
			}
			continue
		}
		k := f.Kids
		if k == nil {
			return nil, fmt.Errorf("decode execution state: part %d of frame %d has no frame with kids", p.Slot, p.Frame)
		}
		if p.Slot == PartInputs {
			if err := decodeInputs(k, p.Data); err != nil {
				return nil, fmt.Errorf("decode inputs of frame %d of execution state: %w", p.Frame, err)
			}
			continue
		}
		v, err := statelang.ParseJSON([]byte(p.Data))
		if err != nil {
			return nil, fmt.Errorf("decode result %d of frame %d of execution state: %w", p.Slot, p.Frame, err)
		}
		k.result(int(p.Slot), v)
	}
	for _, f := range st.Frames {
		if k := f.Kids; k != nil {
			k.fresh = nil
		}
	}
	for _, id := range slices.Sorted(maps.Keys(st.Frames)) {
		f := st.Frames[id]
		if p := st.Frames[f.Parent]; f.Parent >= 0 && p != nil && p.Kids != nil {
			p.Kids.Running = append(p.Kids.Running, id)
		}
	}
	st.signTokens()
	return st, nil
}

// decodeInputs sets k's Inputs from their part: a distributed Map's as
// their text (see itemTexts), the others parsed.
func decodeInputs(k *frameKids, data string) error {
	if !k.Distributed {
		return json.Unmarshal([]byte(data), &k.Inputs)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(data), &raw); err != nil {
		return err
	}
	var b strings.Builder
	b.Grow(len(data))
	ends := make([]uint32, len(raw))
	for i, r := range raw {
		if bytes.Contains(r, []byte(`\u00`)) { // json.Marshal escaped <, > or &: the text MarshalJSON writes
			v, err := statelang.ParseJSON(r)
			if err != nil {
				return err
			}
			r = []byte(statelang.MarshalString(v))
		}
		b.Write(r)
		if b.Len() > math.MaxUint32 {
			return errors.New("the items exceed 4 GiB")
		}
		ends[i] = uint32(b.Len())
	}
	k.Inputs = kidInputs{text: b.String(), ends: ends}
	return nil
}

// result sets the result of kid i, growing Results if needed, and notes it
// for the next delta.
func (k *frameKids) result(i int, v any) {
	if i >= len(k.Results) {
		k.Results = append(k.Results, make([]jsonValue, i+1-len(k.Results))...)
	}
	k.Results[i] = jsonValue{v}
	if i >= len(k.isDone) {
		k.isDone = append(k.isDone, make([]bool, i+1-len(k.isDone))...)
	}
	k.isDone[i] = true
	k.fresh = append(k.fresh, i)
}

// done reports whether kid i has a result.
func (k *frameKids) done(i int) bool { return i < len(k.isDone) && k.isDone[i] }

// setDone marks the results of a state written whole as set: those of
// every kid launched (a running or failed kid's is null until then).
func (k *frameKids) setDone() {
	k.isDone = make([]bool, len(k.Results))
	for i, r := range k.Results {
		k.isDone[i] = r.V != nil || i < k.Next
	}
}
