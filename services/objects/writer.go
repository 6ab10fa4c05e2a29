package objects

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/statelang"
)

// ChildResult is one child execution of a distributed Map run, as the
// ResultWriter exports it.
type ChildResult struct {
	ExecutionARN    string
	Name            string
	StateMachineARN string
	// Status is SUCCEEDED, FAILED, TIMED_OUT, ABORTED (all three written
	// to the FAILED files), or PENDING (not started or not finished).
	Status string
	// Input and Output are JSON text; Error and Cause are a failure's.
	Input, Output string
	Error, Cause  string
	StartDate     time.Time // zero: not started
	StopDate      time.Time // zero: not stopped
}

// ResultFile is one file the ResultWriter wrote.
type ResultFile struct {
	Key  string
	Size int64
}

// Manifest is the manifest.json of a map run's results.
type Manifest struct {
	DestinationBucket string
	MapRunArn         string
	// ResultFiles has the keys SUCCEEDED, FAILED and PENDING, each a
	// (possibly empty) list of files.
	ResultFiles map[string][]ResultFile
}

// MaxResultFileBytes bounds one results file: results beyond it go to
// the next (SUCCEEDED_0.json, SUCCEEDED_1.json ...). AWS's bound is 5 GB;
// Stepwise's is smaller because a file is built in memory: at 64 MiB the
// file of a 100,000-item Map Run (66 MB) was the engine's largest
// allocation, its buffer doubling to 64 MiB while the old one was copied.
const MaxResultFileBytes = 8 << 20

// ResultGroups are the kinds of results files, in the order they are
// written.
var ResultGroups = []string{"SUCCEEDED", "FAILED", "PENDING"}

// ResultGroup is the results file group of a child with status: SUCCEEDED,
// PENDING (not started or still running) or FAILED (failed, timed out or
// aborted).
func ResultGroup(status string) string {
	switch status {
	case "SUCCEEDED":
		return "SUCCEEDED"
	case "PENDING", "RUNNING", "":
		return "PENDING"
	}
	return "FAILED"
}

// Children passes a Map Run's children of one results group (see
// ResultGroup) to each, in the order they are written; it stops at each's
// first error and returns it. WriteResults calls it once a group, so that
// a run's children need not all be in memory at once.
type Children func(group string, each func(ChildResult) error) error

// ChildrenOf is Children over results, in their order.
func ChildrenOf(results []ChildResult) Children {
	return func(group string, each func(ChildResult) error) error {
		for _, r := range results {
			if ResultGroup(r.Status) != group {
				continue
			}
			if err := each(r); err != nil {
				return err
			}
		}
		return nil
	}
}

// WriterConfig is a ResultWriter's WriterConfig: Transformation NONE
// (or ""), COMPACT or FLATTEN, and OutputType JSON (or "") or JSONL
// (statelang.TransformNONE ...).
type WriterConfig struct {
	Transformation, OutputType string
}

