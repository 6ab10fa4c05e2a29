package placement

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestExecutionID(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		db  DB
		seq int64
	}{{0, 1}, {0, MaxSeq}, {1, 1}, {7, 123456789}, {65535, MaxSeq}} {
		id, err := ExecutionID(c.db, c.seq)
		if err != nil || id <= 0 {
			t.Errorf("ExecutionID(%d, %d) = %d, %v; want a positive id", c.db, c.seq, id, err)
			continue
		}
		if got := DBOf(id); got != c.db {
			t.Errorf("DBOf(ExecutionID(%d, %d)) = %d; want %d", c.db, c.seq, got, c.db)
		}
	}
	for _, seq := range []int64{0, -1, MaxSeq + 1} {
		if _, err := ExecutionID(1, seq); err == nil {
			t.Errorf("ExecutionID(1, %d) = nil error; want out of range", seq)
		}
	}
	// Ids of an installation from before placement are DB 0's.
	if got := DBOf(98765); got != 0 {
		t.Errorf("DBOf(98765) = %d; want 0", got)
	}
}

func TestKeyOfARN(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ arn, want string }{
		{"arn:aws:states:us-east-1:111111111111:execution:flow:one", "flow:one"},
		{"arn:aws:states:eu-west-1:222222222222:execution:m:a:b", "m:a:b"},
		{"arn:aws:states:us-east-1:111111111111:stateMachine:flow", ""},
		{"arn:aws:states:us-east-1:111111111111:execution:flow:", ""},
		{"flow:one", ""},
	} {
		got, err := KeyOfARN(c.arn)
		if c.want == "" {
			if err == nil {
				t.Errorf("KeyOfARN(%q) = %q; want an error", c.arn, got)
			}
		} else if err != nil || got != c.want {
			t.Errorf("KeyOfARN(%q) = %q, %v; want %q", c.arn, got, err, c.want)
		}
	}
}

