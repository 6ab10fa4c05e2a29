// Package histchunk encodes the history events one commit appends to one
// execution as a single value: a chunk. The stores keep a row per chunk
// (execution, first and last event id, the chunk) instead of a row per
// event, which takes a row header, an index entry and a jsonb value per
// event. Chunks over 64 bytes are DEFLATE-compressed with a preset
// dictionary of the names and values AWS's event details repeat (keys,
// "truncated":false, ARN prefixes): the five events of one Task step of
// the sequence benchmark take 99 bytes instead of 368.
//
// Events of a chunk have consecutive ids, so a page of history is read from
// the chunks whose id ranges meet it (see Page).
//
// Layout, after one format byte (formatRaw, or formatDeflate: the rest
// compressed with dictionary):
//
//	uvarint  count
//	varint   first timestamp, Unix microseconds
//	per event:
//	  byte     type: index+1 in eventTypes, or 0 then uvarint length and the name
//	  uvarint  id minus the previous event's id (the first event: its id)
//	  uvarint  id minus previous_event_id
//	  varint   timestamp minus the previous event's, microseconds (0 for the first)
//	  uvarint  details: 0 for none, else 1 + length of the details' JSON text, then the text
package histchunk

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	kflate "github.com/klauspost/compress/flate"

	"github.com/stepwise-dev/stepwise/statelang"
)

const (
	formatRaw     = 1
	formatDeflate = 2

	// compressAbove is the size from which a chunk is compressed.
	compressAbove = 64
	// maxEvents bounds the count a chunk may claim (a corrupt count must not
	// allocate gigabytes).
	maxEvents = 1 << 20
)

// eventTypes are AWS's history event types. The position of a name is its
// code in stored chunks: append new names, never reorder or remove.
var eventTypes = [...]statelang.EventType{
	statelang.EventTypeActivityFailed, statelang.EventTypeActivityScheduled,
	statelang.EventTypeActivityScheduleFailed, statelang.EventTypeActivityStarted,
	statelang.EventTypeActivitySucceeded, statelang.EventTypeActivityTimedOut,
	statelang.EventTypeChoiceStateEntered, statelang.EventTypeChoiceStateExited,
	statelang.EventTypeExecutionAborted, statelang.EventTypeExecutionFailed,
	statelang.EventTypeExecutionStarted, statelang.EventTypeExecutionSucceeded,
	statelang.EventTypeExecutionTimedOut, statelang.EventTypeFailStateEntered,
	statelang.EventTypeLambdaFunctionFailed, statelang.EventTypeLambdaFunctionScheduled,
	statelang.EventTypeLambdaFunctionScheduleFailed, statelang.EventTypeLambdaFunctionStarted,
	statelang.EventTypeLambdaFunctionStartFailed, statelang.EventTypeLambdaFunctionSucceeded,
	statelang.EventTypeLambdaFunctionTimedOut, statelang.EventTypeMapIterationAborted,
	statelang.EventTypeMapIterationFailed, statelang.EventTypeMapIterationStarted,
	statelang.EventTypeMapIterationSucceeded, statelang.EventTypeMapStateAborted,
	statelang.EventTypeMapStateEntered, statelang.EventTypeMapStateExited,
	statelang.EventTypeMapStateFailed, statelang.EventTypeMapStateStarted,
	statelang.EventTypeMapStateSucceeded, statelang.EventTypeParallelStateAborted,
	statelang.EventTypeParallelStateEntered, statelang.EventTypeParallelStateExited,
	statelang.EventTypeParallelStateFailed, statelang.EventTypeParallelStateStarted,
	statelang.EventTypeParallelStateSucceeded, statelang.EventTypePassStateEntered,
	statelang.EventTypePassStateExited, statelang.EventTypeSucceedStateEntered,
	statelang.EventTypeSucceedStateExited, statelang.EventTypeTaskFailed,
	statelang.EventTypeTaskScheduled, statelang.EventTypeTaskStartFailed,
	statelang.EventTypeTaskStarted, statelang.EventTypeTaskStateAborted,
	statelang.EventTypeTaskStateEntered, statelang.EventTypeTaskStateExited,
	statelang.EventTypeTaskSubmitFailed, statelang.EventTypeTaskSubmitted,
	statelang.EventTypeTaskSucceeded, statelang.EventTypeTaskTimedOut,
	statelang.EventTypeWaitStateAborted, statelang.EventTypeWaitStateEntered,
	statelang.EventTypeWaitStateExited, statelang.EventTypeMapRunAborted,
	statelang.EventTypeMapRunFailed, statelang.EventTypeMapRunStarted,
	statelang.EventTypeMapRunSucceeded, statelang.EventTypeExecutionRedriven,
	statelang.EventTypeMapRunRedriven, statelang.EventTypeEvaluationFailed,
}

