package statelang_test

import (
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/statelang"
)

func TestExpressProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, def string
		want      []string // "location: message" prefixes
	}{
		{"fine", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}`, nil},
		{"not JSON", `{`, nil},
		{"callback", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}}`,
			[]string{"/States/A/Resource: Express state machine does not support '.waitForTaskToken'"}},
		{"nested", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"a/b","States":{
			"a/b":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","End":true}}}]},
			"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:a","End":true}}}}}}`,
			[]string{"/States/M/ItemProcessor/States/X/Resource: Express state machine does not support Activity ARN",
				"/States/P/Branches/0/States/a~1b/Resource: Express state machine does not support '.sync'"}},
	} {
		ds := statelang.ExpressProblems([]byte(tc.def), true)
		if len(ds) != len(tc.want) {
			t.Errorf("ExpressProblems(%s) = %v; want %d problems", tc.name, ds, len(tc.want))
			continue
		}
		for i, d := range ds {
			if got := d.Location + ": " + d.Message; !strings.HasPrefix(got, tc.want[i]) {
				t.Errorf("ExpressProblems(%s)[%d] = %q; want %q…", tc.name, i, got, tc.want[i])
			}
		}
	}
}

// TestExpressChildProblems: in a STANDARD machine only the processors of
// distributed Maps with EXPRESS children (here in a Parallel branch) are
// held to the express restrictions.
func TestExpressChildProblems(t *testing.T) {
	t.Parallel()
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"M","States":{
		"M":{"Type":"Map","End":true,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"X","States":{
			"X":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync","End":true}}}}}}]},
		"S":{"Type":"Map","End":true,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Y","States":{
			"Y":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:a","End":true}}}},
		"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}}`
	ds := statelang.ExpressProblems([]byte(def), false)
	want := "/States/P/Branches/0/States/M/ItemProcessor/States/X/Resource: Express state machine does not support '.sync'"
	if len(ds) != 1 || !strings.HasPrefix(ds[0].Location+": "+ds[0].Message, want) {
		t.Errorf("ExpressProblems(standard) = %v; want one: %s…", ds, want)
	}
	if ds := statelang.ExpressProblems([]byte(def), true); len(ds) != 3 {
		t.Errorf("ExpressProblems(express) = %v; want 3 problems", ds)
	}
}
