package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/conformance"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
	"github.com/stepwise-dev/stepwise/services/objects"
	"github.com/stepwise-dev/stepwise/services/objects/s3server"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/natstest"
)

// TestFamilyConformance runs every execution scenario of the corpus'
// distributed-Map, nested-execution and HTTP families (issue 13) on the
// whole stack: Postgres, the engine, NATS workers standing in for the
// Lambda functions the scenarios call, the object storage services on
// the embedded S3 endpoint, and the AWS JSON endpoint, driven as
// shared/conformance/run.py drives a server (CreateStateMachine,
// StartExecution, DescribeExecution, GetExecutionHistory). The objects a
// scenario read, the state machines it started and its input were made
// by the LocalStack test that recorded it; familyFixtures holds them, read
// from those tests (where the stored version lacks a test, inferred from
// the recording, and said so in the failure's reason). Status, output,
// error, cause and history event types
// are compared with what AWS recorded. At least 95 % of the scenarios of
// the three families together must pass; each failure is logged with
// its reason.
func TestFamilyConformance(t *testing.T) {
	scs := conformance.LoadOrSkip(t)
	var cases []familyCase
	for _, sc := range scs {
		if f := familyOf(sc); f != "" && sc.Kind == "execution" {
			cases = append(cases, familyCase{family: f, sc: sc})
		}
	}
	if len(cases) == 0 {
		t.Fatal("the corpus has no scenario of the distributed-Map, nested-execution or HTTP families")
	}
	s := newFamilyStack(t, familyLambdas(cases))

	results := make([]string, len(cases)) // "" passed, else why not
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range cases {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			results[i] = strings.Join(s.run(i, cases[i].sc), "; ")
		})
	}
	wg.Wait()

	pass, total := map[string]int{}, map[string]int{}
	passed := 0
	var failures []string
	for i, c := range cases {
		total[c.family]++
		if results[i] == "" {
			pass[c.family]++
			passed++
			continue
		}
		failures = append(failures, fmt.Sprintf("FAIL %s: %s", c.sc.ID, results[i]))
	}
	sort.Strings(failures)
	for _, f := range failures {
		t.Log(f)
	}
	t.Logf("families: dmap %d/%d, nested %d/%d, http %d/%d", pass["dmap"], total["dmap"], pass["nested"], total["nested"], pass["http"], total["http"])
	if passed*100 < len(cases)*95 {
		t.Errorf("families: %d of %d scenarios pass; want at least 95%%", passed, len(cases))
	}
}

// familyCase is one scenario and its family.
type familyCase struct {
	family string // dmap, nested or http
	sc     *conformance.Scenario
}

// familyOf is the family of a scenario: "dmap" for a distributed Map or an
// ItemReader/ResultWriter, "nested" for a states:startExecution task,
// "http" for an HTTP task, "" for the others.
func familyOf(sc *conformance.Scenario) string {
	has := func(f string) bool {
		for _, x := range sc.Features {
			if x == f {
				return true
			}
		}
		return false
	}
	switch {
	case has("map:DISTRIBUTED") || strings.Contains(sc.Definition, `"ItemReader"`) || strings.Contains(sc.Definition, `"ResultWriter"`):
		return "dmap"
	case has("task:states") || strings.Contains(sc.Definition, "states:startExecution"):
		return "nested"
	case strings.Contains(sc.Definition, "http:invoke"):
		return "http"
	}
	return ""
}

// familyFixture is what the LocalStack test of a scenario made before it
// started the execution.
type familyFixture struct {
	// objects are put in a bucket made for the scenario (its name
	// replaces {{bucket}} in input), key → content.
	objects map[string]string
	// bucket, when set, is the bucket objects go to instead (the
	// definition names it).
	bucket string
	// input is the execution's input; "" keeps the recorded one. In
	// either, {{bucket}} is the scenario's bucket and {{target}} the ARN
	// of the target state machine.
	input string
	// target is the definition of the state machine the scenario starts
	// (its recorded StateMachineArn names it), "" for none.
	target string
	// source says where the facts come from when they are not read from
	// the LocalStack test (it is not in the stored version).
	source string
}

