// Command crashengine is a real engine process for the crash test of
// store/sqlite: it runs an Engine on a SQLite file with an in-process
// dispatcher that answers every task until it is killed. Not for
// production.
package main

import (
	"context"
	"flag"
	"log"
	"math/rand/v2"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/store/sqlite"
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
	path := flag.String("db", "", "SQLite database file")
	flag.Parse()
	ctx := context.Background()
	store, err := sqlite.Open(sqlite.Config{Path: *path})
	if err != nil {
		log.Fatal(err)
	}
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
