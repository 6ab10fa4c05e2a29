package cwlogs

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// targetPrefix begins the X-Amz-Target of every CloudWatch Logs operation.
const targetPrefix = "Logs_20140328."

// maxBodyBytes bounds a request body: PutLogEvents' maximum batch.
const maxBodyBytes = 1 << 20

// apiError is an error as the AWS JSON protocol answers it, with HTTP 400
// unless status says otherwise.
type apiError struct {
	code, message string
	status        int
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// paramError is bad input, answered as InvalidParameterException.
type paramError struct{ message string }

func (e *paramError) Error() string { return e.message }

// toAPIError maps the errors of the store and of request checks to AWS's
// codes and messages; anything else is an internal failure.
func toAPIError(err error) *apiError {
	var (
		ae *apiError
		pe *paramError
		re *resourceError
	)
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &pe):
		return &apiError{code: "InvalidParameterException", message: pe.message}
	case errors.As(err, &re) && errors.Is(err, ErrResourceNotFound):
		return &apiError{code: "ResourceNotFoundException", message: "The specified " + re.kind + " does not exist."}
	case errors.As(err, &re) && errors.Is(err, ErrResourceAlreadyExists):
		return &apiError{code: "ResourceAlreadyExistsException", message: "The specified " + re.kind + " already exists"}
	}
	return &apiError{code: "ServiceUnavailableException", message: "internal error: " + err.Error(), status: http.StatusInternalServerError}
}

// operations are the CloudWatch Logs operations served, by name.
var operations = map[string]func(*Store, []byte) (any, error){
	"CreateLogGroup":     op((*Store).createLogGroup),
	"DeleteLogGroup":     op((*Store).deleteLogGroup),
	"DescribeLogGroups":  op((*Store).describeLogGroups),
	"CreateLogStream":    op((*Store).createLogStream),
	"DeleteLogStream":    op((*Store).deleteLogStream),
	"DescribeLogStreams": op((*Store).describeLogStreams),
	"PutLogEvents":       op((*Store).putLogEvents),
	"GetLogEvents":       op((*Store).getLogEvents),
	"FilterLogEvents":    op((*Store).filterLogEvents),
}

// op decodes a request body into the operation's request type.
func op[Req any, Resp any](f func(*Store, *Req) (*Resp, error)) func(*Store, []byte) (any, error) {
	return func(s *Store, body []byte) (any, error) {
		req := new(Req)
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, req); err != nil {
				var te *json.UnmarshalTypeError
				if errors.As(err, &te) {
					return nil, &apiError{code: "SerializationException", message: "unexpected value for field '" + te.Field + "': expected " + te.Type.String()}
				}
				return nil, &apiError{code: "SerializationException", message: "the request body is not valid JSON: " + err.Error()}
			}
		}
		return f(s, req)
	}
}

// Handler serves the CloudWatch Logs API (AWS JSON 1.1) over the store: POST
// with X-Amz-Target Logs_20140328.<Operation>, on any path; the caller
// routes to it. The body is at most 1 MiB.
func (s *Store) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-Requestid", rand.Text())
		target := r.Header.Get("X-Amz-Target")
		name, ok := strings.CutPrefix(target, targetPrefix)
		f := operations[name]
		if !ok || f == nil {
			writeError(w, &apiError{code: "UnknownOperationException", message: "unknown operation " + strconv.Quote(target)})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				writeError(w, &apiError{code: "InvalidParameterException", message: fmt.Sprintf("the request body is larger than %d bytes (1 MiB)", mb.Limit), status: http.StatusRequestEntityTooLarge})
				return
			}
			writeError(w, &apiError{code: "SerializationException", message: "the request body could not be read: " + err.Error()})
			return
		}
		resp, err := f(s, body)
		if err != nil {
			writeError(w, toAPIError(err))
			return
		}
		b, err := marshal(resp)
		if err != nil {
			writeError(w, toAPIError(err))
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write(b)
	})
}

func writeError(w http.ResponseWriter, e *apiError) {
	status := e.status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", e.code)
	w.WriteHeader(status)
	b, _ := marshal(map[string]string{"__type": e.code, "message": e.message})
	_, _ = w.Write(b)
}

