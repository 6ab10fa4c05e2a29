package arn

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

var sc = In("us-east-1", "111111111111")

func TestBuild(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ got, want string }{
		{sc.StateMachine("m"), "arn:aws:states:us-east-1:111111111111:stateMachine:m"},
		{sc.StateMachineVersion("m", 3), "arn:aws:states:us-east-1:111111111111:stateMachine:m:3"},
		{sc.StateMachineAlias("m", "prod"), "arn:aws:states:us-east-1:111111111111:stateMachine:m:prod"},
		{sc.Execution("m", "x"), "arn:aws:states:us-east-1:111111111111:execution:m:x"},
		{sc.ExpressExecution("m", "x", "u-1"), "arn:aws:states:us-east-1:111111111111:express:m:x:u-1"},
		{sc.TestStateExecution("m", "x"), "arn:aws:states:us-east-1:111111111111:express:m:x"},
		{sc.MapRun("m", "L", "u-1"), "arn:aws:states:us-east-1:111111111111:mapRun:m/L:u-1"},
		{sc.Activity("a"), "arn:aws:states:us-east-1:111111111111:activity:a"},
		{sc.LambdaFunction("f", ""), "arn:aws:lambda:us-east-1:111111111111:function:f"},
		{sc.LambdaFunction("f", "$LATEST"), "arn:aws:lambda:us-east-1:111111111111:function:f:$LATEST"},
		{Scope{"aws-cn", "cn-north-1", "1"}.LambdaFunction("f", "1"), "arn:aws-cn:lambda:cn-north-1:1:function:f:1"},
		{sc.Schedule("default", "s"), "arn:aws:scheduler:us-east-1:111111111111:schedule/default/s"},
		{sc.ScheduleGroup("g"), "arn:aws:scheduler:us-east-1:111111111111:schedule-group/g"},
		{sc.LogGroup("lg"), "arn:aws:logs:us-east-1:111111111111:log-group:lg"},
	} {
		if c.got != c.want {
			t.Errorf("got %q; want %q", c.got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	checkParse(t, "Parse", Parse, []parseCase[ARN]{
		{"arn:aws:states:::lambda:invoke", ARN{"aws", "states", "", "", "lambda:invoke"}, true},
		{"arn:aws:lambda:r:1:function:f:q", ARN{"aws", "lambda", "r", "1", "function:f:q"}, true},
		{"arn:aws:sqs:r:1:", ARN{"aws", "sqs", "r", "1", ""}, true},
		{"", ARN{}, false},
		{"arn:", ARN{}, false},
		{"arn:aws:states:r:1", ARN{}, false},
		{"nope:aws:states:r:1:x", ARN{}, false},
		{"ARN:aws:states:r:1:x", ARN{}, false},
	})
}

func TestParseStateMachine(t *testing.T) {
	t.Parallel()
	checkParse(t, "ParseStateMachine", ParseStateMachine, []parseCase[StateMachine]{
		{"arn:aws:states:us-east-1:111111111111:stateMachine:m", StateMachine{sc, "m", ""}, true},
		{"arn:aws:states:us-east-1:111111111111:stateMachine:m:7", StateMachine{sc, "m", "7"}, true},
		{"arn:aws:states:us-east-1:111111111111:stateMachine:m/L:7", StateMachine{sc, "m/L", "7"}, true},
		{"arn:aws:states:us-east-1:111111111111:stateMachine:m:prod", StateMachine{sc, "m", "prod"}, true},
		{"arn:aws:states:us-east-1:111111111111:stateMachine:", StateMachine{}, false},
		{"arn:aws:states:us-east-1:111111111111:stateMachine:m:", StateMachine{}, false},
		{"arn:aws:states:us-east-1:111111111111:stateMachine:m:1:2", StateMachine{}, false},
		{"arn:aws:states:us-east-1:111111111111:activity:m", StateMachine{}, false},
		{"arn:aws:lambda:us-east-1:111111111111:stateMachine:m", StateMachine{}, false},
		{"arn:aws:states:us-east-1:111111111111", StateMachine{}, false},
		{"stateMachine:m", StateMachine{}, false},
	})
	for _, c := range []struct {
		q  string
		n  int
		ok bool
	}{{"7", 7, true}, {"", 0, false}, {"prod", 0, false}, {"0", 0, false}, {"-1", 0, false}, {"07", 0, false}, {"3abc", 0, false}} {
		if n, ok := (StateMachine{Qualifier: c.q}).Version(); n != c.n && c.ok || ok != c.ok {
			t.Errorf("Version of qualifier %q = %d, %v; want %d, %v", c.q, n, ok, c.n, c.ok)
		}
	}
}

func TestParseExecution(t *testing.T) {
	t.Parallel()
	checkParse(t, "ParseExecution", ParseExecution, []parseCase[Execution]{
		{"arn:aws:states:us-east-1:111111111111:execution:m:x", Execution{Scope: sc, Machine: "m", Name: "x"}, true},
		{"arn:aws:states:us-east-1:111111111111:execution:m/L:x", Execution{Scope: sc, Machine: "m/L", Name: "x"}, true},
		{"arn:aws:states:us-east-1:111111111111:express:m:x:u", Execution{Scope: sc, Express: true, Machine: "m", Name: "x", ID: "u"}, true},
		{"arn:aws:states:us-east-1:111111111111:execution:m", Execution{}, false},
		{"arn:aws:states:us-east-1:111111111111:execution:m:", Execution{}, false},
		{"arn:aws:states:us-east-1:111111111111:execution:m:x:y", Execution{}, false},
		{"arn:aws:states:us-east-1:111111111111:express:m:x", Execution{}, false},
		{"arn:aws:states:us-east-1:111111111111:express:m:x:", Execution{}, false},
		{"arn:aws:states:us-east-1:111111111111:stateMachine:m:x", Execution{}, false},
		{"arn:aws:states:us-east-1:111111111111:execution::x", Execution{}, false},
		{"arn:aws:logs:us-east-1:111111111111:execution:m:x", Execution{}, false},
	})
}

func TestParseOthers(t *testing.T) {
	t.Parallel()
	checkParse(t, "ParseMapRun", ParseMapRun, []parseCase[MapRun]{
		{"arn:aws:states:us-east-1:111111111111:mapRun:m/a/L:u-1", MapRun{sc, "m/a", "L", "u-1"}, true},
		{"arn:aws:states:us-east-1:111111111111:mapRun:m:u-1", MapRun{}, false},
		{"arn:aws:states:us-east-1:111111111111:mapRun:m/:u-1", MapRun{}, false},
		{"arn:aws:states:us-east-1:111111111111:mapRun:/L:u-1", MapRun{}, false},
		{"arn:aws:states:us-east-1:111111111111:mapRun:m/L", MapRun{}, false},
		{"arn:aws:states:us-east-1:111111111111:mapRun:m/L:", MapRun{}, false},
		{"arn:aws:states:us-east-1:111111111111:execution:m/L:u", MapRun{}, false},
	})

	if s, name, err := ParseActivity("arn:aws:states:us-east-1:111111111111:activity:a"); err != nil || s != sc || name != "a" {
		t.Errorf("ParseActivity = %v, %q, %v", s, name, err)
	}
	for _, bad := range []string{"arn:aws:states:us-east-1:111111111111:activity:", "arn:aws:states:us-east-1:111111111111:activity:a:b", "arn:aws:states:::activity"} {
		if _, name, err := ParseActivity(bad); err == nil {
			t.Errorf("ParseActivity(%q) = %q; want an error", bad, name)
		}
	}

	checkParse(t, "ParseLambdaFunction", ParseLambdaFunction, []parseCase[Function]{
		{"arn:aws:lambda:us-east-1:111111111111:function:f", Function{sc, "f", ""}, true},
		{"arn:aws:lambda:us-east-1:111111111111:function:f:$LATEST", Function{sc, "f", "$LATEST"}, true},
		{"arn:aws:lambda:us-east-1:111111111111:function:", Function{}, false},
		{"arn:aws:lambda:us-east-1:111111111111:function:f:", Function{}, false},
		{"arn:aws:lambda:us-east-1:111111111111:function:f:1:2", Function{}, false},
		{"arn:aws:lambda:us-east-1:111111111111:layer:f", Function{}, false},
		{"arn:aws:lambda:us-east-1:111111111111:function", Function{}, false},
		{"arn:aws:states:us-east-1:111111111111:function:f", Function{}, false},
	})

	for in, want := range map[string]string{
		"arn:aws:logs:us-east-1:111111111111:log-group:g":   "g",
		"arn:aws:logs:us-east-1:111111111111:log-group:g:*": "g",
	} {
		if s, name, err := ParseLogGroup(in); err != nil || s != sc || name != want {
			t.Errorf("ParseLogGroup(%q) = %v, %q, %v; want %q", in, s, name, err, want)
		}
	}
	for _, bad := range []string{"arn:aws:logs:us-east-1:111111111111:group:g", "arn:aws:states:us-east-1:111111111111:log-group:g"} {
		if _, name, err := ParseLogGroup(bad); err == nil {
			t.Errorf("ParseLogGroup(%q) = %q; want an error", bad, name)
		}
	}

	if s, g, err := ParseScheduleGroup("arn:aws:scheduler:us-east-1:111111111111:schedule-group/g"); err != nil || s != sc || g != "g" {
		t.Errorf("ParseScheduleGroup = %v, %q, %v", s, g, err)
	}
	for _, bad := range []string{"arn:aws:scheduler:us-east-1:111111111111:schedule-group/", "arn:aws:scheduler:us-east-1:111111111111:schedule/g/s"} {
		if _, g, err := ParseScheduleGroup(bad); err == nil {
			t.Errorf("ParseScheduleGroup(%q) = %q; want an error", bad, g)
		}
	}
}

// parseCase is a row of a parser's table: ok false wants an error.
type parseCase[T comparable] struct {
	in   string
	want T
	ok   bool
}

// checkParse runs parse on every case; its errors must wrap ErrMalformed,
// and what has a String method must give the text back.
func checkParse[T comparable](t *testing.T, name string, parse func(string) (T, error), cases []parseCase[T]) {
	t.Helper()
	for _, c := range cases {
		got, err := parse(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("%s(%q) = %+v, %v; want %+v, ok %v", name, c.in, got, err, c.want, c.ok)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s(%q) error %v does not wrap ErrMalformed", name, c.in, err)
		}
		if s, ok := any(c.want).(interface{ String() string }); ok && c.ok && s.String() != c.in {
			t.Errorf("%+v.String() = %q; want %q", c.want, s.String(), c.in)
		}
	}
}

// FuzzRoundTrip builds every kind of ARN from arbitrary parts and checks
// that parsing it gives the parts back (when the parts are ones the
// format can carry), and that no parser panics on any text.
func FuzzRoundTrip(f *testing.F) {
	f.Add("us-east-1", "111111111111", "machine", "name", "id", 3)
	f.Add("", "", "m/L", "x", "", 0)
	f.Add("r", "a", "m:x", "n:", "::", -1)
	f.Fuzz(func(t *testing.T, region, account, machine, name, id string, version int) {
		s := In(region, account)
		for _, text := range []string{machine, name, id, s.StateMachine(machine), s.Execution(machine, name)} {
			_, _ = Parse(text)
			_, _ = ParseStates(text)
			_, _ = ParseStateMachine(text)
			_, _ = ParseExecution(text)
			_, _ = ParseMapRun(text)
			_, _, _ = ParseActivity(text)
			_, _ = ParseLambdaFunction(text)
			_, _, _ = ParseLogGroup(text)
			_, _, _ = ParseScheduleGroup(text)
		}
		clean := func(v ...string) bool {
			for _, x := range v {
				if x == "" || strings.ContainsAny(x, ":") {
					return false
				}
			}
			return true
		}
		if strings.Contains(region, ":") || strings.Contains(account, ":") {
			return // a colon in the scope moves every field
		}
		if clean(machine) {
			m, err := ParseStateMachine(s.StateMachine(machine))
			if err != nil || m != (StateMachine{Scope: s, Name: machine}) {
				t.Errorf("ParseStateMachine(StateMachine(%q)) = %+v, %v", machine, m, err)
			}
			if version > 0 {
				m, err = ParseStateMachine(s.StateMachineVersion(machine, version))
				if n, ok := m.Version(); err != nil || m.Name != machine || !ok || n != version {
					t.Errorf("ParseStateMachine(StateMachineVersion(%q, %d)) = %+v, %v", machine, version, m, err)
				}
			}
			if _, n, err := ParseActivity(s.Activity(machine)); err != nil || n != machine {
				t.Errorf("ParseActivity(Activity(%q)) = %q, %v", machine, n, err)
			}
			if _, n, err := ParseLogGroup(s.LogGroup(machine)); err != nil || n != machine {
				t.Errorf("ParseLogGroup(LogGroup(%q)) = %q, %v", machine, n, err)
			}
			fn, err := ParseLambdaFunction(s.LambdaFunction(machine, ""))
			if err != nil || fn != (Function{Scope: s, Name: machine}) {
				t.Errorf("ParseLambdaFunction(LambdaFunction(%q)) = %+v, %v", machine, fn, err)
			}
		}
		if clean(machine, name) {
			x, err := ParseExecution(s.Execution(machine, name))
			if err != nil || x != (Execution{Scope: s, Machine: machine, Name: name}) {
				t.Errorf("ParseExecution(Execution(%q, %q)) = %+v, %v", machine, name, x, err)
			}
			if clean(id) {
				x, err = ParseExecution(s.ExpressExecution(machine, name, id))
				if err != nil || x != (Execution{Scope: s, Express: true, Machine: machine, Name: name, ID: id}) {
					t.Errorf("ParseExecution(ExpressExecution(%q, %q, %q)) = %+v, %v", machine, name, id, x, err)
				}
				if !strings.Contains(name, "/") {
					r, err := ParseMapRun(s.MapRun(machine, name, id))
					if err != nil || !reflect.DeepEqual(r, MapRun{Scope: s, Machine: machine, Label: name, ID: id}) {
						t.Errorf("ParseMapRun(MapRun(%q, %q, %q)) = %+v, %v", machine, name, id, r, err)
					}
				}
			}
		}
	})
}
