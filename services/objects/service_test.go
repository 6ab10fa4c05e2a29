package objects_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/services/objects"
	"github.com/stepwise-dev/stepwise/statelang"
)

func invoke(t *testing.T, svc *objects.Service, action, input string) (map[string]any, error) {
	t.Helper()
	res := objects.SDKPrefix + action
	if !svc.Serves(statelang.ParseResource(res)) {
		t.Fatalf("Serves(%q) = false", res)
	}
	out, err := svc.Invoke(context.Background(), engine.Task{Resource: res, Input: input})
	if err != nil {
		return nil, err
	}
	v, perr := statelang.ParseJSON([]byte(out))
	if perr != nil {
		t.Fatalf("output %s: %v", out, perr)
	}
	return v.(map[string]any), nil
}

func failure(err error) string {
	var f *engine.TaskFailure
	if errors.As(err, &f) {
		return f.Name
	}
	return fmt.Sprintf("not a TaskFailure: %v", err)
}

func TestServiceS3(t *testing.T) {
	t.Parallel()
	eachS3Server(t, testServiceS3)
}

func testServiceS3(t *testing.T, st *objects.S3) {
	if err := st.CreateBucket(context.Background(), "svc"); err != nil {
		t.Fatal(err)
	}
	svc := objects.NewService(st)
	if svc.Serves(statelang.ParseResource("arn:aws:states:::aws-sdk:s3:copyObject")) || svc.Serves(statelang.ParseResource("arn:aws:states:::s3:getObject")) {
		t.Error("Serves an action it does not run")
	}
	// putObject of a string, and of a JSON value (written as JSON text):
	// ETag and CRC32 as recorded on AWS.
	out, err := invoke(t, svc, "putObject", `{"Bucket":"svc","Key":"text","Body":"text data"}`)
	if err != nil {
		t.Fatal(err)
	}
	if out["ETag"] != `"332eec544317a6d340b8e77da7fe54ad"` {
		t.Errorf("putObject ETag = %v", out["ETag"])
	}
	out, err = invoke(t, svc, "putObject", `{"Bucket":"svc","Key":"num","Body":0}`)
	if err != nil {
		t.Fatal(err)
	}
	if out["ETag"] != `"cfcd208495d565ef66e7dff9f98764da"` || out["ChecksumCRC32"] != "9NvfIQ==" || out["ChecksumType"] != "FULL_OBJECT" {
		t.Errorf("putObject(0) = %v", out)
	}
	out, err = invoke(t, svc, "getObject", `{"Bucket":"svc","Key":"text"}`)
	if err != nil {
		t.Fatal(err)
	}
	if out["Body"] != "text data" || out["ContentLength"] != int64(9) || out["ETag"] != `"332eec544317a6d340b8e77da7fe54ad"` ||
		out["AcceptRanges"] != "bytes" || !strings.HasSuffix(out["ContentType"].(string), "/octet-stream") {
		t.Errorf("getObject = %v", out)
	}
	if lm, _ := out["LastModified"].(string); !strings.HasSuffix(lm, "Z") || len(lm) != len("2006-01-02T15:04:05Z") {
		t.Errorf("getObject LastModified = %v", out["LastModified"])
	}
	if _, ok := out["Metadata"].(map[string]any); !ok {
		t.Errorf("getObject Metadata = %v; want {}", out["Metadata"])
	}
	out, err = invoke(t, svc, "headObject", `{"Bucket":"svc","Key":"text"}`)
	if err != nil || out["ContentLength"] != int64(9) || out["Body"] != nil {
		t.Errorf("headObject = %v, %v", out, err)
	}
	out, err = invoke(t, svc, "listObjectsV2", `{"Bucket":"svc","MaxKeys":1}`)
	if err != nil {
		t.Fatal(err)
	}
	contents, _ := out["Contents"].([]any)
	if len(contents) != 1 || out["IsTruncated"] != true || out["KeyCount"] != int64(1) || out["NextContinuationToken"] == nil {
		t.Fatalf("listObjectsV2 = %v", out)
	}
	first := contents[0].(map[string]any)
	if first["Key"] != "num" || first["Size"] != int64(1) || first["StorageClass"] != "STANDARD" {
		t.Errorf("listObjectsV2 Contents[0] = %v", first)
	}
	out, err = invoke(t, svc, "listObjectsV2", `{"Bucket":"svc","ContinuationToken":"`+out["NextContinuationToken"].(string)+`"}`)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := out["Contents"].([]any); len(c) != 1 || c[0].(map[string]any)["Key"] != "text" || out["IsTruncated"] != false {
		t.Errorf("listObjectsV2 page 2 = %v", out)
	}
	if _, err := invoke(t, svc, "deleteObject", `{"Bucket":"svc","Key":"text"}`); err != nil {
		t.Fatal(err)
	}
	// Errors, named as Step Functions names them.
	for _, c := range []struct{ action, input, want string }{
		{"getObject", `{"Bucket":"svc","Key":"text"}`, "S3.NoSuchKeyException"},
		{"getObject", `{"Bucket":"nobucket","Key":"k"}`, "S3.NoSuchBucketException"},
		{"headObject", `{"Bucket":"svc","Key":"text"}`, "S3.NoSuchKeyException"},
		{"listObjectsV2", `{"Bucket":"nobucket"}`, "S3.NoSuchBucketException"},
		{"putObject", `{"Bucket":"nobucket","Key":"k","Body":"x"}`, "S3.NoSuchBucketException"},
		{"getObject", `{"Key":"k"}`, "S3.S3Exception"},
	} {
		_, err := invoke(t, svc, c.action, c.input)
		if got := failure(err); got != c.want {
			t.Errorf("%s(%s) failed with %s; want %s", c.action, c.input, got, c.want)
		}
	}
	_, err = invoke(t, svc, "getObject", `{"Bucket":"svc","Key":"text"}`)
	var f *engine.TaskFailure
	if errors.As(err, &f) && f.Cause != "The specified key does not exist. (Service: S3, Status Code: 404)" {
		t.Errorf("NoSuchKey cause = %q", f.Cause)
	}
}

