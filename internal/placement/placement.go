// Package placement is the routing of executions across several
// PostgreSQL databases, for installations with more executions than one
// database holds: where a new execution goes, which database holds an
// existing one, and how a database is added without moving any
// execution. It is the design of docs/scaling.md, tested here; no part of
// the engine or the stores uses it yet.
//
// The model:
//
//   - Every database has a permanent number, a [DB]. The database an
//     installation started with is DB 0; numbers are never reused.
//   - An execution's internal id carries its database in its top bits
//     ([ExecutionID], [DBOf]), and so does every task token, which starts
//     with the execution id. Worker results, heartbeats, callbacks, timers
//     and child-to-parent answers are routed by id with no lookup. The
//     ids of an installation from before placement (below 2^47) are DB 0's.
//   - An execution's ARN is AWS's (state machine and the name the client
//     chose), so it cannot carry a database. It is routed by its key
//     (state machine and name, [KeyOfARN]) with weighted rendezvous
//     hashing over the databases of a [Table] generation: a pure function
//     every replica computes from the table it holds in memory, with no
//     directory round trip.
//   - The table only grows, by generations ([Table.Next]): a generation
//     lists every database with its weight, its share of new executions
//     (0: it takes no new ones, as a full one). A new execution is placed
//     by the newest generation ([Table.Place]); an existing one stays
//     where it was placed, and is found among [Table.Candidates]: the
//     database each generation, newest first, gives its key. Adding a
//     database moves only some new placements to it, never a row.
//
// It imports only the standard library and internal/arn.
package placement

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/stepwise-dev/stepwise/internal/arn"
)

// DB is a database's permanent number. DB 0 is the database an
// installation started with.
type DB uint16

// Member is a database of a generation with its weight.
type Member struct {
	DB DB
	// Weight is the database's share of new executions against the sum of
	// the generation's weights: 2 takes twice the executions of 1; 0 takes
	// none (the database is full, or draining to be archived).
	Weight int
}

// Generation is one version of the placement: every database of the
// installation, each with its weight.
type Generation []Member

// Table is the generations of an installation's placement, oldest first.
// A Table is immutable: Next returns a new one, so replicas may share one
// between goroutines and swap it when the stored table changes.
type Table struct {
	gens []Generation
}

// New returns a table whose only generation is g.
func New(g Generation) (*Table, error) {
	if err := validate(g, nil); err != nil {
		return nil, err
	}
	return &Table{gens: []Generation{clone(g)}}, nil
}

// Next returns a table with one more generation, g. A generation keeps
// every database of the one before (its executions stay there; it may get
// weight 0) and adds any number of new ones. At least one database must
// have a positive weight.
func (t *Table) Next(g Generation) (*Table, error) {
	if err := validate(g, t.gens[len(t.gens)-1]); err != nil {
		return nil, err
	}
	gens := make([]Generation, len(t.gens), len(t.gens)+1)
	copy(gens, t.gens)
	return &Table{gens: append(gens, clone(g))}, nil
}

// Generations returns how many generations the table has.
func (t *Table) Generations() int { return len(t.gens) }

// Generation returns generation i (0 the oldest), a copy.
func (t *Table) Generation(i int) Generation { return clone(t.gens[i]) }

// Place returns the database a new execution with key goes to: the
// winner of key in the newest generation. The same key and table always
// give the same database.
func (t *Table) Place(key string) DB {
	return winner(t.gens[len(t.gens)-1], hashKey(key))
}

// Candidates returns the databases an existing execution with key may be
// on, the most likely first: the database each generation gives the key,
// from the newest to the oldest, each once. An execution placed by any
// generation of t is on one of them. With one generation, or when the key
// won in the same database in every generation, there is one candidate.
func (t *Table) Candidates(key string) []DB {
	h := hashKey(key)
	var out []DB
	for i := len(t.gens) - 1; i >= 0; i-- {
		db := winner(t.gens[i], h)
		seen := false
		for _, d := range out {
			seen = seen || d == db
		}
		if !seen {
			out = append(out, db)
		}
	}
	return out
}

// Key is the placement key of an execution: its state machine and its
// name, unique in an installation as AWS's execution ARNs are.
func Key(stateMachine, name string) string { return stateMachine + ":" + name }

// KeyOfARN returns the placement key of an execution ARN
// (arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME).
func KeyOfARN(executionARN string) (string, error) {
	x, err := arn.ParseStates(executionARN)
	name := strings.Join(x.Rest, ":") // all that follows the machine: the key holds whatever name it is given
	if err != nil || x.Type != arn.TypeExecution || name == "" {
		return "", fmt.Errorf("placement: %q is not an execution ARN", executionARN)
	}
	return Key(x.Name, name), nil
}

// seqBits is how many low bits of an execution id count within its
// database: 2^47 (1.4 × 10^14) executions per database; the 16 bits above
// are the DB, the sign bit stays 0.
const seqBits = 47

// MaxSeq is the largest per-database sequence number an id can carry.
const MaxSeq = 1<<seqBits - 1

// ExecutionID returns the id of the seq-th execution of db: what db's
// identity column yields when it starts at ExecutionID(db, 1).
func ExecutionID(db DB, seq int64) (int64, error) {
	if seq <= 0 || seq > MaxSeq {
		return 0, fmt.Errorf("placement: sequence %d out of range 1..%d", seq, int64(MaxSeq))
	}
	return int64(db)<<seqBits | seq, nil
}

// DBOf returns the database of an execution id (and so of its task
// tokens, which start with it).
func DBOf(id int64) DB { return DB(uint64(id) >> seqBits) }

// winner is the weighted rendezvous (highest random weight) choice: each
// database scores -weight / ln(u), u uniform in (0, 1) from the key's and
// the database's hashes, and the highest score wins. A database wins a
// share of keys proportional to its weight, and adding one takes keys only
// to itself.
func winner(g Generation, h uint64) DB {
	best, bestScore := DB(0), math.Inf(-1)
	for _, m := range g {
		if m.Weight <= 0 {
			continue
		}
		x := mix(h ^ mix(uint64(m.DB)+0x9e3779b97f4a7c15))
		u := (float64(x>>11) + 0.5) / (1 << 53) // in (0, 1)
		score := -float64(m.Weight) / math.Log(u)
		if score > bestScore || (score == bestScore && m.DB < best) {
			best, bestScore = m.DB, score
		}
	}
	return best
}

// hashKey is 64-bit FNV-1a, then mixed: the same in every process and
// release, which the placement of stored executions depends on.
func hashKey(key string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	return mix(h)
}

// mix is SplitMix64's finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func validate(g, prev Generation) error {
	var errs []error
	seen := map[DB]bool{}
	total := 0
	for _, m := range g {
		if seen[m.DB] {
			errs = append(errs, fmt.Errorf("database %d listed twice", m.DB))
		}
		seen[m.DB] = true
		if m.Weight < 0 {
			errs = append(errs, fmt.Errorf("database %d has a negative weight %d", m.DB, m.Weight))
		}
		total += max(m.Weight, 0)
	}
	for _, m := range prev {
		if !seen[m.DB] {
			errs = append(errs, fmt.Errorf("database %d of the previous generation is missing (a database never leaves; give it weight 0)", m.DB))
		}
	}
	if total == 0 {
		errs = append(errs, errors.New("no database takes new executions (every weight is 0)"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("placement: bad generation: %w", errors.Join(errs...))
	}
	return nil
}

func clone(g Generation) Generation { return append(Generation(nil), g...) }
