package objects_test

import (
	"context"
	"encoding/json"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
	"github.com/stepwise-dev/stepwise/services/objects"
)

// TestEngineItemReader runs distributed Maps whose items an ItemReader
// reads from each S3-compatible server, through a real engine on Postgres:
// CSV with its first row as headers, JSONL with MaxItemsPath, the
// objects under a prefix, and a missing object, whose failure the Map's
// Catch sees.
func TestEngineItemReader(t *testing.T) {
	t.Parallel()
	eachS3Server(t, testEngineItemReader)
}

func testEngineItemReader(t *testing.T, st *objects.S3) {
	if err := st.CreateBucket(context.Background(), "items"); err != nil {
		t.Fatal(err)
	}
	put(t, st, "items", "orders.csv", "id,qty\nA,1\nB,2\n,\n")
	put(t, st, "items", "orders.jsonl", `{"id":"A","qty":1}`+"\n"+`{"id":"B","qty":2}`+"\n"+`{"id":"C","qty":3}`+"\n")
	put(t, st, "items", "in/a.txt", "aa")
	put(t, st, "items", "in/b.txt", "bbb")

	eng := runEngine(t, objects.NewReaderService(st))
	machine := func(name, reader string) {
		t.Helper()
		create(t, eng, name, `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":`+reader+`,
			"ItemSelector":{"item.$":"$$.Map.Item.Value","from.$":"$.from"},
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
			"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},
			"Caught":{"Type":"Pass","End":true}}}`)
	}
	run := func(name, input string) *engine.Execution { t.Helper(); return runToEnd(t, eng, name, input) }
	machine("csv", `{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"items","Key.$":"$.key"},
		"ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"}}`)
	if x := run("csv", `{"key":"orders.csv","from":"csv"}`); x.Output != `[{"from":"csv","item":{"id":"A","qty":"1"}},`+
		`{"from":"csv","item":{"id":"B","qty":"2"}},{"from":"csv","item":{"id":"","qty":""}}]` {
		t.Errorf("CSV: %s %s %s", x.Status, x.Output, x.Cause)
	}
	if x := run("csv", `{"key":"orders.csv","from":"csv"}`); x.Status == engine.StatusSucceeded {
		// The Map Run's total is set when the reader answered.
		runs, _, err := eng.ListMapRuns(context.Background(), x.ARN, 0, "")
		if err != nil || len(runs) != 1 {
			t.Fatalf("ListMapRuns = %v, %v; want one run", runs, err)
		}
		if r, err := eng.DescribeMapRun(context.Background(), runs[0].ARN); err != nil || r.Status != engine.MapRunSucceeded ||
			r.Total != 3 || r.Children[engine.StatusSucceeded] != 3 {
			t.Errorf("DescribeMapRun = %+v, %v; want SUCCEEDED with 3 children", r, err)
		}
	}
	machine("jsonl", `{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"items","Key":"orders.jsonl"},
		"ReaderConfig":{"InputType":"JSONL","MaxItemsPath":"$.max"}}`)
	if x := run("jsonl", `{"max":2,"from":"jsonl"}`); x.Output != `[{"from":"jsonl","item":{"id":"A","qty":1}},{"from":"jsonl","item":{"id":"B","qty":2}}]` {
		t.Errorf("JSONL: %s %s %s", x.Status, x.Output, x.Cause)
	}
	machine("list", `{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"items","Prefix":"in/"}}`)
	if x := run("list", `{"from":"list"}`); !strings.Contains(x.Output, `"Key":"in/a.txt"`) || !strings.Contains(x.Output, `"Key":"in/b.txt"`) {
		t.Errorf("listObjectsV2: %s %s %s", x.Status, x.Output, x.Cause)
	}
	if x := run("csv", `{"key":"missing.csv","from":"csv"}`); x.Status != engine.StatusSucceeded ||
		!strings.Contains(x.Output, `"Error":"S3.NoSuchKeyException"`) {
		t.Errorf("missing object: %s %s %s", x.Status, x.Output, x.Cause)
	}
}