func TestGenerationValidation(t *testing.T) {
	t.Parallel()
	if _, err := New(Generation{{0, 0}}); err == nil {
		t.Error("New(every weight 0) = nil error")
	}
	if _, err := New(Generation{{0, 1}, {0, 1}}); err == nil {
		t.Error("New(a database twice) = nil error")
	}
	tb, err := New(Generation{{0, 1}, {1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tb.Next(Generation{{1, 1}, {2, 1}})
	if err == nil || !strings.Contains(err.Error(), "database 0 of the previous generation is missing") {
		t.Errorf("Next(without database 0) = %v; want database 0 missing", err)
	}
	if _, err := tb.Next(Generation{{0, 0}, {1, 0}, {2, -1}}); err == nil {
		t.Error("Next(a negative weight, no positive one) = nil error")
	}
	if tb.Generations() != 1 {
		t.Errorf("a failed Next changed the table: %d generations", tb.Generations())
	}
}

// store is a simulated installation: executions placed on databases,
// each database numbering its own.
type store struct {
	on  map[string]int64 // key → execution id (its DB in the top bits)
	seq map[DB]int64
	per map[DB]int
}

func (s *store) start(t *testing.T, tb *Table, key string) DB {
	t.Helper()
	// A start looks among the candidates first, as StartExecution would
	// (AWS's names are unique per state machine).
	if id, ok := s.on[key]; ok {
		if !slices.Contains(tb.Candidates(key), DBOf(id)) {
			t.Fatalf("existing execution %s on database %d is not among the candidates %v", key, DBOf(id), tb.Candidates(key))
		}
		return DBOf(id)
	}
	db := tb.Place(key)
	s.seq[db]++
	id, err := ExecutionID(db, s.seq[db])
	if err != nil {
		t.Fatal(err)
	}
	s.on[key] = id
	s.per[db]++
	return db
}

// TestSimulation places executions over four generations and checks that
// each generation's new executions are spread by its weights, that adding
// a database takes new keys only to the new one, and that every execution
// stays where it was placed and is found on the first or a later
// candidate. "grow" only adds databases, each with weight 1; "fill" adds a
// third with twice the weight, then a fourth while the first, full, takes
// no more, then evens the weights.
func TestSimulation(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		gens []Generation
	}{
		{"grow", []Generation{
			{{0, 1}, {1, 1}},
			{{0, 1}, {1, 1}, {2, 1}},
			{{0, 1}, {1, 1}, {2, 1}, {3, 1}},
			{{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}},
		}},
		{"fill", []Generation{
			{{0, 1}, {1, 1}},
			{{0, 1}, {1, 1}, {2, 2}},
			{{0, 0}, {1, 1}, {2, 2}, {3, 2}},
			{{0, 0}, {1, 1}, {2, 1}, {3, 1}, {4, 1}},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			simulate(t, c.gens)
		})
	}
}

func simulate(t *testing.T, gens []Generation) {
	const perPhase = 60000
	s := &store{on: map[string]int64{}, seq: map[DB]int64{}, per: map[DB]int{}}
	var tb *Table
	var report []string
	for phase, g := range gens {
		var err error
		if tb == nil {
			tb, err = New(g)
		} else {
			prev := tb
			tb, err = tb.Next(g)
			if err == nil {
				checkOnlyToNew(t, prev, tb, g)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		placed := map[DB]int{}
		for i := range perPhase {
			placed[s.start(t, tb, Key("flow", fmt.Sprintf("gen%d-%d", phase, i)))]++
		}
		// A replay of earlier starts finds them and places nothing.
		for i := range 1000 {
			s.start(t, tb, Key("flow", fmt.Sprintf("gen0-%d", i)))
		}
		total := 0
		for _, m := range g {
			total += m.Weight
		}
		var row []string
		for _, m := range g {
			want := float64(m.Weight) / float64(total)
			got := float64(placed[m.DB]) / perPhase
			if math.Abs(got-want) > 0.02 {
				t.Errorf("generation %d: database %d took %.3f of the new executions; want %.3f ± 0.02", phase+1, m.DB, got, want)
			}
			row = append(row, fmt.Sprintf("db%d %5.1f%% (w %d)", m.DB, 100*got, m.Weight))
		}
		report = append(report, fmt.Sprintf("generation %d, new executions: %s", phase+1, strings.Join(row, ", ")))
	}

	// Nothing moved: every execution is where it was placed, its id says
	// so, and the final table's candidates include it.
	probes, first, most := 0, 0, 0
	for key, id := range s.on {
		c := tb.Candidates(key)
		k := slices.Index(c, DBOf(id))
		if k < 0 {
			t.Fatalf("execution %s on database %d: not among the candidates %v", key, DBOf(id), c)
		}
		probes += k + 1
		if k == 0 {
			first++
		}
		most = max(most, k+1)
	}
	n := len(s.on)
	var totals []string
	for db := range DB(5) {
		totals = append(totals, fmt.Sprintf("db%d %d", db, s.per[db]))
	}
	report = append(report,
		fmt.Sprintf("stored: %s (%d executions, none moved)", strings.Join(totals, ", "), n),
		fmt.Sprintf("ARN lookups: %.1f%% on the first candidate, %.3f probes on average, at most %d", 100*float64(first)/float64(n), float64(probes)/float64(n), most))
	for _, l := range report {
		t.Log(l)
	}
	if most > tb.Generations() {
		t.Errorf("a lookup took %d probes; want at most the %d generations", most, tb.Generations())
	}
}

// checkOnlyToNew: where next only adds databases to prev (the weights of
// the old ones unchanged), a key placed differently by next is placed on
// a new database.
func checkOnlyToNew(t *testing.T, prev, next *Table, g Generation) {
	t.Helper()
	old := prev.Generation(prev.Generations() - 1)
	for _, m := range old {
		if !slices.Contains(g, m) {
			return // weights changed: keys may move between old databases too
		}
	}
	for i := range 20000 {
		key := Key("probe", fmt.Sprint(i))
		if a, b := prev.Place(key), next.Place(key); a != b && slices.ContainsFunc(old, func(m Member) bool { return m.DB == b }) {
			t.Fatalf("Place(%q) = %d before adding databases, %d after: a key moved between old databases", key, a, b)
		}
	}
}

func BenchmarkPlace(b *testing.B) {
	tb, _ := New(Generation{{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}, {7, 1}})
	for i := 0; b.Loop(); i++ {
		tb.Place(Key("flow", fmt.Sprint(i)))
	}
}