// WriteResults writes a map run's results as Step Functions' ResultWriter
// lays them out: under <prefix>/<map run id>/ (the map run id is the last
// part of mapRunARN), SUCCEEDED_<n>.json, FAILED_<n>.json and
// PENDING_<n>.json, then manifest.json, written last so that its presence
// means the export is whole. Each file is a JSON array of entries, or with
// OutputType JSONL an entry a line; an entry is as cfg's Transformation
// says (see entries): with NONE, the execution ({ExecutionArn, Input,
// InputDetails, Name, Output | Error and Cause, OutputDetails,
// RedriveCount, RedriveStatus, RedriveStatusReason, StartDate,
// StateMachineArn, Status, StopDate}). It holds one file at a time in
// memory. It returns the manifest's key, the ResultWriterDetails' Key of
// the Map state's output, and the manifest. A failure is the S3 error as
// Service names it, or children's; the engine reports it as
// States.ResultWriterFailed.
func WriteResults(ctx context.Context, st Store, bucket, prefix, mapRunARN string, cfg WriterConfig, children Children) (string, Manifest, error) {
	lines := cfg.OutputType == statelang.OutputJSONL
	id := mapRunARN[strings.LastIndex(mapRunARN, ":")+1:]
	dir := id + "/"
	if prefix != "" {
		dir = strings.TrimSuffix(prefix, "/") + "/" + dir
	}
	m := Manifest{DestinationBucket: bucket, MapRunArn: mapRunARN, ResultFiles: map[string][]ResultFile{}}
	var buf bytes.Buffer
	for _, g := range ResultGroups {
		m.ResultFiles[g] = []ResultFile{}
		n := 0
		flush := func() error {
			if buf.Len() == 0 {
				return nil
			}
			if !lines {
				buf.WriteByte(']')
			}
			key := dir + g + "_" + strconv.Itoa(n) + ".json"
			size := int64(buf.Len())
			if _, err := st.Put(ctx, PutInput{Bucket: bucket, Key: key, Body: bytes.NewReader(buf.Bytes()), Size: size, ContentType: "application/json"}); err != nil {
				return taskFailure(err)
			}
			m.ResultFiles[g] = append(m.ResultFiles[g], ResultFile{Key: key, Size: size})
			buf.Reset()
			n++
			return nil
		}
		err := children(g, func(r ChildResult) error {
			return entries(r, cfg.Transformation, func(entry []byte) error {
				if buf.Len() > 0 && buf.Len()+len(entry)+2 > MaxResultFileBytes {
					if err := flush(); err != nil {
						return err
					}
				}
				switch {
				case lines:
				case buf.Len() == 0:
					buf.WriteByte('[')
				default:
					buf.WriteByte(',')
				}
				buf.Write(entry)
				if lines {
					buf.WriteByte('\n')
				}
				return nil
			})
		})
		if err == nil {
			err = flush()
		}
		if err != nil {
			return "", Manifest{}, err
		}
	}
	files := map[string]any{}
	for g, list := range m.ResultFiles {
		l := make([]any, len(list))
		for i, f := range list {
			l[i] = map[string]any{"Key": f.Key, "Size": f.Size}
		}
		files[g] = l
	}
	body := statelang.MarshalJSON(map[string]any{"DestinationBucket": bucket, "MapRunArn": mapRunARN, "ResultFiles": files})
	key := dir + "manifest.json"
	if _, err := st.Put(ctx, PutInput{Bucket: bucket, Key: key, Body: bytes.NewReader(body), Size: int64(len(body)), ContentType: "application/json"}); err != nil {
		return "", Manifest{}, taskFailure(err)
	}
	return key, m, nil
}

// entries passes each to the entries (JSON text) of child r in results
// transformed as transformation says: NONE (or ""), the execution's record
// (resultEntry); COMPACT, a succeeded child's output; FLATTEN, as COMPACT,
// an output that is an array giving each of its elements. As on AWS, a
// child that did not succeed is its record whatever the transformation.
func entries(r ChildResult, transformation string, each func([]byte) error) error {
	if r.Status != "SUCCEEDED" || transformation == "" || transformation == statelang.TransformNONE {
		return each(statelang.MarshalJSON(resultEntry(r)))
	}
	out := strings.TrimSpace(r.Output)
	if out == "" {
		out = "null"
	}
	if transformation != statelang.TransformFLATTEN || !strings.HasPrefix(out, "[") {
		return each([]byte(out))
	}
	v, err := statelang.ParseJSON([]byte(out))
	a, ok := v.([]any)
	if err != nil || !ok {
		return each([]byte(out))
	}
	for _, e := range a {
		if err := each(statelang.MarshalJSON(e)); err != nil {
			return err
		}
	}
	return nil
}

// resultTime is a timestamp in the results files.
func resultTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func resultEntry(r ChildResult) map[string]any {
	e := map[string]any{"ExecutionArn": r.ExecutionARN, "Name": r.Name, "StateMachineArn": r.StateMachineARN, "Status": r.Status,
		"Input": r.Input, "InputDetails": map[string]any{"Included": true}, "RedriveCount": int64(0)}
	if !r.StartDate.IsZero() {
		e["StartDate"] = resultTime(r.StartDate)
	}
	if !r.StopDate.IsZero() {
		e["StopDate"] = resultTime(r.StopDate)
	}
	switch r.Status {
	case "SUCCEEDED":
		e["Output"] = r.Output
		e["OutputDetails"] = map[string]any{"Included": true}
		e["RedriveStatus"] = "NOT_REDRIVABLE"
		e["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
	case "FAILED", "TIMED_OUT", "ABORTED":
		if r.Error != "" {
			e["Error"] = r.Error
		}
		if r.Cause != "" {
			e["Cause"] = r.Cause
		}
		e["RedriveStatus"] = "REDRIVABLE"
	default:
		e["RedriveStatus"] = "NOT_REDRIVABLE"
		e["RedriveStatusReason"] = "Execution is " + r.Status + " and cannot be redriven"
	}
	return e
}
