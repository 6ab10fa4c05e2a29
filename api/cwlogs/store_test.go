package cwlogs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api/cwlogs"
	"github.com/stepwise-dev/stepwise/engine"
)

const groupARN = "arn:aws:logs:us-east-1:111111111111:log-group:/aws/vendedlogs/states/x:*"

type (
	getResp struct {
		Events []struct {
			Timestamp     int64
			Message       string
			IngestionTime int64
		}
		NextForwardToken, NextBackwardToken string
	}
	filterResp struct {
		Events []struct {
			LogStreamName, Message, EventID string
			Timestamp                       int64
		}
		NextToken *string
	}
	streamsResp struct {
		LogStreams []struct {
			LogStreamName                           string
			FirstEventTimestamp, LastEventTimestamp int64
		}
		NextToken *string
	}
	groupsResp struct {
		LogGroups []struct {
			LogGroupName string
			StoredBytes  int64
		}
		NextToken *string
	}
)

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func messages(r getResp) []string {
	var out []string
	for _, e := range r.Events {
		out = append(out, e.Message)
	}
	return out
}

func numbered(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("m%02d", i))
	}
	return out
}

// deliver sends n events m<first>..., a millisecond apart from start.
func deliver(t *testing.T, s *cwlogs.Store, arn, stream string, first, n int, start time.Time) {
	t.Helper()
	var evs []engine.LogEvent
	for i := first; i < first+n; i++ {
		evs = append(evs, engine.LogEvent{Time: start.Add(time.Duration(i) * time.Millisecond), Message: fmt.Sprintf("m%02d", i)})
	}
	if err := s.DeliverLogs(context.Background(), arn, stream, evs); err != nil {
		t.Fatalf("DeliverLogs(%s, %s) = %v", arn, stream, err)
	}
}

