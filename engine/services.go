package engine

import (
	"context"
	"errors"
	"sync"

	"github.com/stepwise-dev/stepwise/statelang"
)

// Built-in services.
//
// Some Task resources are run by the engine itself rather than by a
// worker: child executions (children.go) and the services of
// Config.Services (the HTTP task, object storage). A service task is
// dispatched like any other; instead of a publish, the engine calls the
// service in a goroutine (at most Config.ServiceConcurrency at once) and
// answers the task with what it returns.
//
// A service task is not confirmed: if the engine dies during the call,
// the maintenance loop dispatches the task again after DispatchTimeout
// and the call is made again (at least once, as a worker's task). While a
// call is in flight, re-dispatches of its token in the same process are
// ignored.

// Service runs the tasks of some resources inside the engine.
type Service interface {
	// Serves reports whether the service runs tasks on resource.
	Serves(resource statelang.Resource) bool
	// Invoke runs a task: input is the task's effective parameters (JSON
	// text). It returns the task's output (JSON text), or an error: a
	// *TaskFailure fails the task with its error name and cause; any
	// other error fails it with States.TaskFailed and the error's text.
	Invoke(ctx context.Context, t Task) (output string, err error)
}

// TaskFailure is the failure of a service task, as States error name and
// cause.
type TaskFailure struct {
	Name, Cause string
}

func (f *TaskFailure) Error() string { return f.Name + ": " + f.Cause }

// services runs service tasks.
type services struct {
	list []Service
	sem  chan struct{}

	mu       sync.Mutex
	inFlight map[string]bool // tokens being invoked
}

func (s *services) of(resource statelang.Resource) Service {
	for _, svc := range s.list {
		if svc.Serves(resource) {
			return svc
		}
	}
	return nil
}

// run invokes t on svc in a goroutine and answers it, unless its token is
// already being invoked.
func (e *Engine) runService(ctx context.Context, svc Service, t Task) {
	s := &e.services
	s.mu.Lock()
	if s.inFlight[t.Token] {
		s.mu.Unlock()
		return
	}
	s.inFlight[t.Token] = true
	s.mu.Unlock()
	go func() {
		defer func() {
			s.mu.Lock()
			delete(s.inFlight, t.Token)
			s.mu.Unlock()
		}()
		// The call outlives the request that dispatched the task.
		ctx := context.WithoutCancel(ctx)
		s.sem <- struct{}{}
		out, err := svc.Invoke(ctx, t)
		<-s.sem
		var f *TaskFailure
		switch {
		case err == nil && t.Resource == ItemReaderResource:
			// Items are not bound by the payload limit of task outputs.
			var v any
			if v, err = itemsOf(out); err == nil {
				err = e.taskEvent(ctx, t.Token, event{Kind: evTaskSucceeded, Token: t.Token, Output: v, OutputSize: len(out)})
			}
		case err == nil:
			err = e.SendTaskSuccess(ctx, t.Token, out)
		case errors.As(err, &f):
			err = e.SendTaskFailure(ctx, t.Token, f.Name, f.Cause)
		default:
			err = e.SendTaskFailure(ctx, t.Token, "States.TaskFailed", err.Error())
		}
		if err != nil && !errors.Is(err, ErrTaskClosed) && !errors.Is(err, ErrInvalidToken) {
			e.cfg.Logger.Warn("answering a service task", "task", TaskRef(t.Token), "resource", t.Resource, "error", err)
		}
	}()
}
