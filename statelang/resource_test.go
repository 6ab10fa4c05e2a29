package statelang

import (
	"encoding/json"
	"testing"
)

func TestParseResource(t *testing.T) {
	t.Parallel()
	type hist struct{ typ, res string }
	for _, c := range []struct {
		in       string
		kind     ResourceKind
		fam      TaskFamily
		service  string
		action   string
		pattern  Pattern
		name     string
		qual     string
		hist     hist
		callback bool
		syncs    bool
	}{
		{in: "arn:aws:states:::lambda:invoke", kind: KindIntegration, fam: FamilyTask, service: "lambda", action: "invoke",
			hist: hist{"lambda", "invoke"}},
		{in: "arn:aws:states:::lambda:invoke.waitForTaskToken", kind: KindIntegration, fam: FamilyTask, service: "lambda", action: "invoke",
			pattern: Callback, hist: hist{"lambda", "invoke.waitForTaskToken"}, callback: true},
		{in: "arn:aws:states:::states:startExecution.sync", kind: KindIntegration, fam: FamilyTask, service: "states", action: "startExecution",
			pattern: Sync, hist: hist{"states", "startExecution.sync"}, syncs: true},
		{in: "arn:aws:states:::states:startExecution.sync:2", kind: KindIntegration, fam: FamilyTask, service: "states", action: "startExecution",
			pattern: Sync2, hist: hist{"states", "startExecution.sync:2"}, syncs: true},
		{in: "arn:aws:states:::aws-sdk:s3:getObject", kind: KindIntegration, fam: FamilyTask, service: "aws-sdk", action: "s3:getObject",
			hist: hist{"aws-sdk", "s3:getObject"}},
		{in: "arn:aws:states:::http:invoke", kind: KindIntegration, fam: FamilyTask, service: "http", action: "invoke",
			hist: hist{"http", "invoke"}},
		{in: "arn:aws:lambda:us-east-1:111111111111:function:f", kind: KindLambda, fam: FamilyLambda, service: "lambda", name: "f",
			hist: hist{"lambda", "f"}},
		{in: "arn:aws:lambda:us-east-1:111111111111:function:f:prod", kind: KindLambda, fam: FamilyLambda, service: "lambda", name: "f",
			qual: "prod", hist: hist{"lambda", "f:prod"}},
		{in: "arn:aws:states:us-east-1:111111111111:activity:a", kind: KindActivity, fam: FamilyActivity, service: "states", name: "a",
			hist: hist{"states", "a"}},
		// An activity named like a pattern is an activity, not a callback.
		{in: "arn:aws:states:us-east-1:111111111111:activity:a.waitForTaskToken", kind: KindActivity, fam: FamilyActivity,
			service: "states", name: "a.waitForTaskToken", hist: hist{"states", "a.waitForTaskToken"}},
		{in: "arn:aws:sqs:us-east-1:111111111111:queue", kind: KindOther, fam: FamilyTask, service: "sqs", hist: hist{"sqs", "queue"}},
		{in: "arn:aws:ecs:us-east-1:111111111111:task:x:y", kind: KindOther, fam: FamilyTask, service: "ecs", hist: hist{"ecs", "x:y"}},
		{in: "stepwise:itemReader", kind: KindOther, fam: FamilyTask, hist: hist{"", "stepwise:itemReader"}},
		{in: "", kind: KindOther, fam: FamilyTask},
		{in: "arn:aws:states:::lambda", kind: KindOther, fam: FamilyTask, service: "states", hist: hist{"states", "lambda"}},
	} {
		r := ParseResource(c.in)
		got := []any{r.ARN, r.Kind, r.Family(), r.Service, r.Action, r.Pattern, r.Name, r.Qualifier, r.WaitsForCallback(), r.Syncs()}
		want := []any{c.in, c.kind, c.fam, c.service, c.action, c.pattern, c.name, c.qual, c.callback, c.syncs}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("ParseResource(%q) = %+v; field %d is %v, want %v", c.in, r, i, got[i], want[i])
			}
		}
		if typ, res := r.HistoryResource(); typ != c.hist.typ || res != c.hist.res {
			t.Errorf("ParseResource(%q).HistoryResource() = %q, %q; want %q, %q", c.in, typ, res, c.hist.typ, c.hist.res)
		}
	}
}

func TestResourceLambdaInvoke(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		"arn:aws:states:::lambda:invoke":                  true,
		"arn:aws:states:::lambda:invoke.waitForTaskToken": false,
		"arn:aws:lambda:us-east-1:1:function:invoke":      false,
		"arn:aws:states:::sqs:sendMessage":                false,
	} {
		if got := ParseResource(in).IsLambdaInvoke(); got != want {
			t.Errorf("ParseResource(%q).IsLambdaInvoke() = %v; want %v", in, got, want)
		}
	}
}

// TestResourceJSON checks that a Resource is stored as its text and read
// back parsed.
func TestResourceJSON(t *testing.T) {
	t.Parallel()
	type frame struct {
		R Resource `json:"r,omitzero"`
	}
	b, err := json.Marshal(frame{ParseResource("arn:aws:states:::lambda:invoke.waitForTaskToken")})
	if err != nil || string(b) != `{"r":"arn:aws:states:::lambda:invoke.waitForTaskToken"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil || f.R != ParseResource("arn:aws:states:::lambda:invoke.waitForTaskToken") {
		t.Errorf("Unmarshal(%s) = %+v, %v", b, f.R, err)
	}
	if b, _ := json.Marshal(frame{}); string(b) != `{}` {
		t.Errorf("Marshal(no resource) = %s; want {}", b)
	}
}

func TestResourceCheck(t *testing.T) {
	t.Parallel()
	for in, ok := range map[string]bool{
		"arn:aws:states:::lambda:invoke":                   true,
		"arn:aws:states:::lambda:invoke.waitForTaskToken":  true,
		"arn:aws:states:::lambda:call":                     false,
		"arn:aws:states:::myservice:anything":              true,
		"arn:aws:states:::lambda":                          false,
		"arn:aws:states:::lambda:":                         false,
		"arn:aws:states:::states:startExecution.sync:2":    true,
		"arn:aws:lambda:us-east-1:111111111111:function:f": true,
		"arn:aws:sqs:us-east-1:1":                          false,
		"lambda:invoke":                                    false,
	} {
		if msg := ParseResource(in).check(); (msg == "") != ok {
			t.Errorf("check(%q) = %q; want ok %v", in, msg, ok)
		}
	}
}

func FuzzParseResource(f *testing.F) {
	for _, s := range []string{"arn:aws:states:::lambda:invoke.waitForTaskToken", "arn:aws:lambda:r:a:function:f:q",
		"arn:aws:states:r:a:activity:x", "arn:::::", "stepwise:itemReader", "arn:aws:states:::a:b.c.d:e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := ParseResource(s)
		_ = r.check()
		_, _ = r.HistoryResource()
		b, err := r.MarshalText()
		var back Resource
		if err != nil || back.UnmarshalText(b) != nil || back != r {
			t.Errorf("ParseResource(%q) does not round trip: %+v, then %+v", s, r, back)
		}
	})
}

// BenchmarkParseResource: the engine parses a task's resource each time it
// decodes a waiting frame or dispatches a stored task.
func BenchmarkParseResource(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = ParseResource("arn:aws:states:::states:startExecution.sync:2")
	}
}