// runEngine starts an engine on a fresh Postgres schema with the given
// built-in services; it stops with the test.
func runEngine(t *testing.T, services ...engine.Service) *engine.Engine {
	t.Helper()
	store, _ := pgtest.Store(t)
	eng, err := engine.New(engine.Config{Store: store, PollInterval: 20 * time.Millisecond, Services: services})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(rctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return eng
}

func create(t *testing.T, eng *engine.Engine, name, def string) {
	t.Helper()
	if _, err := eng.CreateStateMachine(context.Background(), name, def, "arn:aws:iam::111111111111:role/r"); err != nil {
		t.Fatal(err)
	}
}

// runToEnd starts an execution of machine name and waits for its end.
func runToEnd(t *testing.T, eng *engine.Engine, name, input string) *engine.Execution {
	t.Helper()
	ctx := context.Background()
	x, err := eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: name, Input: input})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if x, err = eng.DescribeExecution(ctx, x.ARN); err != nil {
			t.Fatal(err)
		}
		if x.Status != engine.StatusRunning {
			return x
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still RUNNING", name)
		}
	}
}

// TestEngineResultWriter runs a distributed Map with a ResultWriter
// through a real engine on Postgres, writing to each S3-compatible server: the Map's output is its Map Run and
// the manifest's place, and the files under <Prefix>/<map run id>/ hold
// each child, succeeded and failed, with its input and output or error.
func TestEngineResultWriter(t *testing.T) {
	t.Parallel()
	eachS3Server(t, testEngineResultWriter)
}

