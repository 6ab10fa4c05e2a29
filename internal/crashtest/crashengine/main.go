// Command crashengine is the real engine process of the crash tests
// (internal/crashtest): it runs an Engine on a Postgres schema (-dsn,
// -schema) or a SQLite file (-db) with an in-process dispatcher that
// answers "double" tasks until it is killed. Not for production.
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
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/store/postgres"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

type dispatcher struct{ eng *engine.Engine }

// Dispatch answers tasks whose resource ends in ":double" with twice their
// integer input after a short random delay; it leaves other tasks
// ("hang") unanswered.
func (d *dispatcher) Dispatch(ctx context.Context, t engine.Task) error {
	if !strings.HasSuffix(t.Resource, ":double") {
		return nil
	}
	go func() {
		time.Sleep(time.Duration(rand.IntN(50)) * time.Millisecond)
		in, err := statelang.ParseJSON([]byte(t.Input))
		n, ok := in.(int64)
		if err != nil || !ok {
			_ = d.eng.SendTaskFailure(ctx, t.Token, "BadInput", t.Input)
			return
		}
		_ = d.eng.SendTaskSuccess(ctx, t.Token, statelang.MarshalString(n*2))
	}()
	return nil
}

// dieBeforeChildStop is a Store that kills its process when a closed
// child-execution task is read: the engine reads it first thing when it
// stops the child of a task a commit just closed.
type dieBeforeChildStop struct{ engine.Store }

func (s dieBeforeChildStop) GetTask(ctx context.Context, token string) (engine.Task, string, error) {
	t, status, err := s.Store.GetTask(ctx, token)
	if err == nil && (status == engine.TaskCancelled || status == engine.TaskTimedOut) &&
		strings.HasPrefix(t.Resource, "arn:aws:states:::states:startExecution.sync") {
		log.Printf("crashengine: killed before stopping the child of task %s", engine.TaskRef(token))
		_ = syscall.Kill(syscall.Getpid(), syscall.SIGKILL)
		select {}
	}
	return t, status, err
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
	die := flag.Bool("die-before-child-stop", false, "SIGKILL this process before it stops a closed task's child")
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
	if *die {
		store = dieBeforeChildStop{st}
	}
	d := &dispatcher{}
	eng, err := engine.New(engine.Config{Store: store, Dispatcher: d, PollInterval: 50 * time.Millisecond,
		TimerLease: 2 * time.Second, DispatchTimeout: time.Second})
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
	}
	log.Fatal(eng.Run(ctx))
}
