package objects_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/services/objects"
	"github.com/stepwise-dev/stepwise/statelang"
)

// localCSVMap reads orders.csv (bucket items) with an ItemReader, prices
// each row in a child (the row of quantity 0 fails, which one tolerated
// failure allows), writes the results under runs/ (bucket out) with a
// ResultWriter, then reads the manifest back with the aws-sdk:s3:getObject
// task.
const localCSVMap = `{"StartAt":"M","States":{
	"M":{"Type":"Map","Label":"rows",
		"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"items","Key.$":"$.key"},
			"ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"}},
		"ItemSelector":{"line.$":"States.MathAdd($$.Map.Item.Index, 2)","row.$":"$$.Map.Item.Value"},
		"ToleratedFailureCount":1,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Variable":"$.row.qty","StringEquals":"0","Next":"F"}],"Default":"P"},
			"F":{"Type":"Fail","Error":"EmptyOrder","Cause":"quantity 0"},
			"P":{"Type":"Pass","Parameters":{"id.$":"$.row.id","qty.$":"States.StringToJson($.row.qty)"},"End":true}}},
		"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix.$":"$.prefix"}},
		"ResultPath":"$.run","Next":"Manifest"},
	"Manifest":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:s3:getObject",
		"Parameters":{"Bucket.$":"$.run.ResultWriterDetails.Bucket","Key.$":"$.run.ResultWriterDetails.Key"},
		"ResultSelector":{"files.$":"States.StringToJson($.Body)"},"ResultPath":"$.manifest","End":true}}}`