func testEngineResultWriter(t *testing.T, st *objects.S3) {
	ctx := context.Background()
	if err := st.CreateBucket(ctx, "out"); err != nil {
		t.Fatal(err)
	}
	eng := runEngine(t, objects.NewWriterService(st))
	create(t, eng, "writes", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
		"ToleratedFailureCount":1,
		"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix.$":"$.prefix"}},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":2,"Next":"F"}],"Default":"P"},
			"F":{"Type":"Fail","Error":"Two","Cause":"two is refused"},
			"P":{"Type":"Pass","Parameters":{"double.$":"States.MathAdd($.n, $.n)"},"End":true}}},
		"End":true}}}`)
	x := runToEnd(t, eng, "writes", `{"prefix":"runs","items":[{"n":1},{"n":2},{"n":3}]}`)
	if x.Status != engine.StatusSucceeded {
		t.Fatalf("%s %s %s", x.Status, x.Error, x.Cause)
	}
	var out struct {
		MapRunArn           string
		ResultWriterDetails struct{ Bucket, Key string }
	}
	if err := json.Unmarshal([]byte(x.Output), &out); err != nil {
		t.Fatalf("output %s: %v", x.Output, err)
	}
	runID := out.MapRunArn[strings.LastIndex(out.MapRunArn, ":")+1:]
	if !strings.Contains(out.MapRunArn, ":mapRun:writes/") || out.ResultWriterDetails.Bucket != "out" ||
		out.ResultWriterDetails.Key != "runs/"+runID+"/manifest.json" {
		t.Fatalf("output %s", x.Output)
	}
	if r, err := eng.DescribeMapRun(ctx, out.MapRunArn); err != nil || r.Status != engine.MapRunSucceeded || r.Total != 3 ||
		r.ResultsWritten != 3 || r.Children[engine.StatusSucceeded] != 2 || r.Children[engine.StatusFailed] != 1 || r.ToleratedFailureCount != 1 {
		t.Errorf("DescribeMapRun = %+v, %v; want SUCCEEDED, 3 results written, 2 children succeeded and 1 failed", r, err)
	}
	var manifest struct {
		DestinationBucket, MapRunArn string
		ResultFiles                  map[string][]struct{ Key string }
	}
	if err := json.Unmarshal([]byte(get(t, st, "out", out.ResultWriterDetails.Key)), &manifest); err != nil {
		t.Fatal(err)
	}
	if manifest.DestinationBucket != "out" || manifest.MapRunArn != out.MapRunArn ||
		len(manifest.ResultFiles["SUCCEEDED"]) != 1 || len(manifest.ResultFiles["FAILED"]) != 1 {
		t.Fatalf("manifest %+v", manifest)
	}
	type entry struct{ Input, Output, Error, Cause, Status string }
	read := func(key string) []entry {
		var es []entry
		if err := json.Unmarshal([]byte(get(t, st, "out", key)), &es); err != nil {
			t.Fatal(err)
		}
		return es
	}
	ok := read(manifest.ResultFiles["SUCCEEDED"][0].Key)
	if len(ok) != 2 || ok[0].Status != "SUCCEEDED" || !strings.Contains(ok[0].Output+ok[1].Output, `{"double":6}`) ||
		!strings.Contains(ok[0].Input+ok[1].Input, `{"n":1}`) {
		t.Errorf("SUCCEEDED file %+v", ok)
	}
	failed := read(manifest.ResultFiles["FAILED"][0].Key)
	if len(failed) != 1 || failed[0].Status != "FAILED" || failed[0].Error != "Two" || failed[0].Cause != "two is refused" {
		t.Errorf("FAILED file %+v", failed)
	}
}

func get(t *testing.T, st objects.Store, bucket, key string) string {
	t.Helper()
	o, err := st.Get(context.Background(), objects.GetInput{Bucket: bucket, Key: key})
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	defer o.Body.Close()
	b, err := io.ReadAll(o.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEngineResultWriterFailedRun runs a distributed Map whose Map Run
// fails (its tolerance exceeded) with a ResultWriter: as on AWS, the
// results are written before the Map fails, the child stopped with the
// run written ABORTED among the FAILED ones, and the Map's failure is the
// run's, which its Catch sees.
func TestEngineResultWriterFailedRun(t *testing.T) {
	t.Parallel()
	eachS3Server(t, func(t *testing.T, st *objects.S3) { testEngineResultWriterFailedRun(t, st, "STANDARD") })
}

// TestEngineResultWriterFailedRunExpress is TestEngineResultWriterFailedRun
// with EXPRESS children: the child stopped with the run has its row
// written ABORTED before the results are.
func TestEngineResultWriterFailedRunExpress(t *testing.T) {
	t.Parallel()
	eachS3Server(t, func(t *testing.T, st *objects.S3) { testEngineResultWriterFailedRun(t, st, "EXPRESS") })
}

func testEngineResultWriterFailedRun(t *testing.T, st *objects.S3, childType string) {
	ctx := context.Background()
	if err := st.CreateBucket(ctx, "out"); err != nil {
		t.Fatal(err)
	}
	eng := runEngine(t, objects.NewWriterService(st))
	// Two at once: "ok" ends and "fail" starts while "slow" waits; "fail"
	// fails the run, which stops "slow".
	create(t, eng, "fails", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,
		"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"failed"}},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"`+childType+`"},"StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Variable":"$","StringEquals":"fail","Next":"F"},{"Variable":"$","StringEquals":"slow","Next":"W"}],"Default":"P"},
			"W":{"Type":"Wait","Seconds":600,"Next":"P"},
			"F":{"Type":"Fail","Error":"Refused","Cause":"no"},
			"P":{"Type":"Pass","End":true}}},
		"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Done"}],"Next":"Done"},
		"Done":{"Type":"Pass","End":true}}}`)
	x := runToEnd(t, eng, "fails", `{"items":["ok","slow","fail"]}`)
	if x.Status != engine.StatusFailed && x.Status != engine.StatusSucceeded {
		t.Fatalf("%s %s %s", x.Status, x.Error, x.Cause)
	}
	var out struct{ Error struct{ Error, Cause string } }
	_ = json.Unmarshal([]byte(x.Output), &out)
	if x.Status != engine.StatusSucceeded || out.Error.Error != "States.ExceedToleratedFailureThreshold" {
		t.Fatalf("execution %s %s %s, output %s; want the Map's States.ExceedToleratedFailureThreshold caught", x.Status, x.Error, x.Cause, x.Output)
	}
	runs, _, err := eng.ListMapRuns(ctx, x.ARN, 0, "")
	if err != nil || len(runs) != 1 {
		t.Fatalf("ListMapRuns = %v, %v", runs, err)
	}
	run := runs[0].ARN
	if r, err := eng.DescribeMapRun(ctx, run); err != nil || r.Status != engine.MapRunFailed || r.ResultsWritten != 3 ||
		r.Children[engine.StatusSucceeded] != 1 || r.Children[engine.StatusFailed] != 1 || r.Children[engine.StatusAborted] != 1 {
		t.Errorf("DescribeMapRun = %+v, %v; want FAILED, 3 results written, children 1 succeeded, 1 failed, 1 aborted", r, err)
	}
	evs, _, err := eng.GetExecutionHistory(ctx, x.ARN, engine.HistoryInput{})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, string(e.Type))
	}
	if h := strings.Join(types, " "); !strings.Contains(h, "MapRunStarted MapRunFailed MapStateFailed") {
		t.Errorf("history %s; want MapRunStarted MapRunFailed MapStateFailed", h)
	}
	runID := run[strings.LastIndex(run, ":")+1:]
	var manifest struct {
		DestinationBucket, MapRunArn string
		ResultFiles                  map[string][]struct{ Key string }
	}
	if err := json.Unmarshal([]byte(get(t, st, "out", "failed/"+runID+"/manifest.json")), &manifest); err != nil {
		t.Fatal(err)
	}
	if manifest.MapRunArn != run || len(manifest.ResultFiles["SUCCEEDED"]) != 1 || len(manifest.ResultFiles["FAILED"]) != 1 ||
		len(manifest.ResultFiles["PENDING"]) != 0 {
		t.Fatalf("manifest %+v", manifest)
	}
	var failed []struct{ Input, Status, Error string }
	if err := json.Unmarshal([]byte(get(t, st, "out", manifest.ResultFiles["FAILED"][0].Key)), &failed); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range failed {
		got[f.Input] = f.Status + " " + f.Error
	}
	if len(failed) != 2 || got[`"fail"`] != "FAILED Refused" || got[`"slow"`] != "ABORTED " {
		t.Errorf("FAILED file %+v; want fail FAILED Refused and slow ABORTED", failed)
	}
}

