package engine

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/internal/arn"
)

// More infrastructure errors, for the API layer.
var (
	// ErrTooManyTags: TagResource would leave a resource with more than
	// MaxTags tags (AWS: TooManyTags).
	ErrTooManyTags = errors.New("too many tags")
)

// MaxTags is the most tags one resource may carry, as on AWS.
const MaxTags = 50

// Tag is one key/value tag on a state machine or an activity.
type Tag struct {
	Key, Value string
}

// Field names an indexed column of an execution that a [Condition] tests.
type Field string

// The fields a Condition may test.
const (
	FieldName         Field = "name"          // Value: string
	FieldStatus       Field = "status"        // Value: string
	FieldStateMachine Field = "state_machine" // Value: string (the machine's name)
	FieldStartTime    Field = "start_time"    // Value: time.Time
	FieldStopTime     Field = "stop_time"     // Value: time.Time; never true while RUNNING
)

// Op is a Condition's comparison.
type Op string

// The comparisons a Condition may make. Strings support OpEq, OpNe, OpIn
// and OpPrefix; times support OpEq, OpNe, OpLt, OpLe, OpGt and OpGe.
const (
	OpEq     Op = "=="
	OpNe     Op = "!="
	OpLt     Op = "<"
	OpLe     Op = "<="
	OpGt     Op = ">"
	OpGe     Op = ">="
	OpIn     Op = "in"         // Value: []string
	OpPrefix Op = "startsWith" // Value: string
)

// Condition is one test on an indexed column that a store evaluates in its
// query, with the value bound as a parameter. Conditions are ANDed.
type Condition struct {
	Field Field
	Op    Op
	Value any
}

// ExecutionFilter narrows ListExecutions beyond a machine and a status. The
// store applies Conditions in its query; Match then decides on each
// candidate row. Package engine/filter compiles CEL expressions into one.
type ExecutionFilter interface {
	// Conditions are tests every matching execution passes; a store
	// pushes them into its query.
	Conditions() []Condition
	// Match reports whether a candidate (one that passed Conditions)
	// matches. Its State is not loaded.
	Match(x *Execution) bool
}

// ListStateMachinesInput are the arguments of ListStateMachines.
type ListStateMachinesInput struct {
	MaxResults int // default and maximum 1000
	NextToken  string
}

// ListStateMachines lists the state machines that are not deleted, by name,
// each at its latest version, a page at a time; the returned token is "" on
// the last page.
func (e *Engine) ListStateMachines(ctx context.Context, in ListStateMachinesInput) ([]StateMachine, string, error) {
	limit := in.MaxResults
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	after := ""
	if in.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		if err != nil || len(b) == 0 {
			return nil, "", fmt.Errorf("%w: invalid next token", ErrInvalidInput)
		}
		after = string(b)
	}
	sms, err := e.store.ListStateMachines(ctx, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(sms) > limit {
		sms = sms[:limit]
		next = base64.RawURLEncoding.EncodeToString([]byte(sms[limit-1].Name))
	}
	return sms, next, nil
}

// DeleteStateMachine deletes a state machine and its tags. Executions that
// are running finish on the version they run; describing, updating or
// starting the machine then fails with ErrNotFound, and creating one with
// the same name starts a new history of versions. Deleting a machine that
// does not exist is ErrNotFound.
func (e *Engine) DeleteStateMachine(ctx context.Context, name string) error {
	return e.store.DeleteStateMachine(ctx, name, e.cfg.Now())
}

// DescribeStateMachineForExecution returns the version of the state
// machine an execution runs (even when the machine was deleted since);
// for a distributed Map's child, the machine of its Map Run
// (mapChildMachine).
func (e *Engine) DescribeStateMachineForExecution(ctx context.Context, executionARN string) (StateMachine, error) {
	x, err := e.store.GetExecutionByARN(ctx, executionARN)
	if err != nil {
		return StateMachine{}, err
	}
	if parent, label, ok := splitMapMachine(x.StateMachine); ok {
		return e.mapChildMachine(ctx, parent, label, x.StateMachineVersion)
	}
	return e.store.GetStateMachine(ctx, x.StateMachine, x.StateMachineVersion)
}

// StateMachineNameFromARN returns the machine name of an unqualified state
// machine ARN of this engine's region and account; ok is false otherwise.
func (e *Engine) StateMachineNameFromARN(s string) (name string, ok bool) {
	m, err := arn.ParseStateMachine(s)
	if err != nil || m.Scope != e.arns || m.Qualifier != "" {
		return "", false
	}
	return m.Name, true
}