// The LocalStack tests' data (Apache-2.0, tests/aws/services/stepfunctions
// of localstack/localstack): file contents, inputs, target definitions.
const (
	csvMaxItems     = "Col1,Col2\nValue1,Value2\nValue3,Value4\nValue5,Value6\nValue7,Value8\n"
	csvRowsNoHeader = "Value4,Value5,Value6\n,,,\ntrue,1,'HelloWorld'\nNull,None,\n   \n"
	jsonStatements3 = `[{"verdict": "true", "statement_date": "6/11/2008", "statement_source": "speech"}, ` +
		`{"verdict": "false", "statement_date": "6/7/2022", "statement_source": "television"}, ` +
		`{"verdict": "mostly-true", "statement_date": "5/18/2016", "statement_source": "news"}]`
	jsonStatements4 = `[{"verdict": "true", "statement_date": "6/11/2008", "statement_source": "speech"}, ` +
		`{"verdict": "false", "statement_date": "6/7/2022", "statement_source": "television"}, ` +
		`{"verdict": "mostly-true", "statement_date": "5/18/2016", "statement_source": "news"}, ` +
		`{"verdict": "false", "statement_date": "5/18/2024", "statement_source": "x"}]`
	bucketKeyInput = `{"Bucket": "{{bucket}}", "Key": "file.csv"}`
	// templates/base: BASE_PASS_RESULT, BASE_RAISE_FAILURE;
	// templates/timeouts: LAMBDA_WAIT_WITH_TIMEOUT_SECONDS with the
	// test's function (wait_60_seconds.py).
	targetPassResult   = `{"Comment": "BASE_PASS_RESULT", "StartAt": "State_1", "States": {"State_1": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": true}}}`
	targetRaiseFailure = `{"Comment": "BASE_RAISE_FAILURE", "StartAt": "FailState", "States": {"FailState": {"Type": "Fail", "Error": "SomeFailure", ` +
		`"Cause": "This state machines raises a 'SomeFailure' failure."}}}`
	targetLambdaTimeout = `{"Comment": "LAMBDA_WAIT_WITH_TIMEOUT_SECONDS", "StartAt": "Start", "States": {"Start": {"Type": "Task", "TimeoutSeconds": 1, ` +
		`"Resource": "arn:aws:lambda:us-east-1:111111111111:function:lambda_1_func_sw000001", "Parameters": {"Payload.$": "$.Payload"}, "End": true}}}`
	credentialsInput = `{"StateMachineArn": "{{target}}", "Input": "\"InputFromTrustedAccount\"", "Name": "TestTaskTargetWithCredentials", ` +
		`"CredentialsRoleArn": "arn:aws:iam::111111111111:role/stepwise-trusted"}`
)

