package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/stepwise-dev/stepwise/internal/bench"
	"github.com/stepwise-dev/stepwise/services/objects"
)

const benchUsage = `usage: stepwise bench [flags]

Runs a workload (bench/workloads/*.asl.json) with no-op workers and prints
a summary: executions/s, transitions/s, Task steps/s, latency percentiles,
engine overhead per Task step, CPU per 1,000 transitions, Postgres commits
per execution. By default it starts the engine in this process on --db (in
a new schema, dropped afterwards) with an embedded NATS server; --server
drives a running server over gRPC instead (its workers connect to --nats).

Workloads: sequence (10 Tasks), fanout (Map over 50 Tasks), hello (1 Task),
pass (20 Pass states), callback (a .waitForTaskToken task answered with
SendTaskSuccess), wait (--count executions parked on a 1-hour Wait; reports
memory at 0, 1k, 10k, 100k parked, up to --count), widemap (an inline Map of
a no-op Task per item at each --items size: task steps/s and DB bytes per
execution divided by the items show whether a Map step's cost grows with
its width). express-hello, express-pass and express-sequence run hello,
pass and sequence as EXPRESS machines (in memory, StartSyncExecution;
in process only).

Flags:
`

// cmdBench runs `stepwise bench`.
func cmdBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage); fs.PrintDefaults() }
	workload := fs.String("workload", "sequence", "workload: "+strings.Join(bench.WorkloadNames(), ", ")+", widemap (--items), or a comma-separated list")
	duration := fs.Duration("duration", 0, "how long each run measures (default 20s unless --count)")
	count := fs.Int("count", 0, "executions per run (wait: how many to park; default 10000)")
	conc := fs.String("concurrency", "16", "executions in flight; a comma-separated list runs each level (e.g. 1,16,64)")
	warmup := fs.Int("warmup", 20, "executions run before measuring; 0: none")
	db := fs.String("db", env("STEPWISE_DB", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL URL: the in-process engine's database; with --server, the server's database, read only for commit counts (STEPWISE_DB; with --server and neither set: no commit counts)")
	schema := fs.String("schema", "", "schema for the in-process engine (default: a new stepwise_bench_* schema, dropped at the end)")
	keep := fs.Bool("keep", false, "keep the schema and its executions")
	conns := fs.Int("db-conns", 32, "the in-process engine's Postgres pool size")
	workerConc := fs.Int("worker-concurrency", 256, "tasks the no-op worker runs at once")
	server := fs.String("server", "", "gRPC address of a running stepwise server (default: start one in this process)")
	natsURL := fs.String("nats", env("STEPWISE_NATS_URL", "nats://127.0.0.1:4222"), "with --server: the NATS URL the server dispatches to; the bench's workers connect to it")
	externalNATS := fs.Bool("external-nats", false, "in process: dispatch through the NATS server at --nats (its streams in a namespace of the run's own, deleted at the end) instead of an embedded one, whose memory is then not the bench process's")
	authToken := fs.String("auth-token", env("STEPWISE_AUTH_TOKEN", ""), "with --server: the server's bearer token")
	serverPID := fs.Int("server-pid", 0, "with --server: the server's process id, to report its memory (wait) ")
	jsonOut := fs.String("json", "", "write the results as JSON to this file")
	plotOut := fs.String("plot", "", "write a latency histogram and throughput over time to this .png or .svg file")
	quiet := fs.Bool("quiet", false, "no live progress line")
	items := fs.String("items", "100,1000,3000", "widemap: the Map sizes to run, comma-separated")
	dmapItems := fs.String("dmap-items", "100000", "dmap: the numbers of JSONL items to run, comma-separated")
	dmapConc := fs.Int("dmap-concurrency", 1000, "dmap: the distributed Map's MaxConcurrency")
	dmapExpress := fs.Bool("dmap-express", false, "dmap: run the Map's children as EXPRESS executions (in memory, a row each once ended) instead of STANDARD ones")
	observe := fs.Bool("telemetry", false, "in process: observe the engine as the server does (metrics; traces too when OTEL_EXPORTER_OTLP_ENDPOINT is set, the worker's handler spans included), to measure their cost")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process (the engine, when in process) to this file (go tool pprof)")
	otlpSink := fs.String("otlp-sink", "", "serve only an OTLP/HTTP trace endpoint on this address (e.g. 127.0.0.1:4318) that discards what it receives, until interrupted: point a traced bench run's OTEL_EXPORTER_OTLP_ENDPOINT at it (docs/performance.md)")
	memProfile := fs.String("memprofile", "", "write a heap profile of this process to this file after the last run, before the engine stops (go tool pprof)")
	memProfileAt := fs.Duration("memprofile-at", 0, "with --memprofile: write the heap profile this long into the last run instead (e.g. the middle of a dmap run, where its memory peaks)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if *otlpSink != "" {
		return serveOTLPSink(*otlpSink, stdout, stderr)
	}
	dbSet := false
	fs.Visit(func(f *flag.Flag) { dbSet = dbSet || f.Name == "db" })
	var levels []int
	for _, s := range strings.Split(*conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintf(stderr, "stepwise bench: --concurrency %q: want positive integers\n", *conc)
			return 2
		}
		levels = append(levels, n)
	}
	var loads []bench.Workload
	for _, name := range strings.Split(*workload, ",") {
		if strings.TrimSpace(name) == "widemap" {
			for _, s := range strings.Split(*items, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(s))
				if err != nil || n <= 0 || n > 3500 {
					fmt.Fprintf(stderr, "stepwise bench: --items %q: want integers from 1 to 3500 (AWS's 25,000-event history)\n", *items)
					return 2
				}
				loads = append(loads, bench.WideMap(n))
			}
			continue
		}
		if strings.TrimSpace(name) == "dmap" {
			for _, s := range strings.Split(*dmapItems, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(s))
				if err != nil || n <= 0 || n > 10_000_000 {
					fmt.Fprintf(stderr, "stepwise bench: --dmap-items %q: want integers from 1 to 10,000,000\n", *dmapItems)
					return 2
				}
				loads = append(loads, bench.DMap(n, *dmapConc, dmapBucket, fmt.Sprintf("items-%d.jsonl", n), *dmapExpress))
			}
			continue
		}
		w, err := bench.LoadWorkload(strings.TrimSpace(name))
		if err != nil {
			fmt.Fprintf(stderr, "stepwise bench: %v\n", err)
			return 2
		}
		loads = append(loads, w)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var (
		target    bench.Target
		handlers  = &bench.HandlerClock{}
		tokens    = bench.NewMailbox[string]()
		probe     = &bench.Probe{DB: *db, EnginePID: *serverPID}
		where     string
		dmapStore objects.Store // the dmap workloads' object store, in process
	)
	if *server == "" {
		if *db == "" {
			fmt.Fprintln(stderr, "stepwise bench: --db is required without --server")
			return 2
		}
		lcfg := bench.LocalConfig{DB: *db, Schema: *schema, Keep: *keep, MaxConns: *conns, WorkerConcurrency: *workerConc, Logger: log}
		if *externalNATS {
			lcfg.NATS = *natsURL
		}
		if st, closeObjects, err := dmapObjects(ctx, loads); err != nil {
			fmt.Fprintf(stderr, "stepwise bench: %v\n", err)
			return 1
		} else if st != nil {
			defer closeObjects()
			dmapStore = st
			lcfg.Services = append(lcfg.Services, objects.NewReaderService(st), objects.NewWriterService(st))
		}
		if *observe {
			var cl closers
			defer cl.close(time.Now().Add(10 * time.Second))
			obs, err := newObservability(ctx, &cl)
			if err != nil {
				fmt.Fprintf(stderr, "stepwise bench: %v\n", err)
				return 1
			}
			lcfg.Metrics, lcfg.Tracer, lcfg.WorkerTracing = obs.metrics, obs.tracer, obs.workerTracing()
		}
		l, err := bench.StartLocal(ctx, lcfg)
		if err != nil {
			fmt.Fprintf(stderr, "stepwise bench: %v\n", err)
			return 1
		}
		defer l.Close()
		target, handlers, tokens = l, l.Handlers(), l.Tokens()
		where = fmt.Sprintf("in-process engine on %s (schema %s), embedded NATS", redactURL(*db), l.Schema())
		if *externalNATS {
			where = fmt.Sprintf("in-process engine on %s (schema %s), NATS at %s", redactURL(*db), l.Schema(), redactURL(*natsURL))
		}
	} else {
		if !dbSet && os.Getenv("STEPWISE_DB") == "" {
			probe.DB = "" // count commits only in the server's database, when told which
		}
		r, err := bench.DialRemote(*server, *authToken)
		if err != nil {
			fmt.Fprintf(stderr, "stepwise bench: %v\n", err)
			return 1
		}
		defer r.Close()
		nc, err := nats.Connect(*natsURL, nats.Name("stepwise bench workers"), nats.MaxReconnects(-1))
		if err != nil {
			fmt.Fprintf(stderr, "stepwise bench: connect to NATS %s: %v\n", redactURL(*natsURL), err)
			return 1
		}
		defer nc.Close()
		w, err := bench.NoopWorker(nc, "", *workerConc, log, handlers, tokens, nil)
		if err != nil {
			fmt.Fprintf(stderr, "stepwise bench: %v\n", err)
			return 1
		}
		wctx, wcancel := context.WithCancel(context.Background())
		wdone := make(chan struct{})
		go func() { _ = w.Run(wctx); close(wdone) }()
		defer func() { wcancel(); <-wdone }()
		target = r
		where = "server " + *server + ", workers on " + redactURL(*natsURL)
	}
	var progress io.Writer
	if f, ok := stderr.(*os.File); ok && !*quiet {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			progress = stderr // a terminal: the \r progress line
		}
	}
	fmt.Fprintf(stdout, "stepwise bench: %s\n", where)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "stepwise bench: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "stepwise bench: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	var results []*bench.Result
	for wi, w := range loads {
		for ci, c := range levels {
			if !*quiet {
				fmt.Fprintf(stderr, "running %s at concurrency %d ...\n", w.Name, c)
			}
			bc := bench.Config{
				Workload: w, Concurrency: c, Duration: *duration, Count: *count, Warmup: warmupFlag(*warmup),
				Progress: progress, Probe: probe, Handlers: handlers, Tokens: tokens,
			}
			if strings.HasPrefix(w.Name, "dmap-") {
				if *server != "" {
					fmt.Fprintln(stderr, "stepwise bench: dmap runs in process only (it serves its items itself)")
					return 2
				}
				bc.Concurrency, bc.Duration, bc.Count, bc.Warmup = 1, 0, 1, -1 // one Map Run, timed whole
				bc.ExecutionTimeout = 30 * time.Minute                         // 100,000 items on a loaded machine take more than the default 5
			}
			var midProfile *time.Timer
			if *memProfile != "" && *memProfileAt > 0 && wi == len(loads)-1 && ci == len(levels)-1 {
				midProfile = time.AfterFunc(*memProfileAt, func() {
					if err := writeHeapProfile(*memProfile); err != nil {
						fmt.Fprintf(stderr, "stepwise bench: %v\n", err)
					}
				})
			}
			var mem *goMemory
			if strings.HasPrefix(w.Name, "dmap-") {
				mem = sampleGoMemory()
			}
			res, err := bench.Run(ctx, target, bc)
			if mem != nil {
				mem.Stop()
			}
			if midProfile != nil && midProfile.Stop() {
				fmt.Fprintf(stderr, "stepwise bench: the last run took less than --memprofile-at %v: no heap profile\n", *memProfileAt)
			}
			if err != nil {
				fmt.Fprintf(stderr, "stepwise bench: %s: %v\n", w.Name, err)
				return 1
			}
			res.Target = where
			results = append(results, res)
			if items, ok := dmapSize(w.Name); ok && dmapStore != nil && res.Failed+res.Errors == 0 {
				rss := peakRSS() // before the check, which reads the results files into memory
				summary, err := checkDMapResults(ctx, dmapStore, items)
				if err != nil {
					fmt.Fprintf(stderr, "stepwise bench: %s: ResultWriter output: %v\n", w.Name, err)
					return 1
				}
				in := "engine, NATS, S3, workers"
				if *externalNATS {
					in = "engine, S3, workers"
				}
				fmt.Fprintf(stdout, "%s: %s; peak RSS of the bench process (%s) %.0f MB (Go: live heap at most %.0f MB, memory held at most %.0f MB)\n",
					w.Name, summary, in, rss, float64(mem.Live)/(1<<20), float64(mem.Held)/(1<<20))
			}
			if ctx.Err() != nil {
				break
			}
		}
	}
	if *memProfile != "" && *memProfileAt <= 0 {
		if err := writeHeapProfile(*memProfile); err != nil {
			fmt.Fprintf(stderr, "stepwise bench: %v\n", err)
			return 1
		}
	}
	fmt.Fprintln(stdout)
	bench.WriteSummary(stdout, results)
	if *jsonOut != "" {
		if err := bench.WriteJSON(*jsonOut, results); err != nil {
			fmt.Fprintf(stderr, "stepwise bench: %v\n", err)
			return 1
		}
	}
	if *plotOut != "" {
		if err := bench.WritePlot(*plotOut, results); err != nil {
			fmt.Fprintf(stderr, "stepwise bench: %v\n", err)
			return 1
		}
	}
	for _, r := range results {
		if r.Failed+r.Errors > 0 {
			return 1
		}
	}
	return 0
}

// serveOTLPSink serves a bench.OTLPSink on addr until SIGINT or SIGTERM,
// then prints what it received.
func serveOTLPSink(addr string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "stepwise bench: --otlp-sink: %v\n", err)
		return 1
	}
	sink := &bench.OTLPSink{}
	srv := &http.Server{Handler: sink, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	fmt.Fprintf(stdout, "stepwise bench: OTLP/HTTP sink on http://%s (discarding)\n", ln.Addr())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "stepwise bench: --otlp-sink: %v\n", err)
		return 1
	}
	n, b := sink.Received()
	fmt.Fprintf(stdout, "stepwise bench: OTLP/HTTP sink received %d exports, %d bytes\n", n, b)
	return 0
}

// warmupFlag maps the flag (0: none) to bench.Config.Warmup (0: default,
// negative: none).
func warmupFlag(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// writeHeapProfile writes the heap profile of this process to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