// TestLocalDistributedMapObjects runs localCSVMap with engine.RunLocal and
// the object storage services on the folder store of `stepwise dev`, then
// the same machine through a real engine on Postgres: both write the same
// results (the children's inputs, outputs and failures; the entries' fields;
// the manifest's files), the local run's in the order of the items.
func TestLocalDistributedMapObjects(t *testing.T) {
	t.Parallel()
	st, _, _ := endpoint(t)
	ctx := context.Background()
	for _, b := range []string{"items", "out"} {
		if err := st.CreateBucket(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	put(t, st, "items", "orders.csv", "id,qty\nA,1\nB,0\nC,3\n")
	services := func() []engine.Service {
		return []engine.Service{objects.NewService(st), objects.NewReaderService(st), objects.NewWriterService(st)}
	}

	m, err := statelang.Parse([]byte(localCSVMap))
	if err != nil {
		t.Fatal(err)
	}
	res := engine.RunLocal(m, map[string]any{"key": "orders.csv", "prefix": "local"},
		engine.LocalOptions{StateMachineName: "csv", Services: services()})
	if res.Status != engine.StatusSucceeded {
		t.Fatalf("RunLocal = %s %v; want SUCCEEDED", res.Status, res.Failure)
	}
	local := writtenRun(t, st, statelang.MarshalString(res.Output), "local")
	if !strings.HasPrefix(local.run, "arn:aws:states:us-east-1:111111111111:mapRun:csv/rows:") {
		t.Errorf("local Map Run ARN %q; want one of csv/rows", local.run)
	}
	// The items' order; the names the engine gives the children.
	if got := local.inputs(); !slices.Equal(got, []string{`{"line":2,"row":{"id":"A","qty":"1"}}`, `{"line":4,"row":{"id":"C","qty":"3"}}`}) {
		t.Errorf("local SUCCEEDED inputs %q; want A then C", got)
	}
	for i, e := range local.succeeded {
		if want := engine.MapRunChildName(local.run, int64(2*i)); e["Name"] != want {
			t.Errorf("local child %d named %v; want %s", i, e["Name"], want)
		}
	}

	eng := runEngine(t, services()...)
	create(t, eng, "csv", localCSVMap)
	x := runToEnd(t, eng, "csv", `{"key":"orders.csv","prefix":"engine"}`)
	if x.Status != engine.StatusSucceeded {
		t.Fatalf("engine: %s %s %s", x.Status, x.Error, x.Cause)
	}
	durable := writtenRun(t, st, x.Output, "engine")
	if l, d := local.summary(), durable.summary(); !reflect.DeepEqual(l, d) {
		t.Errorf("the local run wrote\n%v\nthe engine\n%v", l, d)
	}
}

// writtenRun is what a run of localCSVMap wrote under prefix.
type written struct {
	run               string
	manifest          map[string]any
	succeeded, failed []map[string]any
}

func writtenRun(t *testing.T, st objects.Store, output, prefix string) written {
	t.Helper()
	var out struct {
		Run struct {
			MapRunArn           string
			ResultWriterDetails struct{ Bucket, Key string }
		}
		Manifest struct{ Files map[string]any }
	}
	if err := json.Unmarshal([]byte(output), &out); err != nil {
		t.Fatalf("output %s: %v", output, err)
	}
	id := out.Run.MapRunArn[strings.LastIndex(out.Run.MapRunArn, ":")+1:]
	if d := out.Run.ResultWriterDetails; d.Bucket != "out" || d.Key != prefix+"/"+id+"/manifest.json" {
		t.Fatalf("output %s; want the manifest at out/%s/%s/manifest.json", output, prefix, id)
	}
	w := written{run: out.Run.MapRunArn, manifest: out.Manifest.Files}
	var manifest map[string]any
	if err := json.Unmarshal([]byte(get(t, st, "out", out.Run.ResultWriterDetails.Key)), &manifest); err != nil ||
		!reflect.DeepEqual(manifest, w.manifest) {
		t.Fatalf("manifest %v (%v); the getObject task read %v", manifest, err, w.manifest)
	}
	read := func(group string) []map[string]any {
		var es []map[string]any
		if err := json.Unmarshal([]byte(get(t, st, "out", prefix+"/"+id+"/"+group+"_0.json")), &es); err != nil {
			t.Fatal(err)
		}
		return es
	}
	w.succeeded, w.failed = read("SUCCEEDED"), read("FAILED")
	return w
}

func (w written) inputs() []string {
	var in []string
	for _, e := range w.succeeded {
		in = append(in, e["Input"].(string))
	}
	return in
}

// summary is what does not depend on the run's ARNs, dates and order:
// each entry's fields and outcome, and the manifest's files by group.
func (w written) summary() []string {
	var s []string
	for _, es := range [][]map[string]any{w.succeeded, w.failed} {
		var lines []string
		for _, e := range es {
			fields := make([]string, 0, len(e))
			for k := range e {
				fields = append(fields, k)
			}
			slices.Sort(fields)
			lines = append(lines, strings.Join(fields, ",")+" "+statelang.MarshalString(map[string]any{
				"Status": e["Status"], "Input": e["Input"], "Output": e["Output"], "Error": e["Error"], "Cause": e["Cause"]}))
		}
		slices.Sort(lines)
		s = append(s, lines...)
	}
	files, _ := w.manifest["ResultFiles"].(map[string]any)
	for _, g := range objects.ResultGroups {
		fs, _ := files[g].([]any)
		var keys []string
		for _, f := range fs {
			key, _ := f.(map[string]any)["Key"].(string)
			keys = append(keys, key[strings.LastIndex(key, "/")+1:])
		}
		s = append(s, g+": "+strings.Join(keys, ","))
	}
	return s
}

// TestLocalInlineResults runs a distributed Map with an ItemBatcher and a
// ResultWriter with only a WriterConfig (the results are the Map's
// result) with engine.RunLocal and through a real engine: both give the
// same result, in the order of the batches, the failed batch as its
// execution.
func TestLocalInlineResults(t *testing.T) {
	t.Parallel()
	const def = `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":1,
		"ItemBatcher":{"MaxItemsPerBatch":2},
		"ResultWriter":{"WriterConfig":{"Transformation":"COMPACT"}},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Variable":"$.Items[0]","StringEquals":"x","Next":"F"}],"Default":"P"},
			"F":{"Type":"Fail","Error":"NotANumber"},
			"P":{"Type":"Pass","OutputPath":"$.Items","End":true}}},
		"End":true}}}`
	const items = `[1,2,"x",4,5,6,7]`
	services := func() []engine.Service { return []engine.Service{objects.NewWriterService(nil)} }
	m, err := statelang.Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	in, _ := statelang.ParseJSON([]byte(items))
	res := engine.RunLocal(m, in, engine.LocalOptions{Services: services()})
	if res.Status != engine.StatusSucceeded {
		t.Fatalf("RunLocal = %s %v; want SUCCEEDED", res.Status, res.Failure)
	}
	// The failed batch's entry without its ARNs, name and dates.
	outcome := func(results any) string {
		rs, _ := results.([]any)
		for i, r := range rs {
			if x, ok := r.(map[string]any); ok {
				rs[i] = map[string]any{"Error": x["Error"], "Input": x["Input"], "Status": x["Status"]}
			}
		}
		return statelang.MarshalString(rs)
	}
	const want = `[[1,2],{"Error":"NotANumber","Input":"{\"Items\":[\"x\",4]}","Status":"FAILED"},[5,6],[7]]`
	if got := outcome(res.Output); got != want {
		t.Errorf("RunLocal output %s; want %s", got, want)
	}
	eng := runEngine(t, services()...)
	create(t, eng, "inline", def)
	x := runToEnd(t, eng, "inline", items)
	if out, _ := statelang.ParseJSON([]byte(x.Output)); x.Status != engine.StatusSucceeded || outcome(out) != want {
		t.Errorf("engine: %s %s %s; want SUCCEEDED %s", x.Status, x.Output, x.Cause, want)
	}
}
