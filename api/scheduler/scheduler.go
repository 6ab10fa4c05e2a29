// Package scheduler serves the Amazon EventBridge Scheduler API (its
// REST-JSON protocol, 2021-06-30) over package schedule, so
// `aws scheduler … --endpoint-url` and the AWS SDKs' scheduler clients
// work unchanged: CreateSchedule (POST /schedules/{Name}), GetSchedule,
// UpdateSchedule (PUT), DeleteSchedule, ListSchedules (GET /schedules),
// the schedule groups (/schedule-groups/{Name}) and their tags
// (/tags/{ResourceArn}, kept by the store's tag table). Schedules target
// Step Functions state machines, their versions and aliases.
//
// It also owns the scheduler loop of the process (Handler.Run), so the
// wiring is one value. It imports engine and schedule, no store.
package scheduler

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/arn"
	"github.com/stepwise-dev/stepwise/schedule"
)

// Paths are the path patterns the handler serves, to mount on a mux.
var Paths = []string{"/schedules", "/schedules/", "/schedule-groups", "/schedule-groups/", "/tags/"}

// Config configures New.
type Config struct {
	// Store keeps the schedules: a store/postgres or store/sqlite Store.
	// A store that does not implement schedule.Store makes the API answer
	// 501 and Run return at once. Required.
	Store any
	// Engine starts the ticks' executions. Required.
	Engine *engine.Engine
	// Region and Account appear in ARNs. Default to us-east-1 and
	// 111111111111; they must match the engine's.
	Region, Account string
	// PollInterval is how often the loop looks for due ticks. Defaults to
	// 1s.
	PollInterval time.Duration
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Handler is the EventBridge Scheduler endpoint and the scheduler loop.
type Handler struct {
	cfg   Config
	store schedule.Store // nil: the store keeps no schedules
	tags  tagStore       // nil: tags are not kept
	svc   *schedule.Service
	sched *schedule.Scheduler
}

// New returns a Handler.
func New(cfg Config) *Handler {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Account == "" {
		cfg.Account = "111111111111"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Handler{cfg: cfg}
	if st, ok := cfg.Store.(schedule.Store); ok && cfg.Engine != nil {
		h.store = st
		h.tags, _ = cfg.Store.(tagStore)
		h.svc = &schedule.Service{Store: st, Now: cfg.Now}
		h.sched, _ = schedule.New(schedule.Config{Store: st, Starter: cfg.Engine, Region: cfg.Region, Account: cfg.Account,
			PollInterval: cfg.PollInterval, Now: cfg.Now, Logger: cfg.Logger})
	}
	return h
}

// Run fires due ticks until ctx ends (see schedule.Scheduler.Run); it
// returns nil then.
func (h *Handler) Run(ctx context.Context) error {
	if h.sched == nil {
		h.cfg.Logger.Warn("schedules: the store keeps no schedules; none will fire")
		<-ctx.Done()
		return nil
	}
	return h.sched.Run(ctx)
}

// Service is the schedule operations over the store, for the other APIs
// (gRPC and REST /v1/); nil when the store keeps no schedules.
func (h *Handler) Service() *schedule.Service { return h.svc }

// Tick fires the ticks due now, once (see schedule.Scheduler.Tick).
func (h *Handler) Tick(ctx context.Context) (int, error) {
	if h.sched == nil {
		return 0, nil
	}
	return h.sched.Tick(ctx)
}

// apiError is an error in the REST-JSON shape: the X-Amzn-ErrorType
// header and {"Message": …}.
type apiError struct {
	Type    string
	Status  int
	Message string
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

func validation(format string, args ...any) *apiError {
	return &apiError{"ValidationException", http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, engine.ErrInvalidInput):
		ae = validation("%s", strings.TrimPrefix(err.Error(), engine.ErrInvalidInput.Error()+": "))
	default:
		h.cfg.Logger.Error("scheduler API", "path", r.URL.Path, "error", err)
		ae = &apiError{"InternalServerException", http.StatusInternalServerError, "internal error"}
	}
	w.Header().Set("X-Amzn-ErrorType", ae.Type)
	writeJSON(w, ae.Status, map[string]string{"Message": ae.Message})
}

// ServeHTTP routes the operations.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.store == nil {
		h.fail(w, r, &apiError{"NotImplemented", http.StatusNotImplemented, "this store keeps no schedules"})
		return
	}
	kind, name, hasName := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	var err error
	switch {
	case kind == "schedules" && !hasName && r.Method == http.MethodGet:
		err = h.listSchedules(w, r)
	case kind == "schedule-groups" && !hasName && r.Method == http.MethodGet:
		err = h.listGroups(w, r)
	case kind == "schedules" && name != "":
		switch r.Method {
		case http.MethodPost:
			err = h.putSchedule(w, r, name, true)
		case http.MethodPut:
			err = h.putSchedule(w, r, name, false)
		case http.MethodGet:
			err = h.getSchedule(w, r, name)
		case http.MethodDelete:
			err = h.deleteSchedule(w, r, name)
		default:
			err = &apiError{"MethodNotAllowed", http.StatusMethodNotAllowed, r.Method + " is not allowed here"}
		}
	case kind == "tags" && name != "":
		err = h.serveTags(w, r, name)
	case kind == "schedule-groups" && name != "":
		switch r.Method {
		case http.MethodPost:
			err = h.createGroup(w, r, name)
		case http.MethodGet:
			err = h.getGroup(w, r, name)
		case http.MethodDelete:
			err = h.deleteGroup(w, r, name)
		default:
			err = &apiError{"MethodNotAllowed", http.StatusMethodNotAllowed, r.Method + " is not allowed here"}
		}
	default:
		err = &apiError{"UnknownOperationException", http.StatusNotFound, "no operation at " + r.Method + " " + r.URL.Path}
	}
	if err != nil {
		h.fail(w, r, err)
	}
}

