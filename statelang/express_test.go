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
		ds := statelang.ExpressProblems([]byte(tc.def))
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