var typeCode = func() map[statelang.EventType]byte {
	m := make(map[statelang.EventType]byte, len(eventTypes))
	for i, t := range eventTypes {
		m[t] = byte(i + 1)
	}
	return m
}()

// ErrCorrupt is returned by Decode for a chunk it cannot read.
var ErrCorrupt = errors.New("histchunk: corrupt chunk")

// dictionary primes the compressor with what event details repeat, the
// commonest last. Stored chunks depend on it byte for byte: a change needs
// a new format byte.
var dictionary = []byte(`"States.Runtime""States.Timeout""States.TaskFailed""States.ALL",` +
	`"heartbeatInSeconds":"timeoutInSeconds":{"length":{"error":"","cause":"` +
	`"roleArn":"arn:aws:iam::","stateMachineArn":"arn:aws:states:us-east-1:",` +
	`"region":"us-east-1","parameters":"{\"FunctionName\":\"arn:aws:lambda:us-east-1:` +
	`\",\"Payload\":{\"` + `"resourceType":"lambda","resource":"invoke"` +
	`{"index":,"name":"` + `{"output":"","outputDetails":{"truncated":false}}` +
	`"resource":"arn:aws:lambda:us-east-1:function:` +
	`{"input":"{\"","inputDetails":{"truncated":false},"name":"`)

// level is the DEFLATE level of chunks, written with klauspost/compress's
// encoder: its levels 1 to 6 reset in constant time and still use the
// dictionary, where the standard library clears 640 KB of hash tables for
// every chunk at the levels that do (2 and up). On the chunks of a Map
// step, level 4 writes 147 bytes where the standard library's level 2
// wrote 150, in about half the time (15–17 µs instead of 31). Any DEFLATE
// reader reads them: Decode uses the standard library's.
const level = 4

var writers = sync.Pool{New: func() any {
	w, _ := kflate.NewWriterDict(nil, level, dictionary)
	return w
}}

var readers = sync.Pool{New: func() any { return flate.NewReaderDict(bytes.NewReader(nil), dictionary) }}

// Encode returns the chunk of evs, which must have consecutive ids,
// compressed when it is over 64 bytes and that makes it smaller.
func Encode(evs []statelang.HistoryEvent) []byte {
	b := EncodeRaw(evs)
	if len(b) <= compressAbove {
		return b
	}
	var out bytes.Buffer
	out.Grow(len(b) / 3)
	out.WriteByte(formatDeflate)
	w := writers.Get().(*kflate.Writer)
	w.Reset(&out)
	w.Write(b[1:]) //nolint:errcheck // a bytes.Buffer does not fail
	w.Close()      //nolint:errcheck
	writers.Put(w)
	if out.Len() >= len(b) {
		return b
	}
	return out.Bytes()
}

