// Command crashsched is a real Stepwise replica for the schedule crash
// test (schedule/crash_test.go): an Engine and a schedule.Scheduler on a
// Postgres schema, until it is killed. Not for production.
package main

import (
	"context"
	"flag"
	"log"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/schedule"
	"github.com/stepwise-dev/stepwise/store/postgres"
)

func main() {
	dsn := flag.String("dsn", "", "Postgres DSN")
	schema := flag.String("schema", "", "schema (search_path)")
	lease := flag.Duration("lease", 2*time.Second, "the scheduler's lease")
	flag.Parse()
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(*dsn)
	if err != nil {
		log.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = *schema
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	store := postgres.New(pool)
	eng, err := engine.New(engine.Config{Store: store, PollInterval: 100 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	sched, err := schedule.New(schedule.Config{Store: store, Starter: eng, PollInterval: 100 * time.Millisecond, Lease: *lease})
	if err != nil {
		log.Fatal(err)
	}
	go func() { log.Fatal(eng.Run(ctx)) }()
	log.Fatal(sched.Run(ctx))
}
