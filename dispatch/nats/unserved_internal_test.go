package nats

import (
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/workers/wire"
)

func TestUnservedFailure(t *testing.T) {
	t.Parallel()
	const exec = "arn:aws:states:eu-west-1:222222222222:execution:m:x"
	tests := []struct {
		resource, name string
		err, prefix    string
	}{
		{"arn:aws:lambda:us-east-1:111111111111:function:chargeCard", "chargeCard",
			"Lambda.ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:111111111111:function:chargeCard:$LATEST (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: "},
		{"arn:aws:lambda:us-east-1:111111111111:function:chargeCard:prod", "chargeCard",
			"Lambda.ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:111111111111:function:chargeCard:prod (Service: AWSLambda;"},
		{"arn:aws:states:::lambda:invoke", "chargeCard",
			"Lambda.ResourceNotFoundException", "Function not found: arn:aws:lambda:eu-west-1:222222222222:function:chargeCard:$LATEST (Service: AWSLambda;"},
		{"arn:aws:states:::lambda:invoke.waitForTaskToken", "chargeCard",
			"Lambda.ResourceNotFoundException", "Function not found: arn:aws:lambda:eu-west-1:222222222222:function:chargeCard:$LATEST (Service: AWSLambda;"},
		{"arn:aws:states:::sqs:sendMessage.waitForTaskToken", "sqs:sendMessage",
			"States.TaskFailed", `No worker serves the resource arn:aws:states:::sqs:sendMessage.waitForTaskToken: no worker registered "sqs:sendMessage" in namespace "ns" for 1m0s`},
	}
	for _, tt := range tests {
		task := &wire.Task{Resource: tt.resource, Name: tt.name, Execution: exec}
		err, cause := unservedFailure(task, "ns", time.Minute)
		if err != tt.err || !strings.HasPrefix(cause, tt.prefix) {
			t.Errorf("unservedFailure(%q) = %q, %q; want %q, %q...", tt.resource, err, cause, tt.err, tt.prefix)
		}
	}
}
