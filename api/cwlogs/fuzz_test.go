package cwlogs_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api/cwlogs"
	"github.com/stepwise-dev/stepwise/engine"
)

// FuzzHandler sends any body to every operation of a store holding a few
// events: the answer is 200 or a client error, never a panic or a 500.
func FuzzHandler(f *testing.F) {
	for _, seed := range []string{
		`{"logGroupName":"g","filterPattern":"{ $.type = \"A\" }"}`,
		`{"logGroupName":"g","filterPattern":"\"a b\" c"}`,
		`{"logGroupName":"g","logStreamName":"s","nextToken":"b/1","limit":1}`,
		`{"logGroupIdentifier":"arn:aws:logs:us-east-1:111111111111:log-group:g:*","logStreamName":"s","startFromHead":true}`,
		`{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":1767323045000,"message":"m"}]}`,
		`{"logGroupName":"g","orderBy":"LastEventTime","descending":true,"limit":1,"nextToken":"1"}`,
	} {
		f.Add(seed)
	}
	s := cwlogs.New(cwlogs.Config{Now: func() time.Time { return now }, MaxEventsPerStream: 20})
	h := s.Handler()
	body := func(op, b string) int {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(b))
		req.Header.Set("X-Amz-Target", "Logs_20140328."+op)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	body("CreateLogGroup", `{"logGroupName":"g"}`)
	if err := s.DeliverLogs(context.Background(), "arn:aws:logs:us-east-1:111111111111:log-group:g", "s",
		[]engine.LogEvent{{Time: now, Message: `{"type":"A","n":1}`}, {Time: now, Message: "plain text"}}); err != nil {
		f.Fatal(err)
	}
	ops := []string{"DescribeLogGroups", "DescribeLogStreams", "GetLogEvents", "FilterLogEvents", "PutLogEvents", "CreateLogStream", "DeleteLogStream"}
	f.Fuzz(func(t *testing.T, b string) {
		for _, op := range ops {
			if code := body(op, b); code != http.StatusOK && code != http.StatusBadRequest {
				t.Errorf("%s(%q) = %d; want 200 or 400", op, b, code)
			}
		}
	})
}
