package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Probe reads the resources a run used: this process's CPU (getrusage),
// the CPU of the machine's postgres processes (/proc), the database's
// commit counter, and the engine's memory.
type Probe struct {
	// DB is a connection string for reading pg_stat_database; "": no
	// commit counts.
	DB string
	// EnginePID is the engine's process when it is not this one (Remote);
	// 0: this process.
	EnginePID int
	// FlushWait is how long to let idle backends flush their statistics
	// before reading the commit counter. Defaults to 1.2s (Postgres
	// flushes an idle backend's counters at most once a second).
	FlushWait time.Duration
}

// Usage is a reading of cumulative counters.
type Usage struct {
	CPU         float64 // seconds, this process and EnginePID's (user + system)
	PostgresCPU float64 // seconds, postgres processes (their children included)
	Commits     int64   // pg_stat_database.xact_commit; -1: unknown
}

// Read returns the current counters.
func (p *Probe) Read(ctx context.Context) (Usage, error) {
	u := Usage{CPU: p.cpu(), PostgresCPU: postgresCPU(), Commits: -1}
	if p.DB == "" {
		return u, nil
	}
	wait := p.FlushWait
	if wait <= 0 {
		wait = 1200 * time.Millisecond
	}
	select {
	case <-time.After(wait):
	case <-ctx.Done():
		return u, ctx.Err()
	}
	conn, err := pgx.Connect(ctx, p.DB)
	if err != nil {
		return u, fmt.Errorf("probe: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_stat_clear_snapshot()"); err != nil {
		return u, fmt.Errorf("probe: %w", err)
	}
	if err := conn.QueryRow(ctx, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").Scan(&u.Commits); err != nil {
		return u, fmt.Errorf("probe: %w", err)
	}
	// This probe's own connection commits a few times; they are noise
	// next to a run's thousands.
	u.CPU, u.PostgresCPU = p.cpu(), postgresCPU()
	return u, nil
}

// Memory returns the engine's resident set (after a GC when the engine is
// this process).
func (p *Probe) Memory() (WaitPoint, error) {
	if p.EnginePID != 0 {
		rss, err := rssOf(p.EnginePID)
		return WaitPoint{RSSBytes: rss}, err
	}
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, err := rssOf(os.Getpid())
	return WaitPoint{RSSBytes: rss, HeapBytes: int64(ms.HeapInuse), Goroutines: runtime.NumGoroutine()}, err
}

// cpu is this process's CPU plus the engine's when it runs elsewhere.
func (p *Probe) cpu() float64 {
	c := selfCPU()
	if p.EnginePID != 0 {
		c += float64(procTicks(p.EnginePID, false)) / clockTicks
	}
	return c
}

func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

// postgresCPU sums utime+stime+cutime+cstime of processes named postgres
// (the postmaster's cutime/cstime hold the backends that exited). 0 when
// /proc is not readable.
func postgresCPU() float64 {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var ticks int64
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err == nil {
			ticks += procTicks(pid, true)
		}
	}
	return float64(ticks) / clockTicks
}

// procTicks reads a process's utime+stime (and, with postgresOnly, also
// cutime+cstime, and only when the process is named postgres) in clock
// ticks; 0 when unreadable.
func procTicks(pid int, postgresOnly bool) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	open, close := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || close < open {
		return 0
	}
	if postgresOnly && string(b[open+1:close]) != "postgres" {
		return 0
	}
	fields := strings.Fields(string(b[close+1:]))
	// fields[0] is the state (field 3); utime is field 14 → index 11.
	if len(fields) < 15 {
		return 0
	}
	idx := []int{11, 12}
	if postgresOnly {
		idx = append(idx, 13, 14)
	}
	var ticks int64
	for _, i := range idx {
		v, _ := strconv.ParseInt(fields[i], 10, 64)
		ticks += v
	}
	return ticks
}

func rssOf(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