// familyFixtures are keyed by the scenario's test name (its id's last
// "::" part, without "#get_execution_history").
var familyFixtures = map[string]familyFixture{
	"test_reference_in_map_state_max_items_path[MAP_STATE_REFERENCE_IN_MAX_ITEMS_PATH]": {
		objects: map[string]string{"file.json": jsonStatements4}, input: `{"Bucket": "{{bucket}}", "Key": "file.json"}`},
	"test_reference_in_map_state_max_items_path[MAP_STATE_REFERENCE_IN_MAX_PER_BATCH_PATH]": {
		objects: map[string]string{"file.json": jsonStatements4}, input: `{"Bucket": "{{bucket}}", "Key": "file.json"}`},
	"test_map_state_result_writer": {bucket: "result-bucket", objects: map[string]string{}},
	"test_map_item_reader_base_list_objects_v2": {
		objects: map[string]string{"file_0.txt": "0HelloWorld!", "file_1.txt": "1HelloWorld!", "file_2.txt": "2HelloWorld!"},
		input:   `{"Bucket": "{{bucket}}"}`},
	"test_map_item_reader_base_csv_headers_first_line": {
		objects: map[string]string{"file.csv": "Col1,Col2,Col3\nValue1,Value2,Value3\n" + csvRowsNoHeader}, input: bucketKeyInput},
	"test_map_item_reader_csv_max_items[0]":         {objects: map[string]string{"file.csv": csvMaxItems}, input: bucketKeyInput},
	"test_map_item_reader_csv_max_items[2]":         {objects: map[string]string{"file.csv": csvMaxItems}, input: bucketKeyInput},
	"test_map_item_reader_csv_max_items[100000000]": {objects: map[string]string{"file.csv": csvMaxItems}, input: bucketKeyInput},
	"test_map_item_reader_csv_max_items_paths[-1]": {objects: map[string]string{"file.csv": csvMaxItems},
		input: `{"Bucket": "{{bucket}}", "Key": "file.csv", "MaxItems": -1}`},
	"test_map_item_reader_csv_max_items_paths[0]": {objects: map[string]string{"file.csv": csvMaxItems},
		input: `{"Bucket": "{{bucket}}", "Key": "file.csv", "MaxItems": 0}`},
	"test_map_item_reader_csv_max_items_paths[2]": {objects: map[string]string{"file.csv": csvMaxItems},
		input: `{"Bucket": "{{bucket}}", "Key": "file.csv", "MaxItems": 2}`},
	"test_map_item_reader_csv_max_items_paths[100000000]": {objects: map[string]string{"file.csv": csvMaxItems},
		input: `{"Bucket": "{{bucket}}", "Key": "file.csv", "MaxItems": 100000000}`},
	"test_map_item_reader_csv_max_items_paths[100000001]": {objects: map[string]string{"file.csv": csvMaxItems},
		input: `{"Bucket": "{{bucket}}", "Key": "file.csv", "MaxItems": 100000001}`},
	"test_map_item_batching_base_json_max_per_batch_jsonata": {objects: map[string]string{"file.json": jsonStatements3},
		input:  `{"Bucket": "{{bucket}}", "Key": "file.json", "MaxItemsPerBatch": 2, "MaxInputBytesPerBatch": 15000}`,
		source: "inferred: the stored LocalStack version has not this test; the file is its base JSON file, the batch sizes any that hold the 2 items read"},
	"test_map_item_reader_csv_headers_decl_duplicate_headers": {
		objects: map[string]string{"file.csv": "Value1,Value2,Value3\n" + csvRowsNoHeader}, input: bucketKeyInput},
	"test_map_item_reader_csv_headers_first_row_typed_headers": {
		objects: map[string]string{"file.csv": "0,True,{}\n" + csvRowsNoHeader}, input: bucketKeyInput},
	"test_map_item_reader_base_json": {objects: map[string]string{"file.json": jsonStatements3}, input: `{"Bucket": "{{bucket}}", "Key": "file.json"}`},
	"test_map_item_reader_base_json_with_items_path[VALID_ITEMS_PATH_FROM_PREVIOUS]": {
		objects: map[string]string{"file.json": `[["from-bucket-item-0"]]`}, input: `{"Bucket": "{{bucket}}", "Key": "file.json"}`,
		source: "inferred: the stored LocalStack version has not this test; the file holds the one item the recording's output shows"},
	"test_map_item_reader_base_json_with_items_path[VALID_ITEMS_PATH_FROM_ITEM_READER]": {
		objects: map[string]string{"file.json": `[["from-bucket-item-0"]]`}, input: `{"Bucket": "{{bucket}}", "Key": "file.json"}`,
		source: "inferred: the stored LocalStack version has not this test; the file holds the one item the recording's output shows"},

	"test_start_execution_sync2":                                   {target: targetPassResult},
	"test_start_execution_sync_delegate_failure":                   {target: targetRaiseFailure},
	"test_start_execution_sync_delegate_timeout":                   {target: targetLambdaTimeout},
	"test_sfn_start_execution_sync[SFN_SYNC]":                      {target: targetPassResult},
	"test_start_execution_input_json":                              {target: targetPassResult},
	credentialsCase("SFN_START_EXECUTION_SYNC_ROLE_ARN_JSONATA"):   {target: targetPassResult, input: credentialsInput},
	credentialsCase("SFN_START_EXECUTION_SYNC_ROLE_ARN_PATH"):      {target: targetPassResult, input: credentialsInput},
	credentialsCase("SFN_START_EXECUTION_SYNC_ROLE_ARN_VARIABLE"):  {target: targetPassResult, input: credentialsInput},
	credentialsCase("SFN_START_EXECUTION_SYNC_ROLE_ARN_INTRINSIC"): {target: targetPassResult, input: credentialsInput},
}