// marshal encodes v as AWS does, without escaping <, > and &.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return b.Bytes(), err
}

// checks collects the violations of AWS's request constraints, reported
// together as one InvalidParameterException in AWS's words.
type checks []string

func (c *checks) add(value any, field, constraint string) {
	v := "null"
	if value != nil {
		v = fmt.Sprint(value)
		if r := []rune(v); len(r) > 256 {
			v = string(r[:256]) + "…"
		}
		v = "'" + v + "'"
	}
	*c = append(*c, "Value "+v+" at '"+field+"' failed to satisfy constraint: Member must "+constraint)
}

func (c checks) err() error {
	switch len(c) {
	case 0:
		return nil
	case 1:
		return &paramError{"1 validation error detected: " + c[0]}
	}
	return &paramError{fmt.Sprintf("%d validation errors detected: %s", len(c), strings.Join(c, "; "))}
}

// name checks a name's length and characters.
func (c *checks) name(v *string, field string, required bool, valid func(string) bool, pattern string) {
	switch {
	case v == nil:
		if required {
			c.add(nil, field, "not be null")
		}
	case len(*v) < 1:
		c.add(*v, field, "have length greater than or equal to 1")
	case len(*v) > 512:
		c.add(*v, field, "have length less than or equal to 512")
	case !valid(*v):
		c.add(*v, field, "satisfy regular expression pattern: "+pattern)
	}
}

const (
	groupNamePattern  = `[\.\-_/#A-Za-z0-9]+`
	streamNamePattern = `[^:*]*`
)

func (c *checks) groupName(v *string, field string, required bool) {
	c.name(v, field, required, validGroupName, groupNamePattern)
}

func (c *checks) streamName(v *string, field string, required bool) {
	c.name(v, field, required, validStreamName, streamNamePattern)
}

func validGroupName(s string) bool {
	if s == "" || len(s) > 512 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(`.-_/#`, r)) {
			return false
		}
	}
	return true
}

func validStreamName(s string) bool { return !strings.ContainsAny(s, ":*") }

// limit checks an optional limit and returns it, or def when it is absent.
func (c *checks) limit(v *int, maxN, def int) int {
	switch {
	case v == nil:
		return def
	case *v < 1:
		c.add(*v, "limit", "have value greater than or equal to 1")
	case *v > maxN:
		c.add(*v, "limit", fmt.Sprintf("have value less than or equal to %d", maxN))
	}
	return *v
}

// window checks startTime and endTime (epoch milliseconds; the end
// excluded) and returns them.
func (c *checks) window(start, end *int64) window {
	w := window{0, 1<<63 - 1}
	if start != nil {
		if *start < 0 {
			c.add(*start, "startTime", "have value greater than or equal to 0")
		}
		w.start = *start
	}
	if end != nil {
		if *end < 0 {
			c.add(*end, "endTime", "have value greater than or equal to 0")
		}
		w.end = *end
	}
	return w
}

// group returns the name of the group a request names by logGroupName or
// logGroupIdentifier (a name or an ARN), after the request's other checks.
func (s *Store) group(c checks, name, ident *string) (string, error) {
	c.groupName(name, "logGroupName", false)
	if ident != nil && !strings.HasPrefix(*ident, "arn:") {
		c.groupName(ident, "logGroupIdentifier", false)
	}
	if err := c.err(); err != nil {
		return "", err
	}
	switch {
	case name != nil && ident != nil:
		return "", &paramError{"logGroupName and logGroupIdentifier are mutually exclusive parameters"}
	case name != nil:
		return *name, nil
	case ident == nil:
		return "", &paramError{"either logGroupName or logGroupIdentifier is required"}
	case strings.HasPrefix(*ident, "arn:"):
		return s.groupNameFromARN(*ident)
	}
	return *ident, nil
}

