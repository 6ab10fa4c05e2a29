// Package memory is an engine.Store (and schedule.Store) kept entirely in
// the process's memory: plain maps and slices behind two mutexes, no SQL,
// no file. It is for tests that need a real store without a database, for
// `stepwise dev --db memory` (a throwaway dev server), and as the store an
// in-memory runner could use later. It is NOT durable: everything it holds
// is lost when the process exits, and nothing is shared between
// processes.
//
// It passes the same conformance suites as store/postgres and
// store/sqlite (storetest.Run, storetest.RunBacklog and
// storetest.RunSchedules) and keeps their semantics, read from their named
// queries: the version-checked Commit (engine.ErrConflict), CommitGroup
// all or nothing, leased claims of timers, undispatched tasks and due
// schedules, history kept in chunks (store/internal/histchunk, not
// compressed: in memory the DEFLATE cost more time than its bytes are
// worth) and read page by page as the SQL stores read it, tags limits,
// revisions, published versions and aliases, Map Runs with their children
// counted when read, redrive windows, activities and their task claims.
// Times are kept at microsecond precision in UTC, as the SQL stores keep
// them.
//
// Nothing aliases the caller: byte slices, states and parts are copied on
// the way in and out, and every returned *engine.Execution is a copy.
//
// # Concurrency
//
// The store has one writer at a time, as SQLite does. w serialises the
// methods that write; mu guards the data. A writer takes w, then mu (never
// the other order), and holds mu only while it reads or changes the maps:
// CommitGroup and CreateExecution release it while their callback decides,
// so the callback may read the store (the engine reads state machines
// there), and what they write becomes visible at once, all or nothing,
// under one hold of mu. Readers take mu only (shared).
//
// It imports engine, statelang, schedule and store/internal, and no other
// Stepwise package.
package memory
