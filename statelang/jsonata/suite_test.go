package jsonata

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// suiteFloor is the number of suite cases (without $eval) that must pass;
// raise it as the implementation improves.
const suiteFloor = 1610

type suiteCase struct {
	group     string
	name      string
	expr      string
	input     any
	bindings  map[string]any
	result    any
	hasResult bool
	undefined bool
	code      string
	timelimit int
	depth     int
	unordered bool
}

func findSuite(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Skip("no working directory")
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("repository root not found")
		}
		dir = parent
	}
	suite := filepath.Join(dir, "..", "shared", "jsonata-suite")
	if _, err := os.Stat(filepath.Join(suite, "groups")); err != nil {
		t.Skip("jsonata-suite not present at ../shared/jsonata-suite")
	}
	return suite
}

func loadSuite(t testing.TB, suite string) []suiteCase {
	datasets := map[string]any{}
	files, _ := filepath.Glob(filepath.Join(suite, "datasets", "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, err := parseJSONInternal(string(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		datasets[strings.TrimSuffix(filepath.Base(f), ".json")] = v
	}
	var cases []suiteCase
	groups, _ := filepath.Glob(filepath.Join(suite, "groups", "*"))
	for _, g := range groups {
		group := filepath.Base(g)
		cfiles, _ := filepath.Glob(filepath.Join(g, "*.json"))
		for _, cf := range cfiles {
			b, err := os.ReadFile(cf)
			if err != nil {
				t.Fatal(err)
			}
			v, err := parseJSONInternal(string(b))
			if err != nil {
				t.Fatalf("%s: %v", cf, err)
			}
			var objs []*Object
			switch x := v.(type) {
			case *Object:
				objs = []*Object{x}
			case *array:
				for _, it := range x.items {
					objs = append(objs, it.(*Object))
				}
			}
			for i, o := range objs {
				c := suiteCase{group: group, name: strings.TrimSuffix(filepath.Base(cf), ".json")}
				if len(objs) > 1 {
					c.name += "[" + itoa(i) + "]"
				}
				if e, ok := o.Get("expr"); ok {
					c.expr, _ = e.(string)
				} else if ef, ok := o.Get("expr-file"); ok {
					eb, err := os.ReadFile(filepath.Join(g, ef.(string)))
					if err != nil {
						t.Fatal(err)
					}
					c.expr = string(eb)
				}
				if d, ok := o.Get("data"); ok {
					c.input = d
				} else if ds, ok := o.Get("dataset"); ok {
					if name, ok := ds.(string); ok {
						c.input = datasets[name]
					}
				}
				if bo, ok := o.Get("bindings"); ok {
					if bobj, ok := bo.(*Object); ok && bobj.Len() > 0 {
						c.bindings = map[string]any{}
						for _, k := range bobj.Keys() {
							c.bindings[k] = bobj.vals[k]
						}
					}
				}
				if r, ok := o.Get("result"); ok {
					c.result, c.hasResult = r, true
				}
				if u, ok := o.Get("undefinedResult"); ok && u == true {
					c.undefined = true
				}
				if code, ok := o.Get("code"); ok {
					c.code, _ = code.(string)
				}
				if eo, ok := o.Get("error"); ok {
					if eobj, ok := eo.(*Object); ok {
						if code, ok := eobj.Get("code"); ok {
							c.code, _ = code.(string)
						}
					}
				}
				if tl, ok := o.Get("timelimit"); ok {
					if f, ok := tl.(float64); ok {
						c.timelimit = int(f)
					}
				}
				if d, ok := o.Get("depth"); ok {
					if f, ok := d.(float64); ok {
						c.depth = int(f)
					}
				}
				if u, ok := o.Get("unordered"); ok && u == true {
					c.unordered = true
				}
				cases = append(cases, c)
			}
		}
	}
	return cases
}

func itoa(i int) string { return FormatNumber(float64(i)) }

// runCase returns "" when the case passes, or a description of the failure.
func runCase(c suiteCase) string {
	e, err := Compile(c.expr)
	if err != nil {
		var je *Error
		if errors.As(err, &je) && c.code != "" && je.Code == c.code {
			return ""
		}
		return "compile error: " + err.Error()
	}
	opts := &Options{Bindings: map[string]any{}, TimeLimit: 5 * time.Second}
	for k, v := range c.bindings {
		opts.Bindings[k] = exportInner(v)
	}
	if c.timelimit > 0 {
		opts.TimeLimit = time.Duration(c.timelimit) * time.Millisecond
	}
	if c.depth > 0 {
		opts.MaxDepth = c.depth
	}
	input := any(Undefined)
	if c.input != nil {
		input = c.input
	}
	got, err := e.eval(context.Background(), input, opts)
	if c.code != "" {
		if err == nil {
			return "expected error " + c.code + ", got " + Marshal(got)
		}
		var je *Error
		if errors.As(err, &je) && je.Code == c.code {
			return ""
		}
		return "expected error " + c.code + ", got " + err.Error()
	}
	if err != nil {
		return "error: " + err.Error()
	}
	if c.undefined {
		if got == nil {
			return ""
		}
		return "expected undefined, got " + Marshal(got)
	}
	if !c.hasResult {
		return ""
	}
	if got == nil {
		return "got undefined, want " + Marshal(c.result)
	}
	if resultEqual(got, c.result, c.unordered) {
		return ""
	}
	return "got " + Marshal(got) + ", want " + Marshal(c.result)
}

func resultEqual(got, want any, unordered bool) bool {
	switch w := want.(type) {
	case *array:
		g, ok := got.(*array)
		if !ok {
			return false
		}
		gi := make([]any, 0, len(g.items))
		for _, x := range g.items {
			if x != nil {
				gi = append(gi, x)
			}
		}
		if len(gi) != len(w.items) {
			return false
		}
		if unordered {
			used := make([]bool, len(gi))
		outer:
			for _, wv := range w.items {
				for i, gv := range gi {
					if !used[i] && resultEqual(gv, wv, true) {
						used[i] = true
						continue outer
					}
				}
				return false
			}
			return true
		}
		for i := range gi {
			if !resultEqual(gi[i], w.items[i], false) {
				return false
			}
		}
		return true
	case *Object:
		var g *Object
		switch x := got.(type) {
		case *Object:
			g = x
		case *tuple:
			return resultEqual(x.at(), want, unordered)
		default:
			return false
		}
		gk := 0
		for _, k := range g.keys {
			if g.vals[k] != nil && !isFunction(g.vals[k]) {
				gk++
			} else if isFunction(g.vals[k]) {
				gk++
			}
		}
		if gk != w.Len() {
			return false
		}
		for _, k := range w.keys {
			gv, ok := g.vals[k]
			if !ok {
				return false
			}
			if isFunction(gv) {
				gv = ""
			}
			if !resultEqual(gv, w.vals[k], unordered) {
				return false
			}
		}
		return true
	case float64:
		g, ok := got.(float64)
		if !ok {
			return false
		}
		return g == w || math.Abs(g-w) <= 1e-12*math.Max(math.Abs(g), math.Abs(w))
	case string:
		if isFunction(got) {
			return w == ""
		}
	}
	if t, ok := got.(*tuple); ok {
		got = t.at()
	}
	return strictEqual(got, want)
}

func TestJSONataSuite(t *testing.T) {
	suite := findSuite(t)
	cases := loadSuite(t, suite)
	type counts struct{ pass, fail int }
	byGroup := map[string]*counts{}
	pass, fail, skipped := 0, 0, 0
	verbose := os.Getenv("JSONATA_SUITE_VERBOSE") != ""
	only := os.Getenv("JSONATA_SUITE_GROUP")
	for _, c := range cases {
		if strings.Contains(c.expr, "$eval") {
			skipped++
			continue
		}
		if only != "" && c.group != only {
			continue
		}
		gc := byGroup[c.group]
		if gc == nil {
			gc = &counts{}
			byGroup[c.group] = gc
		}
		msg := runCase(c)
		if msg == "" {
			pass++
			gc.pass++
		} else {
			fail++
			gc.fail++
			if verbose {
				t.Logf("FAIL %s/%s: %s\n    expr: %s", c.group, c.name, msg, c.expr)
			}
		}
	}
	names := make([]string, 0, len(byGroup))
	for g := range byGroup {
		names = append(names, g)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, g := range names {
		gc := byGroup[g]
		if gc.fail > 0 {
			b.WriteString("  " + g + ": " + itoa(gc.pass) + " passed, " + itoa(gc.fail) + " failed\n")
		}
	}
	t.Logf("groups with failures:\n%s", b.String())
	t.Logf("jsonata-suite: %d passed, %d failed (%d cases using $eval skipped)", pass, fail, skipped)
	if only == "" && pass < suiteFloor {
		t.Errorf("jsonata-suite: %d passed, want at least %d", pass, suiteFloor)
	}
}