// TestDeliverLogs checks the engine's side: the group must exist, the
// stream is created, and nothing is stored for a missing group.
func TestDeliverLogs(t *testing.T) {
	t.Parallel()
	s, url := newServer(t, cwlogs.Config{})
	ctx := context.Background()
	ev := []engine.LogEvent{{Time: now, Message: `{"type":"ExecutionStarted"}`}}
	for _, arn := range []string{groupARN, "arn:aws:logs:us-east-1:222222222222:log-group:/aws/vendedlogs/states/x:*"} {
		if err := s.DeliverLogs(ctx, arn, "s", ev); !errors.Is(err, cwlogs.ErrResourceNotFound) {
			t.Errorf("DeliverLogs(%s) = %v; want ErrResourceNotFound", arn, err)
		}
	}
	for _, arn := range []string{"arn:aws:logs:us-east-1:111111111111:stream:x", "not an arn", "arn:aws:logs:us-east-1:111111111111:log-group:a b:*"} {
		if err := s.DeliverLogs(ctx, arn, "s", ev); err == nil || errors.Is(err, cwlogs.ErrResourceNotFound) {
			t.Errorf("DeliverLogs(%s) = %v; want an invalid ARN", arn, err)
		}
	}
	call(t, url, "CreateLogGroup", `{"logGroupName":"/aws/vendedlogs/states/x"}`, nil)
	var streams streamsResp
	call(t, url, "DescribeLogStreams", `{"logGroupName":"/aws/vendedlogs/states/x"}`, &streams)
	if len(streams.LogStreams) != 0 {
		t.Errorf("streams after failed deliveries: %+v; want none", streams.LogStreams)
	}
	// With and without ":*".
	if err := s.DeliverLogs(ctx, groupARN, "s", ev); err != nil {
		t.Fatal(err)
	}
	if err := s.DeliverLogs(ctx, strings.TrimSuffix(groupARN, ":*"), "s", ev); err != nil {
		t.Fatal(err)
	}
	var got getResp
	call(t, url, "GetLogEvents", `{"logGroupName":"/aws/vendedlogs/states/x","logStreamName":"s"}`, &got)
	if len(got.Events) != 2 || got.Events[0].Timestamp != nowMS || got.Events[0].IngestionTime != nowMS || got.Events[1].Message != ev[0].Message {
		t.Errorf("GetLogEvents = %+v; want the two events", got)
	}
	// Timestamps at the epoch are timestamps too.
	deliver(t, s, groupARN, "epoch", 0, 6, time.UnixMilli(0))
	call(t, url, "DescribeLogStreams", `{"logGroupName":"/aws/vendedlogs/states/x","logStreamNamePrefix":"epoch"}`, &streams)
	if st := streams.LogStreams[0]; st.FirstEventTimestamp != 0 || st.LastEventTimestamp != 5 {
		t.Errorf("stream epoch = %+v; want first 0, last 5", st)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.DeliverLogs(cancelled, groupARN, "s", ev); !errors.Is(err, context.Canceled) {
		t.Errorf("DeliverLogs(cancelled) = %v; want context.Canceled", err)
	}
}

// readAsRunPy reads a group as the conformance runner does: every stream,
// GetLogEvents from the head with nextToken until the token repeats.
func readAsRunPy(t *testing.T, url, group, extra string) (msgs []string, calls int) {
	t.Helper()
	var streams streamsResp
	call(t, url, "DescribeLogStreams", `{"logGroupName":"`+group+`"}`, &streams)
	for _, st := range streams.LogStreams {
		token := ""
		for range 50 {
			req := `{"logGroupName":"` + group + `","logStreamName":"` + st.LogStreamName + `","startFromHead":true` + extra
			if token != "" {
				req += `,"nextToken":"` + token + `"`
			}
			var r getResp
			call(t, url, "GetLogEvents", req+"}", &r)
			calls++
			msgs = append(msgs, messages(r)...)
			if len(r.Events) == 0 || r.NextForwardToken == "" || r.NextForwardToken == token {
				break
			}
			token = r.NextForwardToken
		}
	}
	return msgs, calls
}

func TestReadLikeRunPy(t *testing.T) {
	t.Parallel()
	s, url := newServer(t, cwlogs.Config{})
	call(t, url, "CreateLogGroup", `{"logGroupName":"/aws/vendedlogs/states/x"}`, nil)
	deliver(t, s, groupARN, "a", 0, 25, now)
	deliver(t, s, groupARN, "b", 25, 3, now)
	msgs, calls := readAsRunPy(t, url, "/aws/vendedlogs/states/x", "")
	if want := numbered(0, 28); !slices.Equal(msgs, want) || calls != 4 {
		t.Errorf("read = %v in %d calls; want %v in 4", msgs, calls, want)
	}
	msgs, calls = readAsRunPy(t, url, "/aws/vendedlogs/states/x", `,"limit":10`)
	if want := numbered(0, 28); !slices.Equal(msgs, want) || calls != 6 {
		t.Errorf("read by 10 = %v in %d calls; want %v in 6", msgs, calls, want)
	}
	// Large messages: the 1 MB answer cuts the pages.
	big := strings.Repeat("z", 300_000)
	var evs []engine.LogEvent
	for range 7 {
		evs = append(evs, engine.LogEvent{Time: now, Message: big})
	}
	if err := s.DeliverLogs(context.Background(), groupARN, "c", evs); err != nil {
		t.Fatal(err)
	}
	var r getResp
	call(t, url, "GetLogEvents", `{"logGroupName":"/aws/vendedlogs/states/x","logStreamName":"c","startFromHead":true}`, &r)
	if len(r.Events) != 3 || r.NextForwardToken != "f/3" {
		t.Errorf("GetLogEvents of 7 × 300 kB = %d events, %s; want 3, f/3", len(r.Events), r.NextForwardToken)
	}
	msgs, _ = readAsRunPy(t, url, "/aws/vendedlogs/states/x", "")
	if len(msgs) != 35 {
		t.Errorf("read %d events; want 35", len(msgs))
	}
}

// TestGetLogEventsPaging pages forward and backward, with a time window.
func TestGetLogEventsPaging(t *testing.T) {
	t.Parallel()
	s, url := newServer(t, cwlogs.Config{})
	call(t, url, "CreateLogGroup", `{"logGroupName":"/aws/vendedlogs/states/x"}`, nil)
	deliver(t, s, groupARN, "s", 0, 25, now)
	get := func(extra string) getResp {
		var r getResp
		call(t, url, "GetLogEvents", `{"logGroupName":"/aws/vendedlogs/states/x","logStreamName":"s"`+extra+`}`, &r)
		return r
	}
	type page struct {
		msgs          []string
		forward, back string
	}
	var pages []page
	r := get(`,"limit":10`) // the newest first, by default
	for range 5 {
		pages = append(pages, page{messages(r), r.NextForwardToken, r.NextBackwardToken})
		r = get(`,"limit":10,"nextToken":"` + r.NextBackwardToken + `"`)
	}
	want := []page{{numbered(15, 25), "f/25", "b/15"}, {numbered(5, 15), "f/15", "b/5"}, {numbered(0, 5), "f/5", "b/0"},
		{nil, "f/0", "b/0"}, {nil, "f/0", "b/0"}}
	for i := range want {
		if !slices.Equal(pages[i].msgs, want[i].msgs) || pages[i].forward != want[i].forward || pages[i].back != want[i].back {
			t.Errorf("backward page %d = %+v; want %+v", i, pages[i], want[i])
		}
	}
	// Forward from a backward page's token, and new events after the end.
	if r := get(`,"limit":7,"nextToken":"f/15"`); !slices.Equal(messages(r), numbered(15, 22)) || r.NextForwardToken != "f/22" || r.NextBackwardToken != "b/15" {
		t.Errorf("forward from f/15 = %v %s %s", messages(r), r.NextForwardToken, r.NextBackwardToken)
	}
	deliver(t, s, groupARN, "s", 25, 2, now)
	if r := get(`,"nextToken":"f/25","startFromHead":true`); !slices.Equal(messages(r), numbered(25, 27)) || r.NextForwardToken != "f/27" {
		t.Errorf("forward from the old end = %v %s; want the new events, f/27", messages(r), r.NextForwardToken)
	}
	// The window: startTime included, endTime excluded.
	start, end := nowMS+3, nowMS+8
	if r := get(fmt.Sprintf(`,"startTime":%d,"endTime":%d,"startFromHead":true,"limit":3`, start, end)); !slices.Equal(messages(r), numbered(3, 6)) || r.NextForwardToken != "f/6" {
		t.Errorf("window page 1 = %v %s; want m03..m05, f/6", messages(r), r.NextForwardToken)
	}
	if r := get(fmt.Sprintf(`,"startTime":%d,"endTime":%d,"nextToken":"f/6","limit":3`, start, end)); !slices.Equal(messages(r), numbered(6, 8)) || r.NextForwardToken != "f/27" {
		t.Errorf("window page 2 = %v %s; want m06, m07, f/27", messages(r), r.NextForwardToken)
	}
	if r := get(fmt.Sprintf(`,"startTime":%d,"endTime":%d`, start, end)); !slices.Equal(messages(r), numbered(3, 8)) || r.NextBackwardToken != "b/0" {
		t.Errorf("window, newest = %v %s; want m03..m07, b/0 (where the scan ended)", messages(r), r.NextBackwardToken)
	}
}

func TestDescribePaging(t *testing.T) {
	t.Parallel()
	s, url := newServer(t, cwlogs.Config{})
	for i := range 7 {
		call(t, url, "CreateLogGroup", fmt.Sprintf(`{"logGroupName":"g%d"}`, i), nil)
	}
	var names []string
	token := ""
	for range 4 {
		req := `{"limit":3`
		if token != "" {
			req += `,"nextToken":"` + token + `"`
		}
		var r groupsResp
		call(t, url, "DescribeLogGroups", req+"}", &r)
		for _, g := range r.LogGroups {
			names = append(names, g.LogGroupName)
		}
		if r.NextToken == nil {
			break
		}
		token = *r.NextToken
	}
	if want := []string{"g0", "g1", "g2", "g3", "g4", "g5", "g6"}; !slices.Equal(names, want) {
		t.Errorf("DescribeLogGroups by 3 = %v; want %v", names, want)
	}

	// Streams s0..s4, whose last events go s3, s1, s4, s0, s2.
	arn := "arn:aws:logs:us-east-1:111111111111:log-group:g0"
	for i, name := range []string{"s3", "s1", "s4", "s0", "s2"} {
		deliver(t, s, arn, name, i, 1, now)
	}
	list := func(req string) (names []string, next *string) {
		var r streamsResp
		call(t, url, "DescribeLogStreams", req, &r)
		for _, st := range r.LogStreams {
			names = append(names, st.LogStreamName)
		}
		return names, r.NextToken
	}
	for _, tc := range []struct {
		req  string
		want []string
	}{
		{`{"logGroupName":"g0"}`, []string{"s0", "s1", "s2", "s3", "s4"}},
		{`{"logGroupName":"g0","descending":true}`, []string{"s4", "s3", "s2", "s1", "s0"}},
		{`{"logGroupName":"g0","orderBy":"LastEventTime"}`, []string{"s3", "s1", "s4", "s0", "s2"}},
		{`{"logGroupName":"g0","orderBy":"LastEventTime","descending":true}`, []string{"s2", "s0", "s4", "s1", "s3"}},
	} {
		var all []string
		req := strings.TrimSuffix(tc.req, "}") + `,"limit":2}`
		for range 4 {
			got, next := list(req)
			all = append(all, got...)
			if next == nil {
				break
			}
			req = strings.TrimSuffix(tc.req, "}") + `,"limit":2,"nextToken":"` + *next + `"}`
		}
		if !slices.Equal(all, tc.want) {
			t.Errorf("DescribeLogStreams(%s) by 2 = %v; want %v", tc.req, all, tc.want)
		}
	}
	if got, _ := list(`{"logGroupName":"g0","logStreamNamePrefix":"s4"}`); !slices.Equal(got, []string{"s4"}) {
		t.Errorf("DescribeLogStreams(prefix s4) = %v", got)
	}
}

// TestBounds checks that the oldest events go first past a stream's and
// the store's bounds.
func TestBounds(t *testing.T) {
	t.Parallel()
	// 3 bytes a message + 26 = 29 an event; 10 events fit in 290 bytes.
	s, url := newServer(t, cwlogs.Config{MaxEventsPerStream: 5, MaxBytes: 290})
	call(t, url, "CreateLogGroup", `{"logGroupName":"a"}`, nil)
	call(t, url, "CreateLogGroup", `{"logGroupName":"b"}`, nil)
	arnA, arnB := "arn:aws:logs:us-east-1:111111111111:log-group:a", "arn:aws:logs:us-east-1:111111111111:log-group:b"
	deliver(t, s, arnA, "s", 0, 8, now)
	var r getResp
	call(t, url, "GetLogEvents", `{"logGroupName":"a","logStreamName":"s","startFromHead":true}`, &r)
	if !slices.Equal(messages(r), numbered(3, 8)) || r.NextBackwardToken != "b/3" || r.NextForwardToken != "f/8" {
		t.Errorf("after 8 events in a stream of 5: %v %s %s; want m03..m07, b/3, f/8", messages(r), r.NextBackwardToken, r.NextForwardToken)
	}
	var streams streamsResp
	call(t, url, "DescribeLogStreams", `{"logGroupName":"a"}`, &streams)
	if st := streams.LogStreams[0]; st.FirstEventTimestamp != nowMS || st.LastEventTimestamp != nowMS+7 {
		t.Errorf("stream = %+v; want the first and last timestamps ever", st)
	}
	// A token from before the dropped events reads from the oldest kept.
	call(t, url, "GetLogEvents", `{"logGroupName":"a","logStreamName":"s","nextToken":"f/1"}`, &r)
	if !slices.Equal(messages(r), numbered(3, 8)) {
		t.Errorf("from f/1 = %v; want m03..m07", messages(r))
	}

	// 5 in a, then 4 and 3 in b's two streams: 12 events, 10 kept: a's
	// two oldest go.
	deliver(t, s, arnB, "s", 10, 4, now)
	deliver(t, s, arnB, "t", 20, 3, now)
	call(t, url, "GetLogEvents", `{"logGroupName":"a","logStreamName":"s","startFromHead":true}`, &r)
	if !slices.Equal(messages(r), numbered(5, 8)) {
		t.Errorf("a after the store's bound = %v; want m05..m07", messages(r))
	}
	var groups groupsResp
	call(t, url, "DescribeLogGroups", `{}`, &groups)
	if len(groups.LogGroups) != 2 || groups.LogGroups[0].StoredBytes != 3*29 || groups.LogGroups[1].StoredBytes != 7*29 {
		t.Errorf("DescribeLogGroups = %+v; want a 87 bytes, b 203", groups.LogGroups)
	}
	// Deleting a group frees its bytes: b's events stay.
	call(t, url, "DeleteLogGroup", `{"logGroupName":"a"}`, nil)
	deliver(t, s, arnB, "u", 30, 3, now)
	call(t, url, "GetLogEvents", `{"logGroupName":"b","logStreamName":"s","startFromHead":true}`, &r)
	if !slices.Equal(messages(r), numbered(10, 14)) {
		t.Errorf("b after a's deletion = %v; want m10..m13", messages(r))
	}
	// Many more events than fit: the store keeps the newest 10.
	for i := range 200 {
		deliver(t, s, arnB, fmt.Sprintf("v%d", i%7), 40, 1, now)
	}
	call(t, url, "DescribeLogGroups", `{}`, &groups)
	if len(groups.LogGroups) != 1 || groups.LogGroups[0].StoredBytes != 290 {
		t.Errorf("DescribeLogGroups after 200 more = %+v; want b with 290 bytes", groups.LogGroups)
	}
}

func TestFilterLogEvents(t *testing.T) {
	t.Parallel()
	s, url := newServer(t, cwlogs.Config{})
	call(t, url, "CreateLogGroup", `{"logGroupName":"/aws/vendedlogs/states/x"}`, nil)
	msgs := []string{
		`{"type":"ExecutionStarted","id":1,"details":{"input":"{}","roleArn":"r"}}`,
		`{"type":"TaskStateEntered","id":2,"details":{"name":"Work & more"}}`,
		`{"type":"ExecutionSucceeded","id":3,"details":{"output":"{\"n\":1.5}"}}`,
		`plain text: Connection refused by host`,
		`{"type":"ExecutionFailed","id":4.0,"details":{"error":"States.Timeout"}}`,
	}
	// Two streams interleaved in time: a gets the even events, b the odd.
	for i, m := range msgs {
		st := []string{"a", "b"}[i%2]
		if err := s.DeliverLogs(context.Background(), groupARN, st, []engine.LogEvent{{Time: now.Add(time.Duration(i) * time.Second), Message: m}}); err != nil {
			t.Fatal(err)
		}
	}
	filter := func(extra string) filterResp {
		var r filterResp
		call(t, url, "FilterLogEvents", `{"logGroupName":"/aws/vendedlogs/states/x"`+extra+`}`, &r)
		return r
	}
	ids := func(r filterResp) []int {
		var out []int
		for _, e := range r.Events {
			out = append(out, slices.Index(msgs, e.Message))
		}
		return out
	}
	for _, tc := range []struct {
		pattern string
		want    []int
	}{
		{``, []int{0, 1, 2, 3, 4}},
		{`Execution`, []int{0, 2, 4}},
		{`Execution Succeeded`, []int{2}},
		{`"Connection refused"`, []int{3}},
		{`"refused by" host`, []int{3}},
		{`"connection refused"`, nil},
		{`{ $.type = "ExecutionFailed" }`, []int{4}},
		{`{$.type=ExecutionStarted}`, []int{0}},
		{`{ $.type != "ExecutionFailed" }`, []int{0, 1, 2}},
		{`{ $.id = 4 }`, []int{4}},
		{`{ $.id != 1 }`, []int{1, 2, 4}},
		{`{ $.id = "1" }`, nil},
		{`{ $.details.name = "Work & more" }`, []int{1}},
		{`{ $.details.error = "States.Timeout" }`, []int{4}},
		{`{ $.details.missing != "x" }`, nil},
	} {
		r := filter(`,"filterPattern":` + jsonString(tc.pattern))
		if got := ids(r); !slices.Equal(got, tc.want) {
			t.Errorf("FilterLogEvents(%q) = %v; want %v", tc.pattern, got, tc.want)
		}
	}
	for _, p := range []string{`?ERROR ?WARN`, `-DEBUG`, `%ab+c%`, `[ip, user]`, `{ $.a = 1 && $.b = 2 }`, `{ $.a > 1 }`,
		`{ $.a[0] = 1 }`, `{ $.a = "x*" }`, `{ $.a IS TRUE }`, `{ a = 1 }`, `{ $.a = 1`, `"open`, `{ $.a = one two }`} {
		code, b := post(t, url, "FilterLogEvents", `{"logGroupName":"/aws/vendedlogs/states/x","filterPattern":`+jsonString(p)+`}`)
		if code != 400 || !strings.Contains(b, `"__type":"InvalidParameterException","message":"Invalid filter pattern`) {
			t.Errorf("FilterLogEvents(%q) = %d %s; want InvalidParameterException", p, code, b)
		}
	}
	if r := filter(`,"logStreamNames":["b"]`); !slices.Equal(ids(r), []int{1, 3}) || r.Events[0].LogStreamName != "b" {
		t.Errorf("FilterLogEvents(stream b) = %v", ids(r))
	}
	if r := filter(`,"logStreamNamePrefix":"a"`); !slices.Equal(ids(r), []int{0, 2, 4}) {
		t.Errorf("FilterLogEvents(prefix a) = %v", ids(r))
	}
	if r := filter(fmt.Sprintf(`,"startTime":%d,"endTime":%d`, nowMS+1000, nowMS+3000)); !slices.Equal(ids(r), []int{1, 2}) {
		t.Errorf("FilterLogEvents(1 s to 3 s) = %v", ids(r))
	}
	// Paging across the streams, in time order.
	var got []int
	token := ""
	for range 5 {
		extra := `,"limit":2`
		if token != "" {
			extra += `,"nextToken":"` + token + `"`
		}
		r := filter(extra)
		got = append(got, ids(r)...)
		if r.NextToken == nil {
			break
		}
		token = *r.NextToken
	}
	if !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
		t.Errorf("FilterLogEvents by 2 = %v; want 0..4", got)
	}
	if r := filter(`,"limit":2,"filterPattern":"Execution"`); !slices.Equal(ids(r), []int{0, 2}) || r.NextToken == nil {
		t.Errorf("FilterLogEvents(Execution, by 2) = %v, %v; want 0, 2 and a token", ids(r), r.NextToken)
	}
	if r := filter(`,"limit":2,"filterPattern":"Succeeded"`); !slices.Equal(ids(r), []int{2}) || r.NextToken != nil {
		t.Errorf("FilterLogEvents(Succeeded, by 2) = %v, %v; want 2 and no token", ids(r), r.NextToken)
	}
}