// epoch is a timestamp in REST-JSON's default format: seconds since the
// Unix epoch, with a fraction. Requests may also send RFC 3339 text.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	return []byte(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)), nil
}

func (e *epoch) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("timestamp %q is not RFC 3339", s)
		}
		*e = epoch(t.UTC())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil || math.IsNaN(f) || math.Abs(f) > 1e11 {
		return fmt.Errorf("timestamp %s is not seconds since the epoch", b)
	}
	sec, frac := math.Modf(f)
	*e = epoch(time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond)).UTC())
	return nil
}

func optEpoch(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

func fromEpoch(e *epoch) time.Time {
	if e == nil {
		return time.Time{}
	}
	return time.Time(*e)
}

// wireSchedule is a schedule on the wire: the body of CreateSchedule and
// UpdateSchedule, and GetSchedule's answer.
type wireSchedule struct {
	Arn                        string      `json:",omitempty"`
	Name                       string      `json:",omitempty"`
	GroupName                  string      `json:",omitempty"`
	Description                string      `json:",omitempty"`
	ScheduleExpression         string      `json:",omitempty"`
	ScheduleExpressionTimezone string      `json:",omitempty"`
	StartDate                  *epoch      `json:",omitempty"`
	EndDate                    *epoch      `json:",omitempty"`
	State                      string      `json:",omitempty"`
	FlexibleTimeWindow         *wireWindow `json:",omitempty"`
	Target                     *wireTarget `json:",omitempty"`
	ActionAfterCompletion      string      `json:",omitempty"`
	KmsKeyArn                  string      `json:",omitempty"`
	ClientToken                string      `json:",omitempty"`
	CreationDate               *epoch      `json:",omitempty"`
	LastModificationDate       *epoch      `json:",omitempty"`
	// CatchUp is Stepwise's catch-up rule (ONE, ALL or NONE).
	CatchUp string `json:",omitempty"`
	// Stepwise's additions to GetSchedule's answer (AWS's clients ignore
	// them): the next ticks (up to 5, the first as planned: a retried
	// tick or a window offset moves when it fires, not its time), and the
	// latest ticks fired (up to 5, newest first).
	NextInvocations   []epoch    `json:",omitempty"`
	RecentInvocations []wireTick `json:",omitempty"`
}

type wireTick struct {
	ScheduledTime epoch
	ExecutionArn  string `json:",omitempty"`
	Error         string `json:",omitempty"`
	Attempts      int
	FiredAt       epoch
}

type wireWindow struct {
	Mode                   string
	MaximumWindowInMinutes *int `json:",omitempty"`
}

type wireTarget struct {
	Arn              string
	RoleArn          string                `json:",omitempty"`
	Input            string                `json:",omitempty"`
	RetryPolicy      *schedule.RetryPolicy `json:",omitempty"`
	DeadLetterConfig *struct{ Arn string } `json:",omitempty"`
}

func (h *Handler) toWire(s schedule.Schedule) wireSchedule {
	rp := s.Target.RetryPolicy
	w := wireSchedule{
		Arn: s.ARN(h.cfg.Region, h.cfg.Account), Name: s.Name, GroupName: s.Group, Description: s.Description,
		ScheduleExpression: s.Expression, ScheduleExpressionTimezone: s.Timezone,
		StartDate: optEpoch(s.StartDate), EndDate: optEpoch(s.EndDate), State: s.State,
		FlexibleTimeWindow:    &wireWindow{Mode: s.Window.Mode},
		Target:                &wireTarget{Arn: s.Target.Arn, RoleArn: s.Target.RoleArn, Input: s.Target.Input, RetryPolicy: &rp},
		ActionAfterCompletion: s.ActionAfterCompletion, KmsKeyArn: s.KmsKeyArn,
		CreationDate: optEpoch(s.Created), LastModificationDate: optEpoch(s.Modified), CatchUp: s.CatchUp,
	}
	if s.Window.Mode == schedule.WindowFlexible {
		w.FlexibleTimeWindow.MaximumWindowInMinutes = &s.Window.MaximumWindowInMinutes
	}
	if s.Target.DeadLetterConfig != "" {
		w.Target.DeadLetterConfig = &struct{ Arn string }{s.Target.DeadLetterConfig}
	}
	return w
}

// fromWire reads a CreateSchedule or UpdateSchedule body, checking AWS's
// required members.
func fromWire(w wireSchedule, name string) (schedule.Schedule, error) {
	var missing []string
	if w.ScheduleExpression == "" {
		missing = append(missing, "ScheduleExpression")
	}
	if w.FlexibleTimeWindow == nil {
		missing = append(missing, "FlexibleTimeWindow")
	}
	if w.Target == nil || w.Target.Arn == "" {
		missing = append(missing, "Target.Arn")
	}
	if len(missing) > 0 {
		return schedule.Schedule{}, validation("missing required members: %s", strings.Join(missing, ", "))
	}
	s := schedule.Schedule{
		Name: name, Group: w.GroupName, Description: w.Description, Expression: w.ScheduleExpression,
		Timezone: w.ScheduleExpressionTimezone, StartDate: fromEpoch(w.StartDate), EndDate: fromEpoch(w.EndDate),
		State: w.State, Window: schedule.Window{Mode: w.FlexibleTimeWindow.Mode},
		Target:                schedule.Target{Arn: w.Target.Arn, RoleArn: w.Target.RoleArn, Input: w.Target.Input},
		ActionAfterCompletion: w.ActionAfterCompletion, KmsKeyArn: w.KmsKeyArn, CatchUp: w.CatchUp, ClientToken: w.ClientToken,
	}
	if m := w.FlexibleTimeWindow.MaximumWindowInMinutes; m != nil {
		s.Window.MaximumWindowInMinutes = *m
	}
	if rp := w.Target.RetryPolicy; rp != nil {
		s.Target.RetryPolicy = *rp
	}
	if d := w.Target.DeadLetterConfig; d != nil {
		s.Target.DeadLetterConfig = d.Arn
	}
	return s, nil
}

// decode reads a JSON request body into v; an empty body is {}.
func decode(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return validation("reading the request body: %v", err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return validation("the request body is not valid: %v", err)
	}
	return nil
}

func notFound(what, name string) *apiError {
	return &apiError{"ResourceNotFoundException", http.StatusNotFound, what + " " + name + " does not exist."}
}

func conflict(what, name string) *apiError {
	return &apiError{"ConflictException", http.StatusConflict, what + " " + name + " already exists."}
}

func (h *Handler) putSchedule(w http.ResponseWriter, r *http.Request, name string, create bool) error {
	var in wireSchedule
	if err := decode(r, &in); err != nil {
		return err
	}
	s, err := fromWire(in, name)
	if err != nil {
		return err
	}
	if create {
		s, err = h.svc.Create(r.Context(), s)
	} else {
		s, err = h.svc.Update(r.Context(), s)
	}
	switch {
	case errors.Is(err, engine.ErrConflict):
		return conflict("Schedule", name)
	case errors.Is(err, engine.ErrNotFound) && create:
		return notFound("Schedule group", orDefault(in.GroupName))
	case errors.Is(err, engine.ErrNotFound):
		return notFound("Schedule", name)
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"ScheduleArn": s.ARN(h.cfg.Region, h.cfg.Account)})
	return nil
}

