// Package conformance loads the AWS-recorded ASL scenarios of
// shared/conformance/corpus.json and compares an execution's outcome with
// what AWS answered, the way shared/conformance/run.py does: the same
// normalisation (account, region, partition, names, ISO-8601 → "date") and
// the same wildcard placeholders. Tests of statelang and engine use it.
package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ohler55/ojg/oj"

	"github.com/stepwise-dev/stepwise/statelang"
)

// Scenario is one recorded case.
type Scenario struct {
	ID               string
	Category         string
	Kind             string
	Requires         string
	Runnable         bool
	AWSValidated     bool
	StateMachineType string
	Definition       string
	Input            *string
	Expected         map[string]any
	Features         []string
	Placeholders     []string
	SkipReasons      []string
	Normalise        map[string]any
	Operation        string
	Request          map[string]any
	Wait             map[string]any
	Needs            map[string]any
	// TestStateRequest is the recorded TestState request of a test_state
	// scenario, besides its definition and input.
	TestStateRequest map[string]any
}

// Path finds corpus.json: $STEPWISE_CONFORMANCE_CORPUS, or shared/ beside
// the repository (../shared from the repository root). It returns "" when
// there is none.
func Path() string {
	if p := os.Getenv("STEPWISE_CONFORMANCE_CORPUS"); p != "" {
		return p
	}
	dir, _ := os.Getwd()
	for i := 0; i < 6; i++ {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "..", "shared", "conformance", "corpus.json")
			if _, err := os.Stat(p); err == nil {
				return p
			}
			return ""
		}
		dir = filepath.Dir(dir)
	}
	return ""
}