// page cuts a list at the offset nextToken names, limit items long, and
// returns the token of the next page ("" at the end).
func page[T any](items []T, token *string, limit int) ([]T, *string, error) {
	from := 0
	if token != nil {
		n, err := strconv.Atoi(*token)
		if err != nil || n < 0 {
			return nil, nil, &paramError{"The specified nextToken is not valid."}
		}
		from = min(n, len(items))
	}
	to := min(from+limit, len(items))
	if to == len(items) {
		return items[from:to], nil, nil
	}
	next := strconv.Itoa(to)
	return items[from:to], &next, nil
}

// The response shapes of the describe and read operations.
type (
	logGroup struct {
		LogGroupName      string `json:"logGroupName"`
		CreationTime      int64  `json:"creationTime"`
		MetricFilterCount int    `json:"metricFilterCount"`
		ARN               string `json:"arn"`
		StoredBytes       int64  `json:"storedBytes"`
		LogGroupClass     string `json:"logGroupClass"`
		LogGroupARN       string `json:"logGroupArn"`
	}
	logStream struct {
		LogStreamName       string `json:"logStreamName"`
		CreationTime        int64  `json:"creationTime"`
		FirstEventTimestamp *int64 `json:"firstEventTimestamp,omitempty"`
		LastEventTimestamp  *int64 `json:"lastEventTimestamp,omitempty"`
		LastIngestionTime   *int64 `json:"lastIngestionTime,omitempty"`
		ARN                 string `json:"arn"`
		StoredBytes         int64  `json:"storedBytes"`
	}
	outputEvent struct {
		Timestamp     int64  `json:"timestamp"`
		Message       string `json:"message"`
		IngestionTime int64  `json:"ingestionTime"`
	}
	filteredEvent struct {
		LogStreamName string `json:"logStreamName"`
		Timestamp     int64  `json:"timestamp"`
		Message       string `json:"message"`
		IngestionTime int64  `json:"ingestionTime"`
		EventID       string `json:"eventId"`
	}
	empty struct{}
)

type createLogGroupRequest struct {
	LogGroupName  *string `json:"logGroupName"`
	LogGroupClass *string `json:"logGroupClass"`
}

