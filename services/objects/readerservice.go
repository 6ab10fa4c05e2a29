package objects

import (
	"context"
	"errors"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// ReaderService reads the items of distributed Maps' ItemReaders for the
// engine: it serves engine.ItemReaderResource, whose task input is the
// evaluated reader ({"Resource", "Parameters", "ReaderConfig"}), and
// answers with the items as a JSON array.
type ReaderService struct {
	store Store
}

// NewReaderService returns the ReaderService on st.
func NewReaderService(st Store) *ReaderService { return &ReaderService{store: st} }

// Serves implements engine.Service.
func (s *ReaderService) Serves(resource statelang.Resource) bool {
	return resource.ARN == engine.ItemReaderResource
}

// Invoke implements engine.Service.
func (s *ReaderService) Invoke(ctx context.Context, t engine.Task) (string, error) {
	v, err := statelang.ParseJSON([]byte(t.Input))
	in, ok := v.(map[string]any)
	if err != nil || !ok {
		return "", readerFailed("the ItemReader's task input is not a JSON object")
	}
	params, _ := in["Parameters"].(map[string]any)
	rc, _ := in["ReaderConfig"].(map[string]any)
	cfg := ReaderConfig{InputType: str(rc["InputType"]), CSVHeaderLocation: str(rc["CSVHeaderLocation"]),
		CSVDelimiter: str(rc["CSVDelimiter"]), ManifestType: str(rc["ManifestType"])}
	if hs, ok := rc["CSVHeaders"].([]any); ok {
		for _, h := range hs {
			cfg.CSVHeaders = append(cfg.CSVHeaders, str(h))
		}
	}
	if n, ok := rc["MaxItems"].(int64); ok {
		cfg.MaxItems = n
	}
	items, err := ReadItems(ctx, s.store, str(in["Resource"]), params, cfg)
	if err != nil {
		return "", err
	}
	return statelang.MarshalString(items), nil
}

// MapRuns reads the children of Map Runs, as the ResultWriter needs them:
// *engine.Engine, or a local run's *engine.LocalMapRuns.
type MapRuns interface {
	// MapRunChildren passes the children of Map Run run that have status
	// to page, a page at a time.
	MapRunChildren(ctx context.Context, run, status string, page func([]*engine.Execution) error) error
	// DescribeMapRun returns the Map Run; InlineResults reads its Total.
	DescribeMapRun(ctx context.Context, run string) (engine.MapRun, error)
}

// WriterService writes the results of distributed Maps' ResultWriters for
// the engine: it serves engine.ResultWriterResource, whose task input is
// {"MapRunArn", "Resource", "Parameters": {"Bucket", "Prefix"},
// "WriterConfig": {"Transformation", "OutputType"}}, reads the Map Run's
// children from the engine or the local run it is bound to (MapRuns), writes them (WriteResults) and
// answers with the manifest's {"Bucket", "Key"}. With an empty Resource (a
// ResultWriter with only a WriterConfig) it writes nothing and answers
// with the transformed results themselves (InlineResults).
type WriterService struct {
	store Store
	runs  MapRuns
}

// NewWriterService returns the WriterService on st; the engine binds
// itself when the service is in its Config.Services, and a local run
// when it is in its LocalOptions.Services.
func NewWriterService(st Store) *WriterService { return &WriterService{store: st} }

// BindEngine gives the service the engine whose Map Runs it writes.
func (s *WriterService) BindEngine(e *engine.Engine) { s.runs = e }

// BindLocal gives the service the Map Runs of the local run
// (engine.RunLocal) whose results it writes.
func (s *WriterService) BindLocal(r *engine.LocalMapRuns) { s.runs = r }

// Serves implements engine.Service.
func (s *WriterService) Serves(resource statelang.Resource) bool {
	return resource.ARN == engine.ResultWriterResource
}

// groupStatuses are the statuses of the children of each results group,
// as ResultGroup sorts them.
var groupStatuses = func() map[string][]string {
	m := map[string][]string{}
	for _, st := range []string{engine.StatusSucceeded, engine.StatusFailed, engine.StatusTimedOut, engine.StatusAborted, engine.StatusRunning} {
		g := ResultGroup(st)
		m[g] = append(m[g], st)
	}
	return m
}()

// Invoke implements engine.Service.
func (s *WriterService) Invoke(ctx context.Context, t engine.Task) (string, error) {
	failed := func(cause string) error {
		return &engine.TaskFailure{Name: statelang.ErrResultWriterFailed, Cause: cause}
	}
	v, err := statelang.ParseJSON([]byte(t.Input))
	in, ok := v.(map[string]any)
	if err != nil || !ok {
		return "", failed("the ResultWriter's task input is not a JSON object")
	}
	if s.runs == nil {
		return "", failed("the ResultWriter service is bound to no engine and no local run")
	}
	params, _ := in["Parameters"].(map[string]any)
	wc, _ := in["WriterConfig"].(map[string]any) // none in a task of an older build: NONE, JSON
	cfg := WriterConfig{Transformation: str(wc["Transformation"]), OutputType: str(wc["OutputType"])}
	bucket, prefix, run := str(params["Bucket"]), str(params["Prefix"]), str(in["MapRunArn"])
	children := func(group string, each func(ChildResult) error) error {
		for _, status := range groupStatuses[group] {
			err := s.runs.MapRunChildren(ctx, run, status, func(xs []*engine.Execution) error {
				for _, x := range xs {
					r := ChildResult{ExecutionARN: x.ARN, Name: x.Name, StateMachineARN: x.StateMachineARN, Status: x.Status,
						Input: x.Input, Output: x.Output, Error: x.Error, Cause: x.Cause, StartDate: x.StartDate, StopDate: x.StopDate}
					if err := each(r); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	}
	if resource, ok := in["Resource"]; ok && str(resource) == "" {
		out, err := InlineResults(ctx, s.runs, run, cfg, children)
		if err != nil {
			var f *engine.TaskFailure
			if errors.As(err, &f) {
				return "", err
			}
			return "", failed(err.Error())
		}
		return out, nil
	}
	if bucket == "" {
		return "", failed("the ResultWriter's Parameters have no Bucket")
	}
	key, _, err := WriteResults(ctx, s.store, bucket, prefix, run, cfg, children)
	if err != nil {
		var f *engine.TaskFailure
		if errors.As(err, &f) {
			return "", err
		}
		return "", failed(err.Error())
	}
	return statelang.MarshalString(map[string]any{"Bucket": bucket, "Key": key}), nil
}
