package objects_test

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/services/objects"
	"github.com/stepwise-dev/stepwise/statelang"
)

func TestWriteResults(t *testing.T) {
	t.Parallel()
	st, _, _ := endpoint(t)
	ctx := context.Background()
	if err := st.CreateBucket(ctx, "out"); err != nil {
		t.Fatal(err)
	}
	run := "arn:aws:states:us-east-1:111111111111:mapRun:sm/Map:6dbfba93-bcff-410b-9b5c-abf41ae9eddb"
	at := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	results := []objects.ChildResult{
		{ExecutionARN: run + ":1", Name: "1", Status: "SUCCEEDED", Input: `"a"`, Output: `"A"`, StartDate: at, StopDate: at.Add(time.Second)},
		{ExecutionARN: run + ":2", Name: "2", Status: "FAILED", Input: `"b"`, Error: "Boom", Cause: "it broke", StartDate: at, StopDate: at},
		{ExecutionARN: run + ":3", Name: "3", Status: "SUCCEEDED", Input: `"c"`, Output: `"C"`, StartDate: at, StopDate: at},
	}
	key, m, err := objects.WriteResults(ctx, st, "out", "jobs/", run, objects.WriterConfig{}, objects.ChildrenOf(results))
	if err != nil {
		t.Fatal(err)
	}
	if want := "jobs/6dbfba93-bcff-410b-9b5c-abf41ae9eddb/manifest.json"; key != want {
		t.Errorf("manifest key = %s; want %s", key, want)
	}
	read := func(key string) any {
		o, err := st.Get(ctx, objects.GetInput{Bucket: "out", Key: key})
		if err != nil {
			t.Fatalf("Get(%s) = %v", key, err)
		}
		defer o.Body.Close()
		b, _ := io.ReadAll(o.Body)
		v, err := statelang.ParseJSON(b)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return v
	}
	man := read(key).(map[string]any)
	files := man["ResultFiles"].(map[string]any)
	if man["DestinationBucket"] != "out" || man["MapRunArn"] != run || len(files["SUCCEEDED"].([]any)) != 1 ||
		len(files["FAILED"].([]any)) != 1 || len(files["PENDING"].([]any)) != 0 {
		t.Fatalf("manifest = %v", man)
	}
	succ := files["SUCCEEDED"].([]any)[0].(map[string]any)
	if succ["Key"] != "jobs/6dbfba93-bcff-410b-9b5c-abf41ae9eddb/SUCCEEDED_0.json" || succ["Size"] != m.ResultFiles["SUCCEEDED"][0].Size {
		t.Errorf("SUCCEEDED file = %v", succ)
	}
	got := read(succ["Key"].(string)).([]any)
	first := got[0].(map[string]any)
	if len(got) != 2 || first["Output"] != `"A"` || first["Input"] != `"a"` || first["Status"] != "SUCCEEDED" ||
		first["StartDate"] != "2024-03-01T10:00:00.000Z" || first["StopDate"] != "2024-03-01T10:00:01.000Z" {
		t.Errorf("SUCCEEDED_0.json = %v", got)
	}
	failed := read("jobs/6dbfba93-bcff-410b-9b5c-abf41ae9eddb/FAILED_0.json").([]any)[0].(map[string]any)
	if failed["Error"] != "Boom" || failed["Cause"] != "it broke" || failed["Output"] != nil {
		t.Errorf("FAILED_0.json[0] = %v", failed)
	}
	if _, _, err := objects.WriteResults(ctx, st, "nobucket", "", run, objects.WriterConfig{}, objects.ChildrenOf(results)); failure(err) != "S3.NoSuchBucketException" {
		t.Errorf("WriteResults(missing bucket) = %v", err)
	}
}

// TestWriteResultsWriterConfig: a WriterConfig's Transformation makes a
// succeeded child's entry its output (COMPACT) or the elements of an
// array output (FLATTEN), a failed child's its record still; OutputType
// JSONL writes an entry a line.
func TestWriteResultsWriterConfig(t *testing.T) {
	t.Parallel()
	st, _, _ := endpoint(t)
	ctx := context.Background()
	if err := st.CreateBucket(ctx, "out"); err != nil {
		t.Fatal(err)
	}
	run := "arn:aws:states:us-east-1:111111111111:mapRun:sm/Map:0d4b8c1e-7a55-4f0e-9c3b-2f6a1d9e8b70"
	results := []objects.ChildResult{
		{ExecutionARN: run + ":1", Name: "1", Status: "SUCCEEDED", Input: `1`, Output: `[{"a":1},{"a":2}]`},
		{ExecutionARN: run + ":2", Name: "2", Status: "SUCCEEDED", Input: `2`, Output: `{"b":2}`},
		{ExecutionARN: run + ":3", Name: "3", Status: "SUCCEEDED", Input: `3`, Output: `[]`},
		{ExecutionARN: run + ":4", Name: "4", Status: "FAILED", Input: `4`, Error: "Boom"},
	}
	body := func(key string) string {
		t.Helper()
		o, err := st.Get(ctx, objects.GetInput{Bucket: "out", Key: key})
		if err != nil {
			t.Fatalf("Get(%s) = %v", key, err)
		}
		defer o.Body.Close()
		b, _ := io.ReadAll(o.Body)
		return string(b)
	}
	tests := []struct {
		cfg             objects.WriterConfig
		succeeded, fail string
	}{
		{objects.WriterConfig{Transformation: "COMPACT"}, `[[{"a":1},{"a":2}],{"b":2},[]]`, `[{`},
		{objects.WriterConfig{Transformation: "FLATTEN"}, `[{"a":1},{"a":2},{"b":2}]`, `[{`},
		{objects.WriterConfig{Transformation: "FLATTEN", OutputType: "JSONL"}, "{\"a\":1}\n{\"a\":2}\n{\"b\":2}\n", `{`},
		{objects.WriterConfig{Transformation: "COMPACT", OutputType: "JSONL"}, "[{\"a\":1},{\"a\":2}]\n{\"b\":2}\n[]\n", `{`},
	}
	for i, tt := range tests {
		prefix := "cfg" + strconv.Itoa(i)
		_, m, err := objects.WriteResults(ctx, st, "out", prefix, run, tt.cfg, objects.ChildrenOf(results))
		if err != nil {
			t.Fatal(err)
		}
		if got := body(m.ResultFiles["SUCCEEDED"][0].Key); got != tt.succeeded {
			t.Errorf("%+v: SUCCEEDED_0.json = %s; want %s", tt.cfg, got, tt.succeeded)
		}
		got := body(m.ResultFiles["FAILED"][0].Key)
		if !strings.HasPrefix(got, tt.fail) || !strings.Contains(got, `"Error":"Boom"`) || !strings.Contains(got, `"ExecutionArn":"`+run+`:4"`) {
			t.Errorf("%+v: FAILED_0.json = %s; want the failed child's record", tt.cfg, got)
		}
		if tt.cfg.OutputType == "JSONL" && strings.Count(got, "\n") != 1 {
			t.Errorf("%+v: FAILED_0.json = %q; want one line", tt.cfg, got)
		}
	}
}
