package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// lockName is the lock file `stepwise dev` keeps in its data dir.
const lockName = "stepwise.lock"

// fileLock is an exclusive OS lock (flock) on a file, held until Close or
// until the process exits, however it exits: the kernel releases it, so a
// lock file left behind by a killed process does not count. The file
// says who holds the lock: "pid=…" and, once the holder listens,
// "http=…".
type fileLock struct {
	f    *os.File
	path string
}

// errNoLock is what lockFile returns where the system has no flock.
var errNoLock = errors.New("file locks are not supported on this system")

// inUseError is returned by lockFile when another process holds the lock.
type inUseError struct {
	Path string
	PID  int    // 0: unknown
	HTTP string // "": not yet written (the holder is starting)
}

func (e *inUseError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = "process " + strconv.Itoa(e.PID)
	}
	where := "still starting"
	if e.HTTP != "" {
		where = "HTTP " + e.HTTP
	}
	return fmt.Sprintf("%s is locked by %s (%s)", e.Path, who, where)
}

// lockFile creates path if needed and takes its lock without waiting. If
// another process holds it, the error is an *inUseError naming that
// process as the file describes it. On systems without flock it returns
// a nil lock and errNoLock.
func lockFile(path string) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	ok, err := tryLock(f)
	if err != nil {
		f.Close()
		if errors.Is(err, errNoLock) {
			return nil, err
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		f.Close()
		return nil, readHolder(path)
	}
	l := &fileLock{f: f, path: path}
	if err := l.describe(""); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// describe writes this process's id and, when known, its HTTP URL into
// the lock file.
func (l *fileLock) describe(httpURL string) error {
	s := "pid=" + strconv.Itoa(os.Getpid()) + "\n"
	if httpURL != "" {
		s += "http=" + httpURL + "\n"
	}
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("write %s: %w", l.path, err)
	}
	if _, err := l.f.WriteAt([]byte(s), 0); err != nil {
		return fmt.Errorf("write %s: %w", l.path, err)
	}
	return nil
}

// Close releases the lock. The file stays: removing it would let a third
// process lock a new file while a second still holds the old one.
func (l *fileLock) Close() {
	if l != nil {
		_ = l.f.Close()
	}
}

// readHolder reads who holds the lock on path.
func readHolder(path string) *inUseError {
	e := &inUseError{Path: path}
	b, _ := os.ReadFile(path)
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "pid":
			e.PID, _ = strconv.Atoi(v)
		case "http":
			e.HTTP = v
		}
	}
	return e
}