// credentialsCase names a case of test_cross_account_states_start_sync_execution.
// Its target state machine was made in a second account with a role the
// first one may assume; Stepwise has one account and assumes no role, so
// the target is made in the test's account (the recording's account of
// the target is a placeholder).
func credentialsCase(template string) string {
	return "test_cross_account_states_start_sync_execution[" + template + "]"
}

// testName is the key of a scenario in familyFixtures.
func testName(id string) string {
	name := id[strings.LastIndex(id, "::")+2:]
	if i := strings.Index(name, "#"); i >= 0 {
		name = name[:i]
	}
	return name
}

// familyLambdas returns the behaviour of each Lambda function the cases
// and their targets call, by function name.
func familyLambdas(cases []familyCase) map[string]string {
	out := map[string]string{"lambda_1_func_sw000001": "sleeps 60 s"} // targetLambdaTimeout's
	for _, c := range cases {
		l, _ := c.sc.Needs["lambda"].([]any)
		for _, e := range l {
			m, _ := e.(map[string]any)
			name, _ := m["function_name"].(string)
			b, _ := m["behaviour"].(string)
			out[name] = b
		}
	}
	return out
}

// familyStack is the whole server of the test.
type familyStack struct {
	url string // the AWS endpoint
	s3  *objects.S3
}