// orDefault names the group of a request: the default one when it gave
// none.
func orDefault(group string) string {
	if group == "" {
		return schedule.DefaultGroup
	}
	return group
}

func groupParam(r *http.Request, key string) string { return orDefault(r.URL.Query().Get(key)) }

func (h *Handler) getSchedule(w http.ResponseWriter, r *http.Request, name string) error {
	d, err := h.svc.Get(r.Context(), groupParam(r, "groupName"), name, 5)
	if errors.Is(err, engine.ErrNotFound) {
		return notFound("Schedule", name)
	}
	if err != nil {
		return err
	}
	out := h.toWire(d.Record.Schedule)
	for _, next := range d.Next {
		out.NextInvocations = append(out.NextInvocations, epoch(next))
	}
	for _, t := range d.Recent {
		out.RecentInvocations = append(out.RecentInvocations, wireTick{epoch(t.Time), t.ExecutionARN, t.Error, t.Attempts, epoch(t.Fired)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) deleteSchedule(w http.ResponseWriter, r *http.Request, name string) error {
	err := h.store.DeleteSchedule(r.Context(), groupParam(r, "groupName"), name)
	if errors.Is(err, engine.ErrNotFound) {
		return notFound("Schedule", name)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// pageArgs reads MaxResults (1 to 100, default 100) and NextToken.
func pageArgs(r *http.Request) (limit int, token string, err error) {
	limit = 100
	if s := r.URL.Query().Get("MaxResults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return 0, "", validation("MaxResults %q must be 1 to 100", s)
		}
		limit = n
	}
	if t := r.URL.Query().Get("NextToken"); t != "" {
		b, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil {
			return 0, "", validation("NextToken is not valid")
		}
		token = string(b)
	}
	return limit, token, nil
}

func nextToken(after string) string { return base64.RawURLEncoding.EncodeToString([]byte(after)) }

func (h *Handler) listSchedules(w http.ResponseWriter, r *http.Request) error {
	limit, token, err := pageArgs(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := schedule.ListFilter{Group: q.Get("ScheduleGroup"), NamePrefix: q.Get("NamePrefix"), State: q.Get("State"), Limit: limit + 1}
	if f.State != "" && f.State != schedule.Enabled && f.State != schedule.Disabled {
		return validation("State %q must be ENABLED or DISABLED", f.State)
	}
	if f.Group != "" {
		if _, err := h.store.GetScheduleGroup(r.Context(), f.Group); errors.Is(err, engine.ErrNotFound) {
			return notFound("Schedule group", f.Group)
		} else if err != nil {
			return err
		}
	}
	f.AfterGroup, f.AfterName, _ = strings.Cut(token, "/")
	recs, err := h.store.ListSchedules(r.Context(), f)
	if err != nil {
		return err
	}
	type summary struct {
		Arn, Name, GroupName, State string
		CreationDate                *epoch
		LastModificationDate        *epoch
		Target                      struct{ Arn string }
	}
	out := struct {
		Schedules []summary
		NextToken string `json:",omitempty"`
	}{Schedules: []summary{}}
	for i, rec := range recs {
		s := rec.Schedule
		if i == limit {
			last := recs[i-1].Schedule
			out.NextToken = nextToken(last.Group + "/" + last.Name)
			break
		}
		sum := summary{Arn: s.ARN(h.cfg.Region, h.cfg.Account), Name: s.Name, GroupName: s.Group, State: s.State,
			CreationDate: optEpoch(s.Created), LastModificationDate: optEpoch(s.Modified)}
		sum.Target.Arn = s.Target.Arn
		out.Schedules = append(out.Schedules, sum)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type wireGroup struct {
	Arn, Name, State     string
	CreationDate         *epoch
	LastModificationDate *epoch
}

func (h *Handler) groupWire(g schedule.Group) wireGroup {
	return wireGroup{Arn: schedule.GroupARN(h.cfg.Region, h.cfg.Account, g.Name), Name: g.Name, State: "ACTIVE",
		CreationDate: optEpoch(g.Created), LastModificationDate: optEpoch(g.Modified)}
}

func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request, name string) error {
	var in struct {
		ClientToken string
		Tags        []engine.Tag
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := validTags(in.Tags); err != nil {
		return err
	}
	_, err := h.svc.CreateGroup(r.Context(), name)
	if errors.Is(err, engine.ErrConflict) {
		return conflict("Schedule group", name)
	}
	if err != nil {
		return err
	}
	if len(in.Tags) > 0 && h.tags != nil {
		if err := h.tags.TagResource(r.Context(), schedule.GroupARN(h.cfg.Region, h.cfg.Account, name), in.Tags, maxTags); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"ScheduleGroupArn": schedule.GroupARN(h.cfg.Region, h.cfg.Account, name)})
	return nil
}

func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request, name string) error {
	g, err := h.store.GetScheduleGroup(r.Context(), name)
	if errors.Is(err, engine.ErrNotFound) {
		return notFound("Schedule group", name)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.groupWire(g))
	return nil
}

func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request, name string) error {
	err := h.svc.DeleteGroup(r.Context(), name)
	if errors.Is(err, engine.ErrNotFound) {
		return notFound("Schedule group", name)
	}
	if err != nil {
		return err
	}
	if h.tags != nil {
		arn := schedule.GroupARN(h.cfg.Region, h.cfg.Account, name)
		tags, err := h.tags.ListTags(r.Context(), arn)
		if err != nil {
			return err
		}
		var keys []string
		for _, t := range tags {
			keys = append(keys, t.Key)
		}
		if err := h.tags.UntagResource(r.Context(), arn, keys); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request) error {
	limit, token, err := pageArgs(r)
	if err != nil {
		return err
	}
	gs, err := h.store.ListScheduleGroups(r.Context(), r.URL.Query().Get("NamePrefix"), token, limit+1)
	if err != nil {
		return err
	}
	out := struct {
		ScheduleGroups []wireGroup
		NextToken      string `json:",omitempty"`
	}{ScheduleGroups: []wireGroup{}}
	for i, g := range gs {
		if i == limit {
			out.NextToken = nextToken(gs[i-1].Name)
			break
		}
		out.ScheduleGroups = append(out.ScheduleGroups, h.groupWire(g))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// tagStore keeps tags by ARN: engine.Store's tag methods.
type tagStore interface {
	TagResource(ctx context.Context, arn string, tags []engine.Tag, max int) error
	UntagResource(ctx context.Context, arn string, keys []string) error
	ListTags(ctx context.Context, arn string) ([]engine.Tag, error)
}

// maxTags is AWS's bound on a schedule group's tags.
const maxTags = 200

func validTags(tags []engine.Tag) error {
	if len(tags) > maxTags {
		return validation("at most %d tags", maxTags)
	}
	for _, t := range tags {
		if t.Key == "" || utf8.RuneCountInString(t.Key) > 128 || utf8.RuneCountInString(t.Value) > 256 {
			return validation("tag key %q: keys are 1 to 128 characters, values at most 256", t.Key)
		}
	}
	return nil
}

// serveTags serves TagResource (POST), UntagResource (DELETE
// ?TagKeys=…) and ListTagsForResource (GET) on a schedule group's ARN,
// the one resource EventBridge Scheduler tags.
func (h *Handler) serveTags(w http.ResponseWriter, r *http.Request, groupARN string) error {
	if h.tags == nil {
		return &apiError{"NotImplemented", http.StatusNotImplemented, "this store keeps no tags"}
	}
	scope, group, err := arn.ParseScheduleGroup(groupARN)
	if err != nil || scope != arn.In(h.cfg.Region, h.cfg.Account) {
		return notFound("Resource", groupARN)
	}
	if _, err := h.store.GetScheduleGroup(r.Context(), group); errors.Is(err, engine.ErrNotFound) {
		return notFound("Schedule group", group)
	} else if err != nil {
		return err
	}
	switch r.Method {
	case http.MethodPost:
		var in struct{ Tags []engine.Tag }
		if err := decode(r, &in); err != nil {
			return err
		}
		if err := validTags(in.Tags); err != nil {
			return err
		}
		err := h.tags.TagResource(r.Context(), groupARN, in.Tags, maxTags)
		if errors.Is(err, engine.ErrTooManyTags) {
			return validation("a schedule group carries at most %d tags", maxTags)
		}
		if err != nil {
			return err
		}
	case http.MethodDelete:
		if err := h.tags.UntagResource(r.Context(), groupARN, r.URL.Query()["TagKeys"]); err != nil {
			return err
		}
	case http.MethodGet:
		tags, err := h.tags.ListTags(r.Context(), groupARN)
		if err != nil {
			return err
		}
		sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
		writeJSON(w, http.StatusOK, map[string][]engine.Tag{"Tags": append([]engine.Tag{}, tags...)})
		return nil
	default:
		return &apiError{"MethodNotAllowed", http.StatusMethodNotAllowed, r.Method + " is not allowed here"}
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}