// resourceExists checks that arn names a taggable resource: a state
// machine that is not deleted, or an activity.
func (e *Engine) resourceExists(ctx context.Context, s string) error {
	if name, ok := e.StateMachineNameFromARN(s); ok {
		sm, err := e.store.GetStateMachine(ctx, name, 0)
		if err != nil {
			return err
		}
		if sm.Deleted {
			return ErrNotFound
		}
		return nil
	}
	if scope, _, err := arn.ParseActivity(s); err == nil && scope == e.arns {
		_, err := e.DescribeActivity(ctx, s)
		return err
	}
	return ErrNotFound
}

// ValidTags checks tags as TagResource does (keys 1 to 128 characters,
// values at most 256, no aws: prefix, no key twice, at most MaxTags), so
// that a create with tags can refuse them before creating anything. The
// error wraps ErrInvalidInput, or is ErrTooManyTags.
func ValidTags(tags []Tag) error {
	if err := validTags(tags); err != nil {
		return err
	}
	if len(tags) > MaxTags {
		return ErrTooManyTags
	}
	return nil
}

func validTags(tags []Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		if n := utf8.RuneCountInString(t.Key); n < 1 || n > 128 {
			return fmt.Errorf("%w: a tag key must be 1 to 128 characters", ErrInvalidInput)
		}
		if utf8.RuneCountInString(t.Value) > 256 {
			return fmt.Errorf("%w: a tag value must be at most 256 characters", ErrInvalidInput)
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return fmt.Errorf("%w: tag keys starting with aws: are reserved", ErrInvalidInput)
		}
		if seen[t.Key] {
			return fmt.Errorf("%w: duplicate tag key %q", ErrInvalidInput, t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// TagResource adds tags to a state machine or activity by ARN, replacing
// the values of keys it already has. ErrNotFound when the resource does not
// exist, ErrTooManyTags when it would carry more than MaxTags tags.
func (e *Engine) TagResource(ctx context.Context, arn string, tags []Tag) error {
	if err := validTags(tags); err != nil {
		return err
	}
	if len(tags) > MaxTags {
		return ErrTooManyTags
	}
	if err := e.resourceExists(ctx, arn); err != nil {
		return err
	}
	return e.store.TagResource(ctx, arn, tags, MaxTags)
}

// UntagResource removes tags by key from a state machine or activity; keys
// it does not have are ignored. ErrNotFound when the resource does not exist.
func (e *Engine) UntagResource(ctx context.Context, arn string, keys []string) error {
	if err := e.resourceExists(ctx, arn); err != nil {
		return err
	}
	return e.store.UntagResource(ctx, arn, keys)
}

// ListTagsForResource returns a resource's tags sorted by key. ErrNotFound
// when the resource does not exist.
func (e *Engine) ListTagsForResource(ctx context.Context, arn string) ([]Tag, error) {
	if err := e.resourceExists(ctx, arn); err != nil {
		return nil, err
	}
	tags, err := e.store.ListTags(ctx, arn)
	if err != nil {
		return nil, err
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	return tags, nil
}

// Filtered listing: how many candidate rows one ListExecutions call reads
// at most before it returns a (possibly short) page with a next token.
const (
	filterBatch   = 500
	filterMaxScan = 10000
)

// listFiltered pages through the store's candidates (rows passing the
// filter's Conditions) until the page is full, the candidates run out, or
// filterMaxScan rows were read; the next token resumes after the last row
// read.
func (e *Engine) listFiltered(ctx context.Context, base ListFilter, flt ExecutionFilter, limit int) ([]*Execution, string, error) {
	base.Conditions = append(base.Conditions, flt.Conditions()...)
	var out []*Execution
	scanned := 0
	for {
		base.Limit = filterBatch
		xs, err := e.store.ListExecutions(ctx, base)
		if err != nil {
			return nil, "", err
		}
		for i, x := range xs {
			scanned++
			if !flt.Match(x) {
				continue
			}
			out = append(out, x)
			if len(out) == limit {
				if i == len(xs)-1 && len(xs) < filterBatch {
					return out, "", nil // nothing after it
				}
				return out, fmtID(x.ID), nil
			}
		}
		if len(xs) < filterBatch {
			return out, "", nil
		}
		base.BeforeID = xs[len(xs)-1].ID
		if scanned >= filterMaxScan {
			return out, fmtID(base.BeforeID), nil
		}
	}
}

func fmtID(id int64) string { return fmt.Sprint(id) }