// TestEngineResultWriterConfig runs distributed Maps with a WriterConfig
// through a real engine on Postgres: exported FLATTEN as JSON Lines, and
// without a Resource the results as the Map's result, COMPACT, FLATTEN or
// NONE, in the items' order, the failed child as its record in each.
func TestEngineResultWriterConfig(t *testing.T) {
	t.Parallel()
	eachS3Server(t, testEngineResultWriterConfig)
}

func testEngineResultWriterConfig(t *testing.T, st *objects.S3) {
	ctx := context.Background()
	if err := st.CreateBucket(ctx, "out"); err != nil {
		t.Fatal(err)
	}
	eng := runEngine(t, objects.NewWriterService(st))
	// Each number n gives [n, n]; "x" fails, which one tolerated failure allows.
	machine := func(name, writer string) {
		create(t, eng, name, `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":1,"ResultWriter":`+writer+`,
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"C","States":{
				"C":{"Type":"Choice","Choices":[{"Variable":"$","IsNumeric":false,"Next":"F"}],"Default":"P"},
				"F":{"Type":"Fail","Error":"NotANumber"},
				"P":{"Type":"Pass","Parameters":{"v.$":"States.Array($, $)"},"OutputPath":"$.v","End":true}}},
			"End":true}}}`)
	}
	const items = `[1,"x",3]`

	machine("export", `{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"flat"},
		"WriterConfig":{"Transformation":"FLATTEN","OutputType":"JSONL"}}`)
	x := runToEnd(t, eng, "export", items)
	var out struct {
		MapRunArn           string
		ResultWriterDetails struct{ Bucket, Key string }
	}
	if err := json.Unmarshal([]byte(x.Output), &out); x.Status != engine.StatusSucceeded || err != nil {
		t.Fatalf("export: %s %s %s", x.Status, x.Error, x.Output)
	}
	var manifest struct {
		ResultFiles map[string][]struct{ Key string }
	}
	if err := json.Unmarshal([]byte(get(t, st, "out", out.ResultWriterDetails.Key)), &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest.ResultFiles["SUCCEEDED"]) != 1 || len(manifest.ResultFiles["FAILED"]) != 1 {
		t.Fatalf("manifest %+v", manifest)
	}
	lines := strings.Split(get(t, st, "out", manifest.ResultFiles["SUCCEEDED"][0].Key), "\n")
	slices.Sort(lines)
	if got := strings.Join(lines, ","); got != ",1,1,3,3" { // the last line ends with "\n" too
		t.Errorf("SUCCEEDED lines %q; want 1, 1, 3, 3", lines)
	}
	failed := get(t, st, "out", manifest.ResultFiles["FAILED"][0].Key)
	if strings.Count(failed, "\n") != 1 || !strings.Contains(failed, `"Error":"NotANumber"`) {
		t.Errorf("FAILED file %q; want the failed child's record, a line", failed)
	}

	// Without a Resource: the Map's result.
	for _, tt := range []struct {
		name, config string
		want         []any // a number, an array, or a record's Input
	}{
		{"compact", `{}`, []any{[]any{1.0, 1.0}, `"x"`, []any{3.0, 3.0}}},
		{"flatten", `{"Transformation":"FLATTEN"}`, []any{1.0, 1.0, `"x"`, 3.0, 3.0}},
		{"none", `{"Transformation":"NONE","OutputType":"JSONL"}`, []any{"1", `"x"`, "3"}},
	} {
		machine(tt.name, `{"WriterConfig":`+tt.config+`}`)
		x := runToEnd(t, eng, tt.name, items)
		var got []any
		if err := json.Unmarshal([]byte(x.Output), &got); x.Status != engine.StatusSucceeded || err != nil || len(got) != len(tt.want) {
			t.Errorf("%s: %s %s %s; want %d results", tt.name, x.Status, x.Error, x.Output, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			rec, isRecord := got[i].(map[string]any)
			switch {
			case isRecord && rec["Input"] == w && rec["ExecutionArn"] != nil:
				if (w == `"x"`) != (rec["Status"] == "FAILED" && rec["Error"] == "NotANumber") {
					t.Errorf("%s: result %d = %v; want FAILED only for \"x\"", tt.name, i, rec)
				}
			case isRecord || !reflect.DeepEqual(got[i], w):
				t.Errorf("%s: result %d = %v; want %v", tt.name, i, got[i], w)
			}
		}
	}
	// A run that fails has no result to give: the Map fails with its error.
	if x := runToEnd(t, eng, "compact", `["x","y"]`); x.Status != engine.StatusFailed || x.Error != "States.ExceedToleratedFailureThreshold" {
		t.Errorf("failed run with a WriterConfig alone: %s %s %s; want FAILED States.ExceedToleratedFailureThreshold", x.Status, x.Error, x.Cause)
	}
}

// TestEngineItemReaderMaxItemsPath: a MaxItemsPath that gives a negative
// count starts the Map Run, which fails with States.ItemReaderFailed and
// AWS's cause, as AWS records it (corpus scenario
// test_map_item_reader_csv_max_items_paths[-1]); one above the readers'
// bound reads every item.
func TestEngineItemReaderMaxItemsPath(t *testing.T) {
	t.Parallel()
	st, _, _ := endpoint(t)
	if err := st.CreateBucket(context.Background(), "items"); err != nil {
		t.Fatal(err)
	}
	put(t, st, "items", "file.csv", "Col1,Col2\nValue1,Value2\nValue3,Value4\n")
	eng := runEngine(t, objects.NewReaderService(st))
	create(t, eng, "max", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject",
		"Parameters":{"Bucket":"items","Key":"file.csv"},"ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW","MaxItemsPath":"$.max"}},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
		"End":true}}}`)
	x := runToEnd(t, eng, "max", `{"max":-1}`)
	if x.Status != engine.StatusFailed || x.Error != "States.ItemReaderFailed" || x.Cause != "field MaxItems must be positive" {
		t.Errorf("MaxItemsPath -1: %s %q %q; want FAILED States.ItemReaderFailed %q", x.Status, x.Error, x.Cause, "field MaxItems must be positive")
	}
	evs, _, err := eng.GetExecutionHistory(context.Background(), x.ARN, engine.HistoryInput{})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, string(e.Type))
	}
	if got, want := strings.Join(types, " "), "ExecutionStarted MapStateEntered MapStateStarted MapRunStarted MapRunFailed MapStateFailed ExecutionFailed"; got != want {
		t.Errorf("history = %s; want %s", got, want)
	}
	if x := runToEnd(t, eng, "max", `{"max":100000001}`); x.Output != `[{"Col1":"Value1","Col2":"Value2"},{"Col1":"Value3","Col2":"Value4"}]` {
		t.Errorf("MaxItemsPath 100000001: %s %s %s", x.Status, x.Output, x.Cause)
	}
	if x := runToEnd(t, eng, "max", `{"max":1.5}`); x.Status != engine.StatusFailed || x.Error != "States.Runtime" {
		t.Errorf("MaxItemsPath 1.5: %s %q %q; want FAILED States.Runtime", x.Status, x.Error, x.Cause)
	}
}
