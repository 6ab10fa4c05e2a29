//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import "os"

// tryLock reports that this system has no flock: dev mode runs without
// the data dir's lock here.
func tryLock(*os.File) (bool, error) { return false, errNoLock }
