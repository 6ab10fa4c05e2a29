// Command crashengine is a real engine process for the crash test of
// store/postgres: it runs an Engine on a Postgres schema with an in-process
// dispatcher that answers every task until it is killed. Not for production.
package main

import (
	"context"
	"flag"
	"log"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/store/postgres"
)

type dispatcher struct{ eng *engine.Engine }

// Dispatch answers "double" tasks with twice their integer input after a
// short random delay.
func (d *dispatcher) Dispatch(ctx context.Context, t engine.Task) error {
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

func main() {
	dsn := flag.String("dsn", "", "Postgres DSN")
	schema := flag.String("schema", "", "schema (search_path)")
	flag.Parse()
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(*dsn)
	if err != nil {
		log.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = *schema
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	store := postgres.New(pool)
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	d := &dispatcher{}
	eng, err := engine.New(engine.Config{Store: store, Dispatcher: d, PollInterval: 50 * time.Millisecond,
		TimerLease: 2 * time.Second, DispatchTimeout: time.Second})
	if err != nil {
		log.Fatal(err)
	}
	d.eng = eng
	log.Fatal(eng.Run(ctx))
}