func (s *Store) createLogGroup(req *createLogGroupRequest) (*empty, error) {
	var c checks
	c.groupName(req.LogGroupName, "logGroupName", true)
	class := "STANDARD"
	if req.LogGroupClass != nil {
		class = *req.LogGroupClass
		if class != "STANDARD" && class != "INFREQUENT_ACCESS" && class != "DELIVERY" {
			c.add(class, "logGroupClass", "satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]")
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return &empty{}, s.createGroup(*req.LogGroupName, class)
}

type logGroupRequest struct {
	LogGroupName *string `json:"logGroupName"`
}

func (s *Store) deleteLogGroup(req *logGroupRequest) (*empty, error) {
	var c checks
	c.groupName(req.LogGroupName, "logGroupName", true)
	if err := c.err(); err != nil {
		return nil, err
	}
	return &empty{}, s.deleteGroup(*req.LogGroupName)
}

type describeLogGroupsRequest struct {
	LogGroupNamePrefix  *string `json:"logGroupNamePrefix"`
	LogGroupNamePattern *string `json:"logGroupNamePattern"`
	Limit               *int    `json:"limit"`
	NextToken           *string `json:"nextToken"`
}

type describeLogGroupsResponse struct {
	LogGroups []logGroup `json:"logGroups"`
	NextToken *string    `json:"nextToken,omitempty"`
}

func (s *Store) describeLogGroups(req *describeLogGroupsRequest) (*describeLogGroupsResponse, error) {
	var c checks
	c.groupName(req.LogGroupNamePrefix, "logGroupNamePrefix", false)
	if p := req.LogGroupNamePattern; p != nil && *p != "" && !validGroupName(*p) {
		c.add(*p, "logGroupNamePattern", `satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]*`)
	}
	limit := c.limit(req.Limit, 50, 50)
	if err := c.err(); err != nil {
		return nil, err
	}
	prefix, pattern := deref(req.LogGroupNamePrefix), deref(req.LogGroupNamePattern)
	if prefix != "" && pattern != "" {
		return nil, &paramError{"logGroupNamePrefix and logGroupNamePattern are mutually exclusive parameters"}
	}
	groups, next, err := page(s.describeGroups(prefix, pattern), req.NextToken, limit)
	if err != nil {
		return nil, err
	}
	return &describeLogGroupsResponse{LogGroups: append([]logGroup{}, groups...), NextToken: next}, nil
}

type logStreamRequest struct {
	LogGroupName  *string `json:"logGroupName"`
	LogStreamName *string `json:"logStreamName"`
}

func (r *logStreamRequest) check() error {
	var c checks
	c.groupName(r.LogGroupName, "logGroupName", true)
	c.streamName(r.LogStreamName, "logStreamName", true)
	return c.err()
}

func (s *Store) createLogStream(req *logStreamRequest) (*empty, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	return &empty{}, s.createStream(*req.LogGroupName, *req.LogStreamName)
}

func (s *Store) deleteLogStream(req *logStreamRequest) (*empty, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	return &empty{}, s.deleteStream(*req.LogGroupName, *req.LogStreamName)
}

type describeLogStreamsRequest struct {
	LogGroupName        *string `json:"logGroupName"`
	LogGroupIdentifier  *string `json:"logGroupIdentifier"`
	LogStreamNamePrefix *string `json:"logStreamNamePrefix"`
	OrderBy             *string `json:"orderBy"`
	Descending          bool    `json:"descending"`
	Limit               *int    `json:"limit"`
	NextToken           *string `json:"nextToken"`
}

type describeLogStreamsResponse struct {
	LogStreams []logStream `json:"logStreams"`
	NextToken  *string     `json:"nextToken,omitempty"`
}

func (s *Store) describeLogStreams(req *describeLogStreamsRequest) (*describeLogStreamsResponse, error) {
	var c checks
	c.streamName(req.LogStreamNamePrefix, "logStreamNamePrefix", false)
	byLastEvent := false
	if o := req.OrderBy; o != nil {
		byLastEvent = *o == "LastEventTime"
		if *o != "LogStreamName" && !byLastEvent {
			c.add(*o, "orderBy", "satisfy enum value set: [LogStreamName, LastEventTime]")
		}
	}
	limit := c.limit(req.Limit, 50, 50)
	g, err := s.group(c, req.LogGroupName, req.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	prefix := deref(req.LogStreamNamePrefix)
	if byLastEvent && prefix != "" {
		return nil, &paramError{"Cannot order by LastEventTime with a logStreamNamePrefix."}
	}
	streams, err := s.describeStreams(g, prefix, byLastEvent)
	if err != nil {
		return nil, err
	}
	if req.Descending {
		slices.Reverse(streams)
	}
	streams, next, err := page(streams, req.NextToken, limit)
	if err != nil {
		return nil, err
	}
	return &describeLogStreamsResponse{LogStreams: append([]logStream{}, streams...), NextToken: next}, nil
}

type putLogEventsRequest struct {
	LogGroupName  *string `json:"logGroupName"`
	LogStreamName *string `json:"logStreamName"`
	LogEvents     []struct {
		Timestamp *int64  `json:"timestamp"`
		Message   *string `json:"message"`
	} `json:"logEvents"`
}

type putLogEventsResponse struct {
	NextSequenceToken     string                 `json:"nextSequenceToken"`
	RejectedLogEventsInfo *rejectedLogEventsInfo `json:"rejectedLogEventsInfo,omitempty"`
}

type rejectedLogEventsInfo struct {
	TooNewLogEventStartIndex *int `json:"tooNewLogEventStartIndex,omitempty"`
	TooOldLogEventEndIndex   *int `json:"tooOldLogEventEndIndex,omitempty"`
}

// PutLogEvents' limits on a batch. Its size (AWS: 1,048,576 bytes, 26 an
// event more than the messages) is bounded by maxBodyBytes instead.
const (
	maxBatchEvents = 10_000
	maxBatchSpan   = 24 * 60 * 60 * 1000 // milliseconds
	maxEventAge    = 14 * maxBatchSpan
	maxEventAhead  = 2 * 60 * 60 * 1000
)

func (s *Store) putLogEvents(req *putLogEventsRequest) (*putLogEventsResponse, error) {
	if err := (&logStreamRequest{req.LogGroupName, req.LogStreamName}).check(); err != nil {
		return nil, err
	}
	var c checks
	switch n := len(req.LogEvents); {
	case n == 0:
		c.add("[]", "logEvents", "have length greater than or equal to 1")
	case n > maxBatchEvents:
		c.add(n, "logEvents", fmt.Sprintf("have length less than or equal to %d", maxBatchEvents))
	}
	for i, e := range req.LogEvents {
		field := fmt.Sprintf("logEvents.%d.member", i+1)
		if e.Timestamp == nil {
			c.add(nil, field+".timestamp", "not be null")
		} else if *e.Timestamp < 0 {
			c.add(*e.Timestamp, field+".timestamp", "have value greater than or equal to 0")
		}
		if e.Message == nil {
			c.add(nil, field+".message", "not be null")
		} else if *e.Message == "" {
			c.add("", field+".message", "have length greater than or equal to 1")
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	first, last := *req.LogEvents[0].Timestamp, *req.LogEvents[len(req.LogEvents)-1].Timestamp
	for i := 1; i < len(req.LogEvents); i++ {
		if *req.LogEvents[i].Timestamp < *req.LogEvents[i-1].Timestamp {
			return nil, &paramError{"Log events in a single PutLogEvents request must be in chronological order."}
		}
	}
	if last-first > maxBatchSpan {
		return nil, &paramError{"The batch of log events in a single PutLogEvents request cannot span more than 24 hours."}
	}
	// Events too old or too new are rejected, the others stored: being in
	// order, the too old ones come first and the too new ones last.
	now := s.now()
	lo, hi := 0, len(req.LogEvents)
	for lo < hi && *req.LogEvents[lo].Timestamp < now-maxEventAge {
		lo++
	}
	for hi > lo && *req.LogEvents[hi-1].Timestamp > now+maxEventAhead {
		hi--
	}
	events := make([]event, 0, hi-lo)
	for _, e := range req.LogEvents[lo:hi] {
		events = append(events, event{time: *e.Timestamp, ingest: now, message: *e.Message})
	}
	token, err := s.put(*req.LogGroupName, *req.LogStreamName, false, events)
	if err != nil {
		return nil, err
	}
	resp := &putLogEventsResponse{NextSequenceToken: token}
	if lo > 0 || hi < len(req.LogEvents) {
		resp.RejectedLogEventsInfo = &rejectedLogEventsInfo{}
		if lo > 0 {
			resp.RejectedLogEventsInfo.TooOldLogEventEndIndex = &lo
		}
		if hi < len(req.LogEvents) {
			resp.RejectedLogEventsInfo.TooNewLogEventStartIndex = &hi
		}
	}
	return resp, nil
}

type getLogEventsRequest struct {
	LogGroupName       *string `json:"logGroupName"`
	LogGroupIdentifier *string `json:"logGroupIdentifier"`
	LogStreamName      *string `json:"logStreamName"`
	StartTime          *int64  `json:"startTime"`
	EndTime            *int64  `json:"endTime"`
	StartFromHead      bool    `json:"startFromHead"`
	Limit              *int    `json:"limit"`
	NextToken          *string `json:"nextToken"`
}

type getLogEventsResponse struct {
	Events            []outputEvent `json:"events"`
	NextForwardToken  string        `json:"nextForwardToken"`
	NextBackwardToken string        `json:"nextBackwardToken"`
}

func (s *Store) getLogEvents(req *getLogEventsRequest) (*getLogEventsResponse, error) {
	var c checks
	c.streamName(req.LogStreamName, "logStreamName", true)
	w := c.window(req.StartTime, req.EndTime)
	limit := c.limit(req.Limit, 10_000, 10_000)
	g, err := s.group(c, req.LogGroupName, req.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	// A token is "f/<position>" (forward from there) or "b/<position>"
	// (backward from before there); without one, the read starts at the
	// head or, by default, ends at the tail.
	forward, pos := req.StartFromHead, int64(-1)
	if t := req.NextToken; t != nil {
		dir, n, _ := strings.Cut(*t, "/")
		p, err := strconv.ParseInt(n, 10, 64)
		if err != nil || p < 0 || (dir != "f" && dir != "b") {
			return nil, &paramError{"The specified nextToken is not valid."}
		}
		forward, pos = dir == "f", p
	}
	evs, from, to, err := s.read(g, *req.LogStreamName, w, forward, pos, limit)
	if err != nil {
		return nil, err
	}
	resp := &getLogEventsResponse{Events: evs,
		NextForwardToken: "f/" + strconv.FormatInt(to, 10), NextBackwardToken: "b/" + strconv.FormatInt(from, 10)}
	// At the end, AWS answers the token it was given: that is how a
	// reader knows it has read everything.
	if len(evs) == 0 && req.NextToken != nil {
		if forward {
			resp.NextForwardToken = *req.NextToken
		} else {
			resp.NextBackwardToken = *req.NextToken
		}
	}
	return resp, nil
}

type filterLogEventsRequest struct {
	LogGroupName        *string  `json:"logGroupName"`
	LogGroupIdentifier  *string  `json:"logGroupIdentifier"`
	LogStreamNames      []string `json:"logStreamNames"`
	LogStreamNamePrefix *string  `json:"logStreamNamePrefix"`
	StartTime           *int64   `json:"startTime"`
	EndTime             *int64   `json:"endTime"`
	FilterPattern       *string  `json:"filterPattern"`
	Limit               *int     `json:"limit"`
	NextToken           *string  `json:"nextToken"`
}

type filterLogEventsResponse struct {
	Events             []filteredEvent `json:"events"`
	SearchedLogStreams []searched      `json:"searchedLogStreams"`
	NextToken          *string         `json:"nextToken,omitempty"`
}

type searched struct {
	LogStreamName      string `json:"logStreamName"`
	SearchedCompletely bool   `json:"searchedCompletely"`
}

func (s *Store) filterLogEvents(req *filterLogEventsRequest) (*filterLogEventsResponse, error) {
	var c checks
	if n := len(req.LogStreamNames); n > 100 {
		c.add(n, "logStreamNames", "have length less than or equal to 100")
	}
	for i := range req.LogStreamNames {
		c.streamName(&req.LogStreamNames[i], fmt.Sprintf("logStreamNames.%d.member", i+1), true)
	}
	c.streamName(req.LogStreamNamePrefix, "logStreamNamePrefix", false)
	if p := req.FilterPattern; p != nil && len(*p) > 1024 {
		c.add(*p, "filterPattern", "have length less than or equal to 1024")
	}
	w := c.window(req.StartTime, req.EndTime)
	limit := c.limit(req.Limit, 10_000, 10_000)
	g, err := s.group(c, req.LogGroupName, req.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if len(req.LogStreamNames) > 0 && req.LogStreamNamePrefix != nil {
		return nil, &paramError{"logStreamNames and logStreamNamePrefix are mutually exclusive parameters"}
	}
	match, err := parsePattern(deref(req.FilterPattern))
	if err != nil {
		return nil, err
	}
	q := filterQuery{streams: req.LogStreamNames, prefix: deref(req.LogStreamNamePrefix), w: w, match: match, limit: limit}
	if t := req.NextToken; t != nil {
		var ok bool
		if q.after, ok = parseEventID(*t); !ok {
			return nil, &paramError{"The specified nextToken is not valid."}
		}
	}
	evs, names, more, err := s.filter(g, q)
	if err != nil {
		return nil, err
	}
	resp := &filterLogEventsResponse{Events: evs, SearchedLogStreams: []searched{}}
	for _, n := range names {
		resp.SearchedLogStreams = append(resp.SearchedLogStreams, searched{n, true})
	}
	if more {
		next := evs[len(evs)-1].EventID
		resp.NextToken = &next
	}
	return resp, nil
}

// parsePattern compiles the filter patterns this package supports (see the
// package doc) to a function matching a message.
func parsePattern(p string) (func(string) bool, error) {
	p = strings.TrimSpace(p)
	switch {
	case p == "":
		return func(string) bool { return true }, nil
	case strings.HasPrefix(p, "{"):
		return parseJSONPattern(p)
	case strings.HasPrefix(p, "["):
		return nil, unsupported(p, "space-delimited patterns ([...]) are not supported")
	case strings.HasPrefix(p, "%"):
		return nil, unsupported(p, "regular expressions (%...%) are not supported")
	}
	var terms []string
	for rest := p; rest != ""; rest = strings.TrimLeft(rest, " \t") {
		if rest[0] == '"' {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, unsupported(p, "a quoted phrase is not closed")
			}
			terms = append(terms, rest[1:1+end])
			rest = rest[2+end:]
			continue
		}
		term, after, _ := strings.Cut(rest, " ")
		if term[0] == '?' || term[0] == '-' {
			return nil, unsupported(p, "?term (or) and -term (exclusion) are not supported")
		}
		terms = append(terms, term)
		rest = after
	}
	return func(m string) bool {
		for _, t := range terms {
			if !strings.Contains(m, t) {
				return false
			}
		}
		return true
	}, nil
}

func unsupported(pattern, why string) error {
	return &paramError{"Invalid filter pattern " + strconv.Quote(pattern) + ": " + why}
}

// parseJSONPattern compiles { $.a.b = value } and { $.a.b != value }, the
// value a "string", a bare word or a number.
func parseJSONPattern(p string) (func(string) bool, error) {
	inner, ok := strings.CutSuffix(p, "}")
	if !ok {
		return nil, unsupported(p, "a JSON pattern ends with }")
	}
	inner = strings.TrimSpace(inner[1:])
	if strings.Contains(inner, "&&") || strings.Contains(inner, "||") {
		return nil, unsupported(p, "&& and || are not supported")
	}
	sel, ok := strings.CutPrefix(inner, "$.")
	if !ok {
		return nil, unsupported(p, "a JSON pattern compares a selector $.field")
	}
	i := strings.IndexAny(sel, " \t=!<>")
	if i < 0 {
		return nil, unsupported(p, "= or != and a value are missing")
	}
	path := strings.Split(sel[:i], ".")
	for _, f := range path {
		if f == "" || strings.ContainsAny(f, "[]*") {
			return nil, unsupported(p, "a selector is $. and field names joined by dots (no arrays, no wildcards)")
		}
	}
	rest := strings.TrimSpace(sel[i:])
	var negate bool
	switch {
	case strings.HasPrefix(rest, "!="):
		negate, rest = true, rest[2:]
	case strings.HasPrefix(rest, "="):
		rest = rest[1:]
	default:
		return nil, unsupported(p, "only = and != are supported")
	}
	rest = strings.TrimSpace(rest)
	var want any
	switch {
	case strings.HasPrefix(rest, `"`):
		var s string
		if err := json.Unmarshal([]byte(rest), &s); err != nil {
			return nil, unsupported(p, "the value is not a JSON string")
		}
		want = s
	case rest == "" || strings.ContainsAny(rest, " \t"):
		return nil, unsupported(p, "the value is a \"string\", a word or a number")
	default:
		if f, err := strconv.ParseFloat(rest, 64); err == nil {
			want = f
		} else {
			want = rest
		}
	}
	if s, ok := want.(string); ok && strings.Contains(s, "*") {
		return nil, unsupported(p, "wildcards in values are not supported")
	}
	return func(m string) bool {
		got, ok := jsonField(m, path)
		if !ok {
			return false
		}
		var eq bool
		switch w := want.(type) {
		case string:
			s, ok := got.(string)
			if !ok {
				return false
			}
			eq = s == w
		case float64:
			n, ok := got.(json.Number)
			if !ok {
				return false
			}
			f, err := n.Float64()
			if err != nil {
				return false
			}
			eq = f == w
		}
		return eq != negate
	}, nil
}

// jsonField returns the value at path in the JSON object m, numbers as
// json.Number.
func jsonField(m string, path []string) (any, bool) {
	if !strings.HasPrefix(strings.TrimSpace(m), "{") {
		return nil, false
	}
	d := json.NewDecoder(strings.NewReader(m))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return nil, false
	}
	for _, f := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[f]; !ok {
			return nil, false
		}
	}
	return v, true
}