// LoadOrSkip loads the corpus for a test, which it skips when there is
// none (a fresh clone has no ../shared) and fails when it cannot be read.
func LoadOrSkip(t testing.TB) []*Scenario {
	t.Helper()
	path := Path()
	if path == "" {
		t.Skip("../shared/conformance/corpus.json is absent")
	}
	scs, err := Load(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return scs
}

// Load reads every scenario of the corpus.
func Load(path string) ([]*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// statelang.ParseJSON, not oj.Parse: ojg reads escaped surrogate
	// pairs ("\ud83c\udd97") as two replacement characters.
	v, err := statelang.ParseJSON(b)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	top, _ := v.(map[string]any)
	list, _ := top["scenarios"].([]any)
	out := make([]*Scenario, 0, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		sc := &Scenario{
			ID:               str(m["id"]),
			Category:         str(m["category"]),
			Kind:             str(m["kind"]),
			Requires:         str(m["requires"]),
			StateMachineType: str(m["state_machine_type"]),
			Definition:       str(m["definition"]),
			Operation:        str(m["operation"]),
		}
		sc.Runnable, _ = m["runnable"].(bool)
		sc.AWSValidated, _ = m["aws_validated"].(bool)
		if s, ok := m["input"].(string); ok {
			sc.Input = &s
		}
		sc.Expected, _ = m["expected"].(map[string]any)
		sc.Normalise, _ = m["normalise"].(map[string]any)
		sc.Request, _ = m["request"].(map[string]any)
		sc.Wait, _ = m["wait"].(map[string]any)
		sc.Needs, _ = m["needs"].(map[string]any)
		sc.TestStateRequest, _ = m["test_state_request"].(map[string]any)
		for _, r := range asList(m["skip_reasons"]) {
			sc.SkipReasons = append(sc.SkipReasons, str(r))
		}
		for _, f := range asList(m["features"]) {
			sc.Features = append(sc.Features, str(f))
		}
		for _, f := range asList(m["placeholders"]) {
			sc.Placeholders = append(sc.Placeholders, str(f))
		}
		out = append(out, sc)
	}
	return out, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// IsPure reports whether the scenario needs nothing but the interpreter:
// requires "none", runnable, an execution of a STANDARD machine with a
// terminal expectation.
func (sc *Scenario) IsPure() bool {
	if sc.Requires != "none" || !sc.Runnable || sc.Kind != "execution" || sc.StateMachineType != "STANDARD" {
		return false
	}
	switch str(sc.Expected["status"]) {
	case "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED":
		return sc.Definition != ""
	}
	return false
}

// UsesJSONata reports whether the scenario needs JSONata or workflow
// variables (Assign); the conformance tests count these apart.
func (sc *Scenario) UsesJSONata() bool {
	for _, f := range sc.Features {
		if strings.Contains(f, "JSONata") || strings.HasPrefix(f, "jsonata") || strings.HasPrefix(f, "variables") || f == "field:Assign" {
			return true
		}
	}
	return strings.Contains(sc.Definition, "\"QueryLanguage\"") || strings.Contains(sc.Definition, "\"Assign\"") ||
		strings.Contains(sc.Definition, "{%")
}

// WaitSeconds is how long the scenario waits on AWS's clock.
func (sc *Scenario) WaitSeconds() float64 {
	switch v := sc.Wait["static_seconds"].(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	}
	return 0
}

// Outcome is what an execution ended with. Output is JSON text.
type Outcome struct {
	Status string
	Output string
	Error  string
	Cause  string
	// Events are the history event types, in order.
	Events []string
}

// Names are the values the run used, which the normaliser maps back to the
// corpus' placeholders.
type Names struct {
	StateMachineName string
	ExecutionName    string
	RoleArn          string
	Account          string
	Region           string
	Partition        string
}

// Compare returns the differences between the outcome and what AWS
// recorded; none means the scenario passes.
func Compare(sc *Scenario, got Outcome, names Names) []string {
	exp := sc.Expected
	n := newNormaliser(sc, names)
	m := newMatcher(sc.Placeholders)
	status := str(exp["status"])
	if got.Status != status {
		detail := ""
		switch got.Status {
		case "FAILED":
			detail = fmt.Sprintf(" (error=%q, cause=%q)", got.Error, short(got.Cause, 300))
		case "SUCCEEDED":
			detail = fmt.Sprintf(" (output=%s)", short(got.Output, 300))
		}
		return []string{fmt.Sprintf("status: expected %s, got %s%s", status, got.Status, detail)}
	}
	var problems []string
	if status == "SUCCEEDED" {
		if want, ok := exp["output"]; ok {
			if absent, _ := exp["output_absent"].(bool); !absent {
				act, err := statelang.ParseJSON([]byte(got.Output))
				if err != nil {
					problems = append(problems, "output: not JSON: "+short(got.Output, 200))
				} else if unparsed, _ := exp["output_unparsed"].(bool); unparsed {
					problems = m.match(want, n.text(got.Output), "output", problems)
				} else {
					problems = m.match(want, n.value(act, strings.HasPrefix(strings.TrimSpace(got.Output), "{")), "output", problems)
				}
			}
		}
	} else {
		for _, fv := range []struct{ field, val string }{{"error", got.Error}, {"cause", got.Cause}} {
			want, ok := exp[fv.field]
			if !ok {
				if fv.val != "" {
					problems = append(problems, fmt.Sprintf("%s: expected none, got %s", fv.field, short(fv.val, 200)))
				}
				continue
			}
			switch want.(type) {
			case map[string]any, []any:
				act, err := statelang.ParseJSON([]byte(fv.val))
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s: expected JSON, got %s", fv.field, short(fv.val, 200)))
					continue
				}
				problems = m.match(want, n.value(act, true), fv.field, problems)
			case nil:
				if fv.val != "" {
					problems = append(problems, fmt.Sprintf("%s: expected none, got %s", fv.field, short(fv.val, 200)))
				}
			default:
				problems = m.match(want, n.text(fv.val), fv.field, problems)
			}
		}
	}
	return problems
}

// CompareEvents compares the history event types like run.py
// --check-events: the same sequence, or for Parallel/Map the same events
// with the same first and last one.
func CompareEvents(sc *Scenario, got []string) string {
	var want []string
	for _, e := range asList(sc.Expected["events"]) {
		want = append(want, str(e))
	}
	if len(want) == 0 {
		return "" // AWS's history was not recorded for this scenario
	}
	if strings.Join(want, ",") == strings.Join(got, ",") {
		return ""
	}
	if len(want) > 0 && len(got) > 0 && want[0] == got[0] && want[len(want)-1] == got[len(got)-1] {
		a, b := append([]string(nil), want...), append([]string(nil), got...)
		sort.Strings(a)
		sort.Strings(b)
		if strings.Join(a, ",") == strings.Join(b, ",") {
			for _, t := range want {
				if strings.HasPrefix(t, "Parallel") || strings.HasPrefix(t, "Map") {
					return ""
				}
			}
		}
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	return fmt.Sprintf("event types differ at #%d: expected %v got %v (lengths %d vs %d)", i+1, window(want, i), window(got, i), len(want), len(got))
}

func window(s []string, i int) []string {
	if i >= len(s) {
		return nil
	}
	return s[i:min(i+3, len(s))]
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

type normaliser struct{ reps [][2]string }

func newNormaliser(sc *Scenario, names Names) *normaliser {
	n := &normaliser{}
	add := func(from, to string) {
		if from != "" {
			n.reps = append(n.reps, [2]string{from, to})
		}
	}
	if to := str(sc.Normalise["role_arn"]); to != "" {
		add(names.RoleArn, to)
	}
	if to := str(sc.Normalise["state_machine_name"]); to != "" {
		add(names.StateMachineName, to)
	}
	if to := str(sc.Normalise["execution_name"]); to != "" {
		add(names.ExecutionName, to)
	}
	add(names.Account, "111111111111")
	add(names.Region, "<region>")
	part := names.Partition
	if part == "" {
		part = "aws"
	}
	add("arn:"+part+":", "arn:<partition>:")
	return n
}

var isoCand = regexp.MustCompile(`(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-][01]\d(?::?[0-5]\d)?)`)

func validISO(m []string) bool {
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	h, _ := strconv.Atoi(m[4])
	mi, _ := strconv.Atoi(m[5])
	s, _ := strconv.Atoi(m[6])
	if y < 1000 || h > 23 || mi > 59 || s > 59 || mo < 1 || mo > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func replaceISO(s string) string {
	return isoCand.ReplaceAllStringFunc(s, func(x string) string {
		if validISO(isoCand.FindStringSubmatch(x)) {
			return "date"
		}
		return x
	})
}

func (n *normaliser) text(s string) string {
	for _, r := range n.reps {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	return replaceISO(s)
}

var timestampKey = regexp.MustCompile(`(?i)timestamp`)

func keyTimestamps(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	for k, e := range m {
		s := fmt.Sprint(e)
		if (timestampKey.MatchString(k) || k == "creationTime" || k == "ingestionTime") && !isoCand.MatchString(s) {
			m[k] = "timestamp"
			continue
		}
		switch t := e.(type) {
		case map[string]any:
			keyTimestamps(t)
		case []any:
			for _, i := range t {
				keyTimestamps(i)
			}
		}
	}
}

// value normalises a parsed value through its JSON text, as run.py does.
func (n *normaliser) value(v any, parsedAsObject bool) any {
	if parsedAsObject {
		keyTimestamps(v)
	}
	return n.reparse(oj.JSON(v, &oj.Options{Sort: true}), v)
}

// reparse normalises the JSON text of v and parses it again.
func (n *normaliser) reparse(text string, v any) any {
	out, err := statelang.ParseJSON([]byte(n.text(text)))
	if err != nil {
		return v
	}
	return out
}

type matcher struct {
	// jsonText compares two differing strings that hold JSON texts as
	// the values they hold (TestState's inspection data).
	jsonText bool
	tokens   []string
	re       *regexp.Regexp
	bindings map[string]string
}

func newMatcher(tokens []string) *matcher {
	m := &matcher{bindings: map[string]string{}}
	seen := map[string]bool{}
	for _, t := range tokens {
		if t != "" && !seen[t] {
			seen[t] = true
			m.tokens = append(m.tokens, t)
		}
	}
	sort.SliceStable(m.tokens, func(i, j int) bool { return len(m.tokens[i]) > len(m.tokens[j]) })
	if len(m.tokens) > 0 {
		parts := make([]string, len(m.tokens))
		for i, t := range m.tokens {
			parts[i] = regexp.QuoteMeta(t)
		}
		m.re = regexp.MustCompile(strings.Join(parts, "|"))
	}
	return m
}

func (m *matcher) isToken(s string) bool {
	for _, t := range m.tokens {
		if t == s {
			return true
		}
	}
	return false
}

func (m *matcher) str(exp, act string) bool {
	if exp == act {
		return true
	}
	if m.re == nil || !m.re.MatchString(exp) {
		return false
	}
	var sb strings.Builder
	sb.WriteString("(?s)^")
	groups := map[string]int{}
	var order []string
	pos := 0
	for _, loc := range m.re.FindAllStringIndex(exp, -1) {
		sb.WriteString(regexp.QuoteMeta(exp[pos:loc[0]]))
		tok := exp[loc[0]:loc[1]]
		if b, ok := m.bindings[tok]; ok {
			sb.WriteString(regexp.QuoteMeta(b))
		} else if _, ok := groups[tok]; ok {
			// Go's regexp has no back-references: accept any text here and
			// check equality after matching.
			sb.WriteString("(.+?)")
			order = append(order, tok)
		} else {
			groups[tok] = len(order)
			order = append(order, tok)
			sb.WriteString("(.+?)")
		}
		pos = loc[1]
	}
	sb.WriteString(regexp.QuoteMeta(exp[pos:]))
	sb.WriteString("$")
	re, err := regexp.Compile(sb.String())
	if err != nil {
		return false
	}
	mm := re.FindStringSubmatch(act)
	if mm == nil {
		return false
	}
	got := map[string]string{}
	for i, tok := range order {
		if prev, ok := got[tok]; ok && prev != mm[i+1] {
			return false
		}
		got[tok] = mm[i+1]
	}
	for tok, v := range got {
		m.bindings[tok] = v
	}
	return true
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case int64, int:
		return "int"
	case float64:
		return "float"
	case json.Number:
		return "int"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func (m *matcher) match(exp, act any, path string, out []string) []string {
	if len(out) >= 5 {
		return out
	}
	if s, ok := exp.(string); ok && m.isToken(s) {
		if _, isStr := act.(string); !isStr {
			return out
		}
	}
	ek, ak := kind(exp), kind(act)
	fail := func() []string {
		return append(out, fmt.Sprintf("%s: expected %s, got %s", path, short(oj.JSON(exp, &oj.Options{Sort: true}), 160), short(oj.JSON(act, &oj.Options{Sort: true}), 160)))
	}
	switch {
	case ek == "int" || ek == "float":
		if ek != ak || fmt.Sprint(exp) != fmt.Sprint(act) {
			return fail()
		}
		return out
	case ek != ak:
		return fail()
	}
	switch e := exp.(type) {
	case nil:
		return out
	case bool:
		if e != act.(bool) {
			return fail()
		}
	case string:
		if m.str(e, act.(string)) {
			return out
		}
		if m.jsonText && jsonTextStart.MatchString(e) {
			ev, err1 := statelang.ParseJSON([]byte(e))
			av, err2 := statelang.ParseJSON([]byte(act.(string)))
			if err1 == nil && err2 == nil {
				return m.match(ev, av, path, out)
			}
		}
		return fail()
	case []any:
		a := act.([]any)
		if len(e) != len(a) {
			return append(out, fmt.Sprintf("%s: expected array of %d items, got %d: %s", path, len(e), len(a), short(oj.JSON(a, &oj.Options{Sort: true}), 160)))
		}
		for i := range e {
			out = m.match(e[i], a[i], fmt.Sprintf("%s[%d]", path, i), out)
		}
	case map[string]any:
		a := act.(map[string]any)
		left := map[string]bool{}
		for k := range a {
			left[k] = true
		}
		keys := make([]string, 0, len(e))
		for k := range e {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, ok := a[k]; ok {
				delete(left, k)
				out = m.match(e[k], a[k], path+"."+k, out)
				continue
			}
			cands := make([]string, 0, len(left))
			for ak := range left {
				cands = append(cands, ak)
			}
			sort.Strings(cands)
			found := ""
			for _, ak := range cands {
				if m.str(k, ak) {
					found = ak
					break
				}
			}
			if found == "" {
				out = append(out, fmt.Sprintf("%s: missing key %q", path, k))
				continue
			}
			delete(left, found)
			out = m.match(e[k], a[found], path+"."+found, out)
		}
		rest := make([]string, 0, len(left))
		for k := range left {
			rest = append(rest, k)
		}
		sort.Strings(rest)
		for _, k := range rest {
			out = append(out, fmt.Sprintf("%s: unexpected key %q", path, k))
		}
	}
	return out
}

var jsonTextStart = regexp.MustCompile(`^\s*[\[{"]`)

// CompareTestState compares a TestState response (decoded JSON) with the
// recorded one, as run.py --test-state does: null members dropped, string
// members that hold a JSON object parsed (the recording did so), JSON texts
// compared as values, error and cause recorded absent matching "".
func CompareTestState(sc *Scenario, resp map[string]any, names Names) []string {
	want, _ := sc.Expected["test_state_response"].(map[string]any)
	exp := map[string]any{}
	for k, v := range want {
		if k != "ResponseMetadata" {
			exp[k] = v
		}
	}
	// Unlike value, through statelang's JSON: a float such as 1.0 stays one.
	parsed := snapshotParse(dropNulls(resp))
	keyTimestamps(parsed)
	act, _ := newNormaliser(sc, names).reparse(statelang.MarshalString(parsed), parsed).(map[string]any)
	for _, k := range []string{"error", "cause"} {
		if _, ok := exp[k]; !ok && act[k] == "" {
			delete(act, k)
		}
	}
	if act["status"] != exp["status"] {
		return []string{fmt.Sprintf("status: expected %v, got %v (error=%v, cause=%v)", exp["status"], act["status"], act["error"], act["cause"])}
	}
	m := newMatcher(sc.Placeholders)
	m.jsonText = true
	return m.match(exp, act, "response", nil)
}

func dropNulls(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			if e != nil {
				out[k] = dropNulls(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = dropNulls(e)
		}
		return out
	}
	return v
}

// snapshotParse replaces, in objects (and objects in arrays), string
// members that start with "{" and parse as JSON by their value, as the
// recording tool did; a parsed value is not walked again.
func snapshotParse(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for k, e := range m {
		switch t := e.(type) {
		case []any:
			for _, item := range t {
				snapshotParse(item)
			}
		case map[string]any:
			snapshotParse(t)
		case string:
			if strings.HasPrefix(t, "{") {
				if parsed, err := statelang.ParseJSON([]byte(t)); err == nil {
					m[k] = parsed
				}
			}
		}
	}
	return m
}

// SnapshotKeys mirrors LocalStack's key-based snapshot transformers, which
// the corpus applied to recorded service responses but does not list:
// where AWS's value under a response-metadata key (Date, X-Amzn-Trace-Id,
// x-amzn-RequestId, RequestId) was replaced by the key's name (or "date"),
// the actual value act (a decoded JSON value, changed in place) is
// replaced the same way. Nothing else changes.
func SnapshotKeys(exp, act any) {
	switch e := exp.(type) {
	case map[string]any:
		a, ok := act.(map[string]any)
		if !ok {
			return
		}
		keys := make([]string, 0, len(e))
		for k := range e {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if s, ok := e[k].(string); ok && metadataKey(k) && (s == k || s == "date") {
				if _, present := a[k]; present {
					a[k] = s
				}
				continue
			}
			SnapshotKeys(e[k], a[k])
		}
	case []any:
		a, ok := act.([]any)
		if !ok || len(a) != len(e) {
			return
		}
		for i := range e {
			SnapshotKeys(e[i], a[i])
		}
	}
}

func metadataKey(k string) bool {
	switch k {
	case "Date", "X-Amzn-Trace-Id", "x-amzn-RequestId", "RequestId":
		return true
	}
	return false
}