func TestReadItems(t *testing.T) {
	t.Parallel()
	eachS3Server(t, testReadItems)
}

func testReadItems(t *testing.T, st *objects.S3) {
	ctx := context.Background()
	if err := st.CreateBucket(ctx, "items"); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"a.json":     `[{"n":1,"f":1.5,"big":12345678901234567890},"s",[1]]`,
		"obj.json":   `{"not":"an array"}`,
		"a.jsonl":    "{\"n\":1}\n\n[2]\n\"three\"\n",
		"bad.jsonl":  "{\"n\":1}\n{oops\n",
		"first.csv":  "Col1,Col2,Col3\nValue1,Value2,Value3\n,,\ntrue,1,'HelloWorld'\n   ,\n\"a,b\",\"x\"\"y\",\n",
		"typed.csv":  "0,True,{}\nValue4,Value5,Value6\n",
		"dup.csv":    "H,H\n1,2\n",
		"long.csv":   "A,B\n1,2,3\n",
		"pipe.csv":   "\ufeffa|b\n1|2\n",
		"given.csv":  "1,2\n3,4\n5,6\n",
		"empty.csv":  "",
		"max.csv":    "Col1,Col2\nValue1,Value2\nValue3,Value4\nValue5,Value6\nValue7,Value8\n",
		"tab.csv":    "x\ty\n1\t2\n",
		"broken.csv": "a,b\n\"unterminated,1\n",
	}
	for k, v := range files {
		put(t, st, "items", k, v)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("items,inv/a.txt,3\nitems,inv/b.txt,4\n"))
	zw.Close()
	if _, err := st.Put(ctx, objects.PutInput{Bucket: "items", Key: "inv/data.csv.gz", Body: bytes.NewReader(gz.Bytes()), Size: int64(gz.Len())}); err != nil {
		t.Fatal(err)
	}
	put(t, st, "items", "inv/manifest.json", `{"sourceBucket":"items","destinationBucket":"arn:aws:s3:::items","fileFormat":"CSV","fileSchema":"Bucket, Key, Size","files":[{"key":"inv/data.csv.gz","size":1}]}`)

	get := func(key string, cfg objects.ReaderConfig) (string, error) {
		items, err := objects.ReadItems(ctx, st, objects.ReaderGetObject, map[string]any{"Bucket": "items", "Key": key}, cfg)
		if err != nil {
			return "", err
		}
		return statelang.MarshalString(items), nil
	}
	for _, c := range []struct {
		key  string
		cfg  objects.ReaderConfig
		want string // JSON, or the error name and cause as "!Name: Cause"
	}{
		{"a.json", objects.ReaderConfig{InputType: "JSON"}, `[{"big":12345678901234567890,"f":1.5,"n":1},"s",[1]]`},
		{"a.json", objects.ReaderConfig{InputType: "JSON", MaxItems: 2}, `[{"big":12345678901234567890,"f":1.5,"n":1},"s"]`},
		{"obj.json", objects.ReaderConfig{InputType: "JSON"}, `!States.ItemReaderFailed`},
		{"a.jsonl", objects.ReaderConfig{InputType: "JSONL"}, `[{"n":1},[2],"three"]`},
		{"a.jsonl", objects.ReaderConfig{InputType: "JSONL", MaxItems: 1}, `[{"n":1}]`},
		{"bad.jsonl", objects.ReaderConfig{InputType: "JSONL"}, `!States.ItemReaderFailed`},
		{"bad.jsonl", objects.ReaderConfig{InputType: "JSONL", MaxItems: 1}, `[{"n":1}]`},
		{"first.csv", objects.ReaderConfig{InputType: "CSV", CSVHeaderLocation: "FIRST_ROW"},
			`[{"Col1":"Value1","Col2":"Value2","Col3":"Value3"},{"Col1":"","Col2":"","Col3":""},{"Col1":"true","Col2":"1","Col3":"'HelloWorld'"},{"Col1":"   ","Col2":"","Col3":""},{"Col1":"a,b","Col2":"x\"y","Col3":""}]`},
		{"typed.csv", objects.ReaderConfig{InputType: "CSV", CSVHeaderLocation: "FIRST_ROW"}, `[{"0":"Value4","True":"Value5","{}":"Value6"}]`},
		{"dup.csv", objects.ReaderConfig{InputType: "CSV"}, `!States.ItemReaderFailed: CSV headers cannot contain duplicates.`},
		{"given.csv", objects.ReaderConfig{InputType: "CSV", CSVHeaderLocation: "GIVEN", CSVHeaders: []string{"H1", "H1", "H3"}}, `!States.ItemReaderFailed: CSV headers cannot contain duplicates.`},
		{"given.csv", objects.ReaderConfig{InputType: "CSV", CSVHeaderLocation: "GIVEN", CSVHeaders: []string{"a", "b"}, MaxItems: 2}, `[{"a":"1","b":"2"},{"a":"3","b":"4"}]`},
		// Fields beyond the headers are dropped (AWS's recording of
		// test_map_item_reader_base_csv_headers_first_line: ",,," under 3
		// headers), not refused.
		{"long.csv", objects.ReaderConfig{InputType: "CSV"}, `[{"A":"1","B":"2"}]`},
		{"long.csv", objects.ReaderConfig{InputType: "CSV", CSVHeaderLocation: "GIVEN", CSVHeaders: []string{"H1"}}, `[{"H1":"A"},{"H1":"1"}]`},
		{"pipe.csv", objects.ReaderConfig{InputType: "CSV", CSVDelimiter: "PIPE"}, `[{"a":"1","b":"2"}]`},
		{"tab.csv", objects.ReaderConfig{InputType: "CSV", CSVDelimiter: "TAB"}, `[{"x":"1","y":"2"}]`},
		{"empty.csv", objects.ReaderConfig{InputType: "CSV"}, `[]`},
		{"broken.csv", objects.ReaderConfig{InputType: "CSV"}, `!States.ItemReaderFailed`},
		{"max.csv", objects.ReaderConfig{InputType: "CSV", MaxItems: 0}, `[{"Col1":"Value1","Col2":"Value2"},{"Col1":"Value3","Col2":"Value4"},{"Col1":"Value5","Col2":"Value6"},{"Col1":"Value7","Col2":"Value8"}]`},
		{"max.csv", objects.ReaderConfig{InputType: "CSV", MaxItems: 2}, `[{"Col1":"Value1","Col2":"Value2"},{"Col1":"Value3","Col2":"Value4"}]`},
		{"max.csv", objects.ReaderConfig{InputType: "CSV", MaxItems: 100000001}, `[{"Col1":"Value1","Col2":"Value2"},{"Col1":"Value3","Col2":"Value4"},{"Col1":"Value5","Col2":"Value6"},{"Col1":"Value7","Col2":"Value8"}]`},
		{"max.csv", objects.ReaderConfig{InputType: "CSV", MaxItems: -1}, `!States.ItemReaderFailed: field MaxItems must be positive`},
		{"max.csv", objects.ReaderConfig{}, `!States.ItemReaderFailed`},
		{"missing.csv", objects.ReaderConfig{InputType: "CSV"}, `!S3.NoSuchKeyException`},
		{"inv/manifest.json", objects.ReaderConfig{InputType: "MANIFEST"}, `[{"Bucket":"items","Key":"inv/a.txt","Size":"3"},{"Bucket":"items","Key":"inv/b.txt","Size":"4"}]`},
		{"inv/manifest.json", objects.ReaderConfig{InputType: "MANIFEST", MaxItems: 1}, `[{"Bucket":"items","Key":"inv/a.txt","Size":"3"}]`},
	} {
		got, err := get(c.key, c.cfg)
		if err != nil {
			var f *engine.TaskFailure
			if !errors.As(err, &f) {
				t.Errorf("ReadItems(%s, %+v) = %v; not a TaskFailure", c.key, c.cfg, err)
				continue
			}
			got = "!" + f.Name
			if strings.Contains(c.want, ": ") {
				got += ": " + f.Cause
			}
		}
		if got != c.want {
			t.Errorf("ReadItems(%s, %+v) = %s; want %s", c.key, c.cfg, got, c.want)
		}
	}

	// listObjectsV2: every object under the prefix, across pages.
	for i := 0; i < 1003; i++ {
		put(t, st, "items", fmt.Sprintf("many/%04d", i), "x")
	}
	items, err := objects.ReadItems(ctx, st, objects.ReaderListObjectsV2, map[string]any{"Bucket": "items", "Prefix": "many/"}, objects.ReaderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1003 {
		t.Fatalf("listObjectsV2 items = %d; want 1003", len(items))
	}
	last := items[1002].(map[string]any)
	if last["Key"] != "many/1002" || last["Size"] != int64(1) || last["Etag"] != `"9dd4e461268c8034f5c8564e155c67a6"` ||
		last["StorageClass"] != "STANDARD" {
		t.Errorf("listObjectsV2 item = %v", last)
	}
	if _, ok := last["LastModified"].(int64); !ok {
		t.Errorf("LastModified = %#v; want Unix seconds", last["LastModified"])
	}
	items, err = objects.ReadItems(ctx, st, objects.ReaderListObjectsV2, map[string]any{"Bucket": "items", "Prefix": "many/"}, objects.ReaderConfig{MaxItems: 3})
	if err != nil || len(items) != 3 {
		t.Errorf("listObjectsV2 MaxItems 3 = %d items, %v", len(items), err)
	}
}