// TestConcurrent delivers and reads at once (run with -race).
func TestConcurrent(t *testing.T) {
	t.Parallel()
	s, url := newServer(t, cwlogs.Config{MaxEventsPerStream: 50, MaxBytes: 4000})
	call(t, url, "CreateLogGroup", `{"logGroupName":"/aws/vendedlogs/states/x"}`, nil)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				ev := []engine.LogEvent{{Time: now, Message: fmt.Sprintf("m%02d", i)}}
				if err := s.DeliverLogs(context.Background(), groupARN, fmt.Sprintf("s%d", w), ev); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for i := range 60 {
				op := []string{"GetLogEvents", "FilterLogEvents", "DescribeLogStreams"}[i%3]
				body := fmt.Sprintf(`{"logGroupName":"/aws/vendedlogs/states/x","logStreamName":"s%d","filterPattern":"m1"}`, w)
				if op != "GetLogEvents" {
					body = `{"logGroupName":"/aws/vendedlogs/states/x"}`
				}
				req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
				req.Header.Set("X-Amz-Target", "Logs_20140328."+op)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	var groups groupsResp
	call(t, url, "DescribeLogGroups", `{}`, &groups)
	if b := groups.LogGroups[0].StoredBytes; b > 4000 || b < 4000-29 {
		t.Errorf("storedBytes = %d; want at most 4000, and full", b)
	}
}