// EncodeRaw returns the chunk of evs uncompressed: for a store that keeps
// its chunks in memory (store/memory), where compressing costs more time
// than the bytes it saves are worth. Decode reads both.
func EncodeRaw(evs []statelang.HistoryEvent) []byte {
	b := make([]byte, 1, 64*len(evs)+16)
	b[0] = formatRaw
	b = binary.AppendUvarint(b, uint64(len(evs)))
	var prevID int64
	var prevTS int64
	for i, e := range evs {
		ts := e.Timestamp.UnixMicro()
		if i == 0 {
			b = binary.AppendVarint(b, ts)
			prevTS = ts
		}
		if c, ok := typeCode[e.Type]; ok {
			b = append(b, c)
		} else {
			b = append(b, 0)
			b = binary.AppendUvarint(b, uint64(len(e.Type)))
			b = append(b, e.Type...)
		}
		b = binary.AppendUvarint(b, uint64(e.ID-prevID))
		b = binary.AppendUvarint(b, uint64(e.ID-e.PreviousEventID))
		b = binary.AppendVarint(b, ts-prevTS)
		prevID, prevTS = e.ID, ts
		if e.Details == nil {
			b = append(b, 0)
			continue
		}
		d := statelang.MarshalJSON(e.Details)
		b = binary.AppendUvarint(b, uint64(len(d))+1)
		b = append(b, d...)
	}
	return b
}

// Decode returns the events of a chunk.
func Decode(chunk []byte) ([]statelang.HistoryEvent, error) {
	if len(chunk) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrCorrupt)
	}
	body := chunk[1:]
	switch chunk[0] {
	case formatRaw:
	case formatDeflate:
		r, in := readers.Get().(io.ReadCloser), bytes.NewReader(body)
		r.(flate.Resetter).Reset(in, dictionary) //nolint:errcheck // only fails for a bad dictionary
		raw, err := io.ReadAll(r)
		readers.Put(r)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if in.Len() != 0 {
			return nil, fmt.Errorf("%w: %d bytes after the compressed stream", ErrCorrupt, in.Len())
		}
		body = raw
	default:
		return nil, fmt.Errorf("%w: format %d", ErrCorrupt, chunk[0])
	}
	d := decoder{b: body}
	n := d.uvarint()
	if n > maxEvents || n > uint64(len(body)) {
		return nil, fmt.Errorf("%w: %d events", ErrCorrupt, n)
	}
	evs := make([]statelang.HistoryEvent, 0, n)
	var id, ts int64
	if n > 0 {
		ts = d.varint()
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		var e statelang.HistoryEvent
		c := d.byte()
		switch {
		case c == 0:
			e.Type = statelang.EventType(d.bytes(d.uvarint()))
		case int(c) <= len(eventTypes):
			e.Type = eventTypes[c-1]
		default:
			d.fail("event type %d", c)
		}
		id += int64(d.uvarint())
		e.ID = id
		e.PreviousEventID = id - int64(d.uvarint())
		ts += d.varint()
		e.Timestamp = time.UnixMicro(ts).UTC()
		if l := d.uvarint(); l > 0 && d.err == nil {
			v, err := statelang.ParseJSON(d.bytes(l - 1))
			if err != nil {
				d.fail("event %d details: %v", e.ID, err)
			}
			e.Details, _ = v.(map[string]any)
		}
		evs = append(evs, e)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d bytes after the last event", len(d.b))
	}
	if d.err != nil {
		return nil, d.err
	}
	return evs, nil
}

// Split cuts events into runs of at most n, for writing a long history
// (a migration) as several chunks.
func Split(evs []statelang.HistoryEvent, n int) [][]statelang.HistoryEvent {
	var out [][]statelang.HistoryEvent
	for len(evs) > n {
		out = append(out, evs[:n:n])
		evs = evs[n:]
	}
	if len(evs) > 0 {
		out = append(out, evs)
	}
	return out
}

// Page keeps, from the events of consecutive chunks in id order, the page
// a history read asks for: ids after afterID (forward) or before beforeID
// (reverse, newest first; 0 is the end), at most limit (0: no limit).
func Page(evs []statelang.HistoryEvent, afterID, beforeID int64, reverse bool, limit int) []statelang.HistoryEvent {
	out := make([]statelang.HistoryEvent, 0, min(len(evs), max(limit, 0)))
	if !reverse {
		for _, e := range evs {
			if e.ID > afterID && (limit <= 0 || len(out) < limit) {
				out = append(out, e)
			}
		}
		return out
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if e := evs[i]; (beforeID == 0 || e.ID < beforeID) && (limit <= 0 || len(out) < limit) {
			out = append(out, e)
		}
	}
	return out
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bytes(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.fail("truncated")
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}
