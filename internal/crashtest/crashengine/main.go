// Command crashengine is the real engine process of the crash tests
// (internal/crashtest): it runs an Engine on a Postgres schema (-dsn,
// -schema) or a SQLite file (-db) with an in-process dispatcher that
// answers "double" and "flaky" tasks until it is killed. Express
// executions (a distributed Map's EXPRESS children) time out after 5 s,
// so that one lost with the process runs again soon. Not for production.
//
// -redrive ARN redrives that execution (with the client token -token)
// and exits. -die-at-redrive before|after SIGKILLs the process right
// before, or right after, the commit of a redrive: the crash between a
// RedriveExecution call and its commit, or between the commit and the
// answer (and the dispatch of the redrive's tasks).
//
// -http ADDR serves the AWS Step Functions JSON endpoint (api/awsjson)
// there, so that a test can call the engine (RedriveExecution) in the
// process it kills.
//
// -stop ARN stops that execution, -fail-task TOKEN fails that task with
// the error "Boom", and each exits instead of running the loops.
// -die-before-child-stop SIGKILLs the process when the engine, right
// after a commit that closed a child execution's task, reads that task to
// stop the child: the crash between a parent's end and its children's.
package main

import (
	"context"
	"flag"
	"log"
	"math/rand/v2"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stepwise-dev/stepwise/api/awsjson"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/store/postgres"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

type dispatcher struct{ eng *engine.Engine }

// Dispatch answers, after a short random delay, tasks whose resource
// ends in ":double" with twice their integer input, and tasks whose
// resource ends in ":flaky" (input {"n": N, "redrives": R, "until": U},
// and "hang": true or not) with 2N once R >= U; before, with the error
// "Flaky", or with nothing when it hangs: a task that fails (or hangs)
// until the execution was redriven U times, whatever kill happens
// between. It leaves other tasks ("hang") unanswered.
func (d *dispatcher) Dispatch(ctx context.Context, t engine.Task) (held bool, err error) {
	var answer func(in any) (out int64, ok, answered bool)
	switch {
	case strings.HasSuffix(t.Resource, ":double"):
		answer = func(in any) (int64, bool, bool) {
			n, ok := in.(int64)
			return n * 2, ok, true
		}
	case strings.HasSuffix(t.Resource, ":flaky"):
		answer = flaky
	default:
		return false, nil
	}
	go func() {
		time.Sleep(time.Duration(rand.IntN(50)) * time.Millisecond)
		in, err := statelang.ParseJSON([]byte(t.Input))
		if err != nil {
			_ = d.eng.SendTaskFailure(ctx, t.Token, "BadInput", t.Input)
			return
		}
		switch out, ok, answered := answer(in); {
		case !answered:
		case !ok:
			_ = d.eng.SendTaskFailure(ctx, t.Token, "Flaky", t.Input)
		default:
			_ = d.eng.SendTaskSuccess(ctx, t.Token, statelang.MarshalString(out))
		}
	}()
	return false, nil
}

// flaky is the answer of a ":flaky" task: 2N, or a failure (not
// answered, if it hangs) while the execution was redriven fewer than
// "until" times, or a failure if the input is not such an object.
func flaky(in any) (out int64, ok, answered bool) {
	m, _ := in.(map[string]any)
	n, ok1 := m["n"].(int64)
	r, ok2 := m["redrives"].(int64)
	u, ok3 := m["until"].(int64)
	switch {
	case !ok1 || !ok2 || !ok3:
		return 0, false, true
	case r < u:
		return 0, false, m["hang"] != true
	}
	return 2 * n, true, true
}

// dieBeforeChildStop is a Store that kills its process when a closed
// child-execution task is read: the engine reads it first thing when it
// stops the child of a task a commit just closed.
type dieBeforeChildStop struct{ engine.Store }

// isSyncChild: r starts a child execution whose outcome is the task's
// (states:startExecution.sync or .sync:2).
func isSyncChild(r statelang.Resource) bool {
	return r.Integrates("states", "startExecution") && r.Syncs()
}

func (s dieBeforeChildStop) GetTask(ctx context.Context, token string) (engine.Task, string, error) {
	t, status, err := s.Store.GetTask(ctx, token)
	if err == nil && (status == engine.TaskCancelled || status == engine.TaskTimedOut) &&
		isSyncChild(statelang.ParseResource(t.Resource)) {
		die("before stopping the child of task " + engine.TaskRef(token))
	}
	return t, status, err
}

// dieAtRedrive is a Store that kills its process before or after the
// group commit that holds a redrive (an ExecutionRedriven event).
type dieAtRedrive struct {
	engine.Store
	after bool
}

func (s dieAtRedrive) CommitGroup(ctx context.Context, g *engine.Group, decide func(map[int64]*engine.Execution) (*engine.GroupWrite, error)) (engine.GroupResult, error) {
	redrove := false
	res, err := s.Store.CommitGroup(ctx, g, func(xs map[int64]*engine.Execution) (*engine.GroupWrite, error) {
		w, err := decide(xs)
		if err == nil && redrives(w) {
			if !s.after {
				die("before the commit of a redrive")
			}
			redrove = true
		}
		return w, err
	})
	if err == nil && redrove {
		die("after the commit of a redrive")
	}
	return res, err
}

// redrives reports whether a group write redrives an execution.
func redrives(w *engine.GroupWrite) bool {
	for _, m := range w.Mutations {
		for _, e := range m.Events {
			if e.Type == "ExecutionRedriven" {
				return true
			}
		}
	}
	return false
}

// die SIGKILLs this process.
func die(when string) {
	log.Printf("crashengine: killed %s", when)
	_ = syscall.Kill(syscall.Getpid(), syscall.SIGKILL)
	select {}
}

// migrator is a store with its schema migrations.
type migrator interface {
	engine.Store
	Migrate(ctx context.Context) error
}

func open(ctx context.Context, dsn, schema, path string) (migrator, error) {
	if path != "" {
		return sqlite.Open(sqlite.Config{Path: path})
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return postgres.New(pool), nil
}

func main() {
	dsn := flag.String("dsn", "", "Postgres DSN")
	schema := flag.String("schema", "", "Postgres schema (search_path)")
	path := flag.String("db", "", "SQLite database file (instead of -dsn)")
	stop := flag.String("stop", "", "stop this execution and exit")
	failTask := flag.String("fail-task", "", "fail this task with the error Boom and exit")
	dieChild := flag.Bool("die-before-child-stop", false, "SIGKILL this process before it stops a closed task's child")
	addr := flag.String("http", "", "serve the AWS JSON endpoint on this address")
	redrive := flag.String("redrive", "", "redrive this execution and exit")
	token := flag.String("token", "", "the client token of -redrive")
	dieAt := flag.String("die-at-redrive", "", "SIGKILL this process before or after (before|after) the commit of a redrive")
	flag.Parse()
	ctx := context.Background()
	st, err := open(ctx, *dsn, *schema, *path)
	if err != nil {
		log.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	var store engine.Store = st
	if *dieChild {
		store = dieBeforeChildStop{st}
	}
	switch *dieAt {
	case "":
	case "before", "after":
		store = dieAtRedrive{Store: store, after: *dieAt == "after"}
	default:
		log.Fatalf("-die-at-redrive %q: want before or after", *dieAt)
	}
	d := &dispatcher{}
	eng, err := engine.New(engine.Config{Store: store, Dispatcher: d, PollInterval: 50 * time.Millisecond,
		TimerLease: 2 * time.Second, DispatchTimeout: time.Second, ExpressChildLease: time.Second})
	if err != nil {
		log.Fatal(err)
	}
	d.eng = eng
	switch {
	case *stop != "":
		if _, err := eng.StopExecution(ctx, *stop, "", ""); err != nil {
			log.Fatal(err)
		}
		return
	case *failTask != "":
		if err := eng.SendTaskFailure(ctx, *failTask, "Boom", ""); err != nil {
			log.Fatal(err)
		}
		return
	case *redrive != "":
		if _, err := eng.RedriveExecution(ctx, *redrive, *token); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *addr != "" {
		srv := &http.Server{Addr: *addr, Handler: awsjson.New(awsjson.Config{Engine: eng}), ReadHeaderTimeout: 5 * time.Second}
		go func() { log.Fatal(srv.ListenAndServe()) }()
	}
	log.Fatal(eng.Run(ctx))
}
