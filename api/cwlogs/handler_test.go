package cwlogs_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api/cwlogs"
)

// now is the tests' clock: 2026-01-02T03:04:05Z, 1767323045000 in epoch
// milliseconds.
var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const nowMS = 1767323045000

// newServer serves a store with the fixed clock over real HTTP.
func newServer(t *testing.T, cfg cwlogs.Config) (*cwlogs.Store, string) {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return now }
	}
	s := cwlogs.New(cfg)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts.URL
}

// post sends body to the operation op and returns the status and body.
func post(t *testing.T, url, op, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Logs_20140328."+op)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// call sends body to op, fails the test unless the answer is 200, and
// decodes it into out (when not nil).
func call(t *testing.T, url, op, body string, out any) {
	t.Helper()
	code, b := post(t, url, op, body)
	if code != http.StatusOK {
		t.Fatalf("%s(%s) = %d %s; want 200", op, body, code, b)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(b), out); err != nil {
			t.Fatalf("%s: %v in %s", op, err, b)
		}
	}
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// step is one request of a scripted session and its answer: want is the
// whole JSON answer when it is between braces, else a part of it.
type step struct {
	op, body string
	code     int
	want     string
}

func runSteps(t *testing.T, url string, steps []step) {
	t.Helper()
	for _, s := range steps {
		code, b := post(t, url, s.op, s.body)
		ok := code == s.code
		if strings.HasPrefix(s.want, "{") && strings.HasSuffix(s.want, "}") {
			ok = ok && sameJSON(b, s.want)
		} else {
			ok = ok && strings.Contains(b, s.want)
		}
		if !ok {
			t.Errorf("%s(%s) = %d %s; want %d %s", s.op, s.body, code, b, s.code, s.want)
		}
	}
}

func notFound(what string) string {
	return `{"__type":"ResourceNotFoundException","message":"The specified ` + what + ` does not exist."}`
}

// TestOperations runs every operation, its errors and AWS's answers.
func TestOperations(t *testing.T) {
	t.Parallel()
	_, url := newServer(t, cwlogs.Config{})
	const g = "/aws/vendedlogs/states/demo-Logs"
	arn := "arn:aws:logs:us-east-1:111111111111:log-group:" + g
	old, soon, late := nowMS-14*24*3600*1000-1000, nowMS-1000, nowMS+3*3600*1000
	runSteps(t, url, []step{
		{"CreateLogGroup", `{"logGroupName":"` + g + `"}`, 200, `{}`},
		{"CreateLogGroup", `{"logGroupName":"` + g + `"}`, 400, `{"__type":"ResourceAlreadyExistsException","message":"The specified log group already exists"}`},
		{"CreateLogGroup", `{"logGroupName":"a b"}`, 400, `{"__type":"InvalidParameterException","message":"1 validation error detected: Value 'a b' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"}`},
		{"CreateLogGroup", `{}`, 400, `{"__type":"InvalidParameterException","message":"1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null"}`},
		{"CreateLogGroup", `{"logGroupName":"` + strings.Repeat("x", 513) + `"}`, 400, "Member must have length less than or equal to 512"},
		{"CreateLogGroup", `{"logGroupName":""}`, 400, "Member must have length greater than or equal to 1"},
		{"CreateLogGroup", `{"logGroupName":"ia","logGroupClass":"INFREQUENT_ACCESS"}`, 200, `{}`},
		{"CreateLogGroup", `{"logGroupName":"x","logGroupClass":"COLD"}`, 400, "at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set"},
		{"DescribeLogGroups", `{"logGroupNamePrefix":"/aws/"}`, 200, `{"logGroups":[{"logGroupName":"` + g + `","creationTime":1767323045000,"metricFilterCount":0,
			"arn":"` + arn + `:*","storedBytes":0,"logGroupClass":"STANDARD","logGroupArn":"` + arn + `"}]}`},
		{"DescribeLogGroups", `{"logGroupNamePattern":"LOGS"}`, 200, `"logGroupName":"` + g + `"`},
		{"DescribeLogGroups", `{"logGroupNamePattern":"nothing"}`, 200, `{"logGroups":[]}`},
		{"DescribeLogGroups", `{"logGroupNamePrefix":"/aws","logGroupNamePattern":"x"}`, 400, "mutually exclusive"},
		{"DescribeLogGroups", `{"limit":51}`, 400, "Value '51' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50"},
		{"DescribeLogGroups", `{"limit":0}`, 400, "Member must have value greater than or equal to 1"},
		{"DescribeLogGroups", `{"nextToken":"x"}`, 400, `{"__type":"InvalidParameterException","message":"The specified nextToken is not valid."}`},
		{"DescribeLogGroups", `{"limit":"ten"}`, 400, `"__type":"SerializationException"`},
		{"DescribeLogGroups", `{"limit":`, 400, `"__type":"SerializationException"`},

		{"CreateLogStream", `{"logGroupName":"` + g + `","logStreamName":"s1"}`, 200, `{}`},
		{"CreateLogStream", `{"logGroupName":"` + g + `","logStreamName":"s1"}`, 400, `{"__type":"ResourceAlreadyExistsException","message":"The specified log stream already exists"}`},
		{"CreateLogStream", `{"logGroupName":"nope","logStreamName":"s1"}`, 400, notFound("log group")},
		{"CreateLogStream", `{"logGroupName":"` + g + `","logStreamName":"a:b"}`, 400, "Value 'a:b' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*"},
		{"CreateLogStream", `{"logStreamName":"a*"}`, 400, "2 validation errors detected: Value null at 'logGroupName'"},
		{"CreateLogStream", `{"logGroupName":"` + g + `","logStreamName":"empty"}`, 200, `{}`},

		{"PutLogEvents", `{"logGroupName":"` + g + `","logStreamName":"s9","logEvents":[{"timestamp":1,"message":"m"}]}`, 400, notFound("log stream")},
		{"PutLogEvents", `{"logGroupName":"nope","logStreamName":"s1","logEvents":[{"timestamp":1,"message":"m"}]}`, 400, notFound("log group")},
		{"PutLogEvents", `{"logGroupName":"` + g + `","logStreamName":"s1","logEvents":[]}`, 400, "at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"PutLogEvents", `{"logGroupName":"` + g + `","logStreamName":"s1","logEvents":[{"timestamp":1},{"message":"","timestamp":-1}]}`, 400,
			"3 validation errors detected: Value null at 'logEvents.1.member.message' failed to satisfy constraint: Member must not be null; Value '-1' at 'logEvents.2.member.timestamp'"},
		{"PutLogEvents", fmt.Sprintf(`{"logGroupName":"%s","logStreamName":"s1","logEvents":[{"timestamp":%d,"message":"b"},{"timestamp":%d,"message":"a"}]}`, g, soon, soon-1), 400,
			`{"__type":"InvalidParameterException","message":"Log events in a single PutLogEvents request must be in chronological order."}`},
		{"PutLogEvents", fmt.Sprintf(`{"logGroupName":"%s","logStreamName":"s1","logEvents":[{"timestamp":%d,"message":"a"},{"timestamp":%d,"message":"b"}]}`, g, soon-25*3600*1000, soon), 400,
			"cannot span more than 24 hours"},
		{"PutLogEvents", fmt.Sprintf(`{"logGroupName":"%s","logStreamName":"s1","logEvents":[{"timestamp":%d,"message":"first"},{"timestamp":%d,"message":"second"}]}`, g, soon-1, soon), 200,
			`{"nextSequenceToken":"1"}`},
		// Too old, and too new, events are rejected; the others kept.
		{"PutLogEvents", fmt.Sprintf(`{"logGroupName":"%s","logStreamName":"s1","logEvents":[{"timestamp":%d,"message":"third"},{"timestamp":%d,"message":"late"}]}`, g, soon, late), 200,
			`{"nextSequenceToken":"2","rejectedLogEventsInfo":{"tooNewLogEventStartIndex":1}}`},
		{"CreateLogStream", `{"logGroupName":"ia","logStreamName":"rejected"}`, 200, `{}`},
		{"PutLogEvents", fmt.Sprintf(`{"logGroupName":"ia","logStreamName":"rejected","logEvents":[{"timestamp":%d,"message":"old"},{"timestamp":%d,"message":"kept"}]}`, old, old+2*3600*1000), 200,
			`{"nextSequenceToken":"1","rejectedLogEventsInfo":{"tooOldLogEventEndIndex":1}}`},
		{"GetLogEvents", `{"logGroupName":"ia","logStreamName":"rejected"}`, 200, `{"events":[{"timestamp":` + fmt.Sprint(old+2*3600*1000) + `,"message":"kept","ingestionTime":1767323045000}],"nextForwardToken":"f/1","nextBackwardToken":"b/0"}`},

		{"GetLogEvents", `{"logGroupName":"` + g + `","logStreamName":"s1","startFromHead":true}`, 200, fmt.Sprintf(`{"events":[
			{"timestamp":%d,"message":"first","ingestionTime":%d},{"timestamp":%d,"message":"second","ingestionTime":%d},{"timestamp":%d,"message":"third","ingestionTime":%d}],
			"nextForwardToken":"f/3","nextBackwardToken":"b/0"}`, soon-1, nowMS, soon, nowMS, soon, nowMS)},
		{"GetLogEvents", `{"logGroupName":"` + g + `","logStreamName":"s1","startFromHead":true,"nextToken":"f/3"}`, 200,
			`{"events":[],"nextForwardToken":"f/3","nextBackwardToken":"b/3"}`},
		{"GetLogEvents", `{"logGroupIdentifier":"` + arn + `","logStreamName":"s1","limit":1}`, 200, `"message":"third"`},
		{"GetLogEvents", `{"logGroupIdentifier":"` + arn + `:*","logStreamName":"s1","limit":1}`, 200, `"message":"third"`},
		{"GetLogEvents", `{"logGroupIdentifier":"arn:aws:logs:eu-west-1:111111111111:log-group:` + g + `","logStreamName":"s1"}`, 400, notFound("log group")},
		{"GetLogEvents", `{"logGroupIdentifier":"arn:aws:states:us-east-1:1:x","logStreamName":"s1"}`, 400, "is not arn:<partition>:logs:<region>:<account>:log-group:<name>"},
		{"GetLogEvents", `{"logGroupIdentifier":"` + g + `","logStreamName":"s1","limit":1,"startFromHead":true}`, 200, `"message":"first"`},
		{"GetLogEvents", `{"logGroupName":"` + g + `","logGroupIdentifier":"` + g + `","logStreamName":"s1"}`, 400, "mutually exclusive"},
		{"GetLogEvents", `{"logStreamName":"s1"}`, 400, "either logGroupName or logGroupIdentifier is required"},
		{"GetLogEvents", `{"logGroupName":"` + g + `"}`, 400, "Value null at 'logStreamName'"},
		{"GetLogEvents", `{"logGroupName":"` + g + `","logStreamName":"s2"}`, 400, notFound("log stream")},
		{"GetLogEvents", `{"logGroupName":"` + g + `","logStreamName":"s1","limit":10001}`, 400, "Member must have value less than or equal to 10000"},
		{"GetLogEvents", `{"logGroupName":"` + g + `","logStreamName":"s1","nextToken":"x/1"}`, 400, "The specified nextToken is not valid."},
		{"GetLogEvents", `{"logGroupName":"` + g + `","logStreamName":"s1","startTime":-1}`, 400, "Value '-1' at 'startTime'"},

		{"DescribeLogStreams", `{"logGroupName":"` + g + `"}`, 200, fmt.Sprintf(`{"logStreams":[
			{"logStreamName":"empty","creationTime":%d,"arn":"%s:log-stream:empty","storedBytes":0},
			{"logStreamName":"s1","creationTime":%d,"firstEventTimestamp":%d,"lastEventTimestamp":%d,"lastIngestionTime":%d,"arn":"%s:log-stream:s1","storedBytes":0}]}`,
			nowMS, arn, nowMS, soon-1, soon, nowMS, arn)},
		{"DescribeLogStreams", `{"logGroupIdentifier":"` + arn + `","logStreamNamePrefix":"s"}`, 200, `{"logStreams":[{"logStreamName":"s1"`},
		{"DescribeLogStreams", `{"logGroupName":"` + g + `","orderBy":"LastEventTime","logStreamNamePrefix":"s"}`, 400, "Cannot order by LastEventTime with a logStreamNamePrefix."},
		{"DescribeLogStreams", `{"logGroupName":"` + g + `","orderBy":"Size"}`, 400, "Value 'Size' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]"},
		{"DescribeLogStreams", `{"logGroupName":"nope"}`, 400, notFound("log group")},
		{"DescribeLogGroups", `{"logGroupNamePrefix":"/aws/"}`, 200, fmt.Sprintf(`"storedBytes":%d`, len("firstsecondthird")+3*26)},

		{"FilterLogEvents", `{"logGroupName":"` + g + `","filterPattern":"ir"}`, 200, fmt.Sprintf(`{"events":[
			{"logStreamName":"s1","timestamp":%d,"message":"first","ingestionTime":%d,"eventId":"%020d%020d"},
			{"logStreamName":"s1","timestamp":%d,"message":"third","ingestionTime":%d,"eventId":"%020d%020d"}],
			"searchedLogStreams":[{"logStreamName":"empty","searchedCompletely":true},{"logStreamName":"s1","searchedCompletely":true}]}`,
			soon-1, nowMS, soon-1, 1, soon, nowMS, soon, 3)},
		{"FilterLogEvents", `{"logGroupName":"` + g + `","logStreamNames":["s1"],"logStreamNamePrefix":"s"}`, 400, "mutually exclusive"},
		{"FilterLogEvents", `{"logGroupName":"` + g + `","filterPattern":"[a, b]"}`, 400, "space-delimited patterns"},
		{"FilterLogEvents", `{"logGroupName":"` + g + `","nextToken":"abc"}`, 400, "The specified nextToken is not valid."},
		{"FilterLogEvents", `{"logGroupName":"nope"}`, 400, notFound("log group")},

		{"DeleteLogStream", `{"logGroupName":"` + g + `","logStreamName":"s1"}`, 200, `{}`},
		{"DeleteLogStream", `{"logGroupName":"` + g + `","logStreamName":"s1"}`, 400, notFound("log stream")},
		{"DescribeLogGroups", `{"logGroupNamePrefix":"/aws/"}`, 200, `"storedBytes":0`},
		{"DeleteLogGroup", `{"logGroupName":"` + g + `"}`, 200, `{}`},
		{"DeleteLogGroup", `{"logGroupName":"` + g + `"}`, 400, notFound("log group")},
		{"DeleteLogGroup", `{}`, 400, "Value null at 'logGroupName'"},
		{"DescribeLogGroups", `{}`, 200, `"logGroupClass":"INFREQUENT_ACCESS"`},
		{"DescribeLogGroups", ``, 200, `{"logGroups":[{"logGroupName":"ia"`},

		{"StartQuery", `{}`, 400, `{"__type":"UnknownOperationException","message":"unknown operation \"Logs_20140328.StartQuery\""}`},
	})
}

// TestProtocol checks what is not an operation's: the target, the body's
// size, the headers.
func TestProtocol(t *testing.T) {
	t.Parallel()
	_, url := newServer(t, cwlogs.Config{})
	req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), `"__type":"UnknownOperationException"`) ||
		resp.Header.Get("X-Amzn-Errortype") != "UnknownOperationException" || resp.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		t.Errorf("AWSStepFunctions target = %d %s %v; want 400 UnknownOperationException", resp.StatusCode, b, resp.Header)
	}

	big := `{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":1,"message":"` + strings.Repeat("x", 1<<20) + `"}]}`
	if code, b := post(t, url, "PutLogEvents", big); code != http.StatusRequestEntityTooLarge || !strings.Contains(b, "the request body is larger than 1048576 bytes") {
		t.Errorf("PutLogEvents(1 MiB message) = %d %s; want 413 and the limit", code, b)
	}
	call(t, url, "CreateLogGroup", `{"logGroupName":"g"}`, nil)
	call(t, url, "CreateLogStream", `{"logGroupName":"g","logStreamName":"s"}`, nil)
	// An event as large as the body allows is kept whole.
	msg := strings.Repeat("y", 1_000_000)
	call(t, url, "PutLogEvents", fmt.Sprintf(`{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":%d,"message":"%s"}]}`, nowMS, msg), nil)
	var got struct{ Events []struct{ Message string } }
	call(t, url, "GetLogEvents", `{"logGroupName":"g","logStreamName":"s"}`, &got)
	if len(got.Events) != 1 || got.Events[0].Message != msg {
		t.Errorf("GetLogEvents after a 1,000,000-byte event: %d events; want it whole", len(got.Events))
	}
}