func newFamilyStack(t *testing.T, lambdas map[string]string) *familyStack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, _ := pgtest.Store(t)
	srv := natstest.Start(t)
	d, err := natsdispatch.New(ctx, srv.Connect(t), natsdispatch.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	s3h, err := s3server.New(s3server.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	s3srv := httptest.NewServer(s3h)
	store := objects.NewS3(objects.S3Config{Endpoint: s3srv.URL, UsePathStyle: true, AccessKeyID: "stepwise", SecretAccessKey: "stepwise"})
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: d, PollInterval: 20 * time.Millisecond, DispatchTimeout: time.Second,
		Region: "us-east-1", Account: "111111111111",
		Services: []engine.Service{objects.NewService(store), objects.NewReaderService(store), objects.NewWriterService(store)}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	go func() { _ = eng.Run(ctx); done <- struct{}{} }()
	go func() { _ = d.Run(ctx, eng); done <- struct{}{} }()
	a, err := api.New(api.Config{Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	h, err := a.HTTPHandler(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)

	w, err := workers.New(srv.Connect(t), &workers.Config{MaxConcurrency: 64, AckWait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for name, behaviour := range lambdas {
		w.Register(name, func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			return conformance.EmulateLambda(ctx, name, behaviour, in)
		})
	}
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		hs.Close()
		cancel()
		<-done
		<-done
		s3srv.Close()
	})
	return &familyStack{url: hs.URL, s3: store}
}

// call makes one AWS Step Functions JSON 1.0 request.
func (s *familyStack) call(op string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, s.url+"/", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s %s", op, resp.Status, body)
	}
	return json.Unmarshal(body, out)
}

// run runs scenario sc (the i-th) and returns why it does not pass.
func (s *familyStack) run(i int, sc *conformance.Scenario) []string {
	ctx := context.Background()
	names := conformance.Names{StateMachineName: fmt.Sprintf("fam-%d", i), ExecutionName: fmt.Sprintf("fam-exec-%d", i),
		RoleArn: "arn:aws:iam::111111111111:role/stepwise-conformance", Account: "111111111111", Region: "us-east-1", Partition: "aws"}
	fx, ok := familyFixtures[testName(sc.ID)]
	input := "{}"
	if sc.Input != nil {
		input = *sc.Input
	}
	if !ok && (sc.Requires != "none" && sc.Requires != "lambda") {
		return []string{"no fixture: the objects and state machines its test made are unknown"}
	}
	if fx.input != "" {
		input = fx.input
	} else if sc.Input == nil && (fx.objects != nil || fx.target != "") {
		return []string{"no input: the recording has none and the fixture gives none"}
	}
	bucket := fx.bucket
	if fx.objects != nil && bucket == "" {
		bucket = fmt.Sprintf("fam-bucket-%d", i)
	}
	if bucket != "" {
		if err := s.s3.CreateBucket(ctx, bucket); err != nil && objects.ErrorCode(err) != "BucketAlreadyOwnedByYou" {
			return []string{"create bucket: " + err.Error()}
		}
		for key, body := range fx.objects {
			if _, err := s.s3.Put(ctx, objects.PutInput{Bucket: bucket, Key: key, Body: strings.NewReader(body), Size: int64(len(body))}); err != nil {
				return []string{"put object: " + err.Error()}
			}
		}
	}
	input = strings.ReplaceAll(input, "{{bucket}}", bucket)
	if fx.target != "" {
		var made struct{ StateMachineArn string }
		if err := s.call("CreateStateMachine", map[string]any{"name": fmt.Sprintf("fam-target-%d", i), "definition": fx.target,
			"roleArn": names.RoleArn}, &made); err != nil {
			return []string{"create target: " + err.Error()}
		}
		input = strings.ReplaceAll(input, "{{target}}", made.StateMachineArn)
		v, err := statelang.ParseJSON([]byte(input))
		m, _ := v.(map[string]any)
		if err != nil || m == nil {
			return []string{"input: not a JSON object"}
		}
		m["StateMachineArn"] = made.StateMachineArn // the recorded input names the target the test made
		input = statelang.MarshalString(m)
	}

	var made struct{ StateMachineArn string }
	if err := s.call("CreateStateMachine", map[string]any{"name": names.StateMachineName, "definition": sc.Definition,
		"roleArn": names.RoleArn, "type": sc.StateMachineType}, &made); err != nil {
		return []string{"create: " + err.Error()}
	}
	var started struct{ ExecutionArn string }
	if err := s.call("StartExecution", map[string]any{"stateMachineArn": made.StateMachineArn, "name": names.ExecutionName, "input": input}, &started); err != nil {
		return []string{"start: " + err.Error()}
	}
	var x struct{ Status, Output, Error, Cause string }
	for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := s.call("DescribeExecution", map[string]any{"executionArn": started.ExecutionArn}, &x); err != nil {
			return []string{err.Error()}
		}
		if x.Status != engine.StatusRunning {
			break
		}
		if time.Now().After(deadline) {
			return []string{"still RUNNING after 45s"}
		}
	}
	out := conformance.Outcome{Status: x.Status, Output: x.Output, Error: x.Error, Cause: x.Cause}
	if want, ok := sc.Expected["output"]; ok && x.Status == engine.StatusSucceeded {
		if v, err := statelang.ParseJSON([]byte(x.Output)); err == nil { // keeps 1.0 a float
			conformance.SnapshotKeys(want, v)
			out.Output = statelang.MarshalString(v)
		}
	}
	token := ""
	for {
		var page struct {
			Events    []struct{ Type string }
			NextToken string
		}
		req := map[string]any{"executionArn": started.ExecutionArn, "maxResults": 1000}
		if token != "" {
			req["nextToken"] = token
		}
		if err := s.call("GetExecutionHistory", req, &page); err != nil {
			return []string{err.Error()}
		}
		for _, e := range page.Events {
			out.Events = append(out.Events, e.Type)
		}
		if token = page.NextToken; token == "" {
			break
		}
	}
	problems := conformance.Compare(sc, out, names)
	if d := conformance.CompareEvents(sc, out.Events); d != "" {
		problems = append(problems, "events: "+d)
	}
	if len(problems) > 0 && fx.source != "" {
		problems = append(problems, "(fixture "+fx.source+")")
	}
	return problems
}
