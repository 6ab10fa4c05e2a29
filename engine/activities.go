package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Activities.
//
// An activity (arn:aws:states:<region>:<account>:activity:<name>) is work
// that workers poll for, as on AWS. Stepwise serves activity tasks from the
// database: a Task state whose Resource is an activity ARN writes an
// ordinary task row, and GetActivityTask claims the oldest SCHEDULED row of
// that ARN (marking it STARTED and recording ActivityStarted with the
// worker's name). Activities therefore work without NATS and with any
// number of engine replicas. The worker answers with SendTaskSuccess,
// SendTaskFailure and SendTaskHeartbeat, through the AWS API or, with the
// NATS dispatcher, over NATS (workers.SendSuccess and friends).
//
// The NATS dispatcher does not publish activity tasks: one task has one
// way to be taken, so it never runs twice. (Workers that want push
// delivery register a Lambda-style function name instead.)

// Activity is an activity as DescribeActivity shows it.
type Activity struct {
	ARN          string
	Name         string
	CreationDate time.Time
}

// MaxActivityPoll is the longest GetActivityTask waits for a task (AWS: 60
// seconds).
const MaxActivityPoll = 60 * time.Second

// CreateActivity creates an activity, or returns the existing one of that
// name (AWS: CreateActivity is idempotent).
func (e *Engine) CreateActivity(ctx context.Context, name string) (Activity, error) {
	if err := validName(name); err != nil {
		return Activity{}, err
	}
	a, err := e.store.CreateActivity(ctx, Activity{ARN: e.arns.Activity(name), Name: name, CreationDate: e.cfg.Now()})
	if errors.Is(err, ErrConflict) {
		return a, nil
	}
	return a, err
}

// DescribeActivity returns an activity by ARN; ErrNotFound when there is
// none.
func (e *Engine) DescribeActivity(ctx context.Context, arn string) (Activity, error) {
	return e.store.GetActivity(ctx, arn)
}

// DeleteActivity deletes an activity. Deleting an unknown activity is not
// an error (AWS). Tasks already scheduled for it stay until they time out.
func (e *Engine) DeleteActivity(ctx context.Context, arn string) error {
	return e.store.DeleteActivity(ctx, arn)
}

// ListActivities returns a page of activities by name (maxResults: default
// and maximum 1000) and the next page's token ("" on the last page).
func (e *Engine) ListActivities(ctx context.Context, maxResults int, nextToken string) ([]Activity, string, error) {
	if maxResults <= 0 || maxResults > 1000 {
		maxResults = 1000
	}
	after := ""
	if nextToken != "" {
		n, ok := strings.CutPrefix(nextToken, "a:")
		if !ok || n == "" {
			return nil, "", fmt.Errorf("%w: invalid next token", ErrInvalidInput)
		}
		after = n
	}
	as, err := e.store.ListActivities(ctx, after, maxResults+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(as) > maxResults {
		as = as[:maxResults]
		next = "a:" + as[maxResults-1].Name
	}
	return as, next, nil
}

// GetActivityTask waits up to MaxActivityPoll (or until ctx ends) for a
// task of the activity and returns its token and input; token "" when none
// came. Taking a task records ActivityStarted with workerName. ErrNotFound
// when the activity does not exist.
func (e *Engine) GetActivityTask(ctx context.Context, arn, workerName string) (token, input string, err error) {
	if _, err := e.store.GetActivity(ctx, arn); err != nil {
		return "", "", err
	}
	ctx, cancel := context.WithTimeout(ctx, MaxActivityPoll)
	defer cancel()
	for {
		wake := e.acts.wait(arn)
		t, err := e.store.ClaimActivityTask(ctx, arn, e.cfg.Now())
		switch {
		case err == nil:
			_, aerr := e.apply(ctx, t.ExecutionID, event{Kind: evTaskStarted, Token: t.Token, Worker: workerName})
			if aerr == nil {
				return t.Token, t.Input, nil
			}
			if !errors.Is(aerr, ErrExecutionNotRunning) {
				return "", "", aerr
			}
			continue // its execution ended meanwhile: take the next one
		case !errors.Is(err, ErrNotFound):
			if ctx.Err() != nil {
				return "", "", nil
			}
			return "", "", err
		}
		select {
		case <-ctx.Done():
			return "", "", nil // no task: AWS answers an empty token
		case <-wake:
		case <-time.After(e.cfg.PollInterval):
			// another engine replica may have scheduled one
		}
	}
}

// activityHub wakes GetActivityTask pollers of this process when an
// activity task is committed here; pollers also re-check the database every
// PollInterval for tasks other replicas commit.
type activityHub struct {
	mu      sync.Mutex
	waiters map[string]chan struct{}
}

// wait returns a channel closed when a task of arn is next committed.
func (h *activityHub) wait(arn string) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.waiters == nil {
		h.waiters = map[string]chan struct{}{}
	}
	c := h.waiters[arn]
	if c == nil {
		c = make(chan struct{})
		h.waiters[arn] = c
	}
	return c
}

// wake wakes the pollers of activity arn, which has a new task.
func (h *activityHub) wake(arn string) {
	h.mu.Lock()
	if c := h.waiters[arn]; c != nil {
		close(c)
		delete(h.waiters, arn)
	}
	h.mu.Unlock()
}
