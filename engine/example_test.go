package engine_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// orderWorkers stands in for the order example's Lambda functions. failures
// makes validate-order fail that many times with States.TaskFailed-matching
// errors first; invalid makes it raise ValidationError.
func orderWorkers(t *testing.T, failures int, invalid bool) engine.LocalTask {
	validations := 0
	return func(call engine.Task, input any) (any, *statelang.Failure) {
		in, _ := input.(map[string]any)
		switch {
		case strings.HasSuffix(call.Resource, ":validate-order"):
			validations++
			if invalid {
				return nil, &statelang.Failure{Name: "ValidationError", Cause: "no items"}
			}
			if validations <= failures {
				return nil, &statelang.Failure{Name: "ServiceUnavailable", Cause: "try later"}
			}
			return in, nil
		case strings.HasSuffix(call.Resource, ":check-inventory"):
			return map[string]any{"warehouse": in["warehouse"], "available": true}, nil
		case call.Resource == "arn:aws:states:::lambda:invoke.waitForTaskToken":
			payload, _ := in["Payload"].(map[string]any)
			if payload["taskToken"] != call.Token || call.Token == "" {
				t.Errorf("payment payload token = %v; want the task's token %q", payload["taskToken"], call.Token)
			}
			// The callback: SendTaskSuccess with the payment result.
			return map[string]any{"paymentId": "pay-1", "charged": payload["amount"]}, nil
		case strings.HasSuffix(call.Resource, ":ship-order"):
			return map[string]any{"orderId": in["orderId"], "shipped": true, "charged": in["payment"].(map[string]any)["charged"]}, nil
		}
		return nil, &statelang.Failure{Name: "States.TaskFailed", Cause: "unknown resource " + call.Resource}
	}
}

func loadOrder(t *testing.T) *statelang.Machine {
	t.Helper()
	def, err := os.ReadFile("../examples/order-processing/order.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	m, err := statelang.Parse(def)
	if err != nil {
		t.Fatalf("Parse(order example) = %v", err)
	}
	return m
}

// TestOrderExample runs the project's canonical order-processing machine:
// validation retried twice, inventory checked in two warehouses in
// parallel, payment completed by a callback, then shipping.
func TestOrderExample(t *testing.T) {
	m := loadOrder(t)
	input, _ := statelang.ParseJSON([]byte(`{"orderId":"o-1","items":["book"],"totalAmount":12.5}`))
	res := engine.RunLocal(m, input, engine.LocalOptions{Task: orderWorkers(t, 2, false)})
	if res.Status != engine.StatusSucceeded {
		t.Fatalf("status = %s (%v); want SUCCEEDED", res.Status, res.Failure)
	}
	if got, want := statelang.MarshalString(res.Output), `{"charged":12.5,"orderId":"o-1","shipped":true}`; got != want {
		t.Errorf("output = %s; want %s", got, want)
	}
	failed := 0
	for _, e := range res.Events {
		if e.Type == "LambdaFunctionFailed" { // ValidateOrder is a Lambda function ARN
			failed++
		}
	}
	if failed != 2 {
		t.Errorf("LambdaFunctionFailed events = %d; want 2 (two retried validations)", failed)
	}
	if got := res.Events[len(res.Events)-1].Timestamp.Sub(res.Events[0].Timestamp).Seconds(); got != 6 {
		t.Errorf("retry backoff on the fake clock = %vs; want 2s + 4s", got)
	}
}

// TestOrderExampleValidationError: ValidationError is caught and the order
// fails through OrderFailed.
func TestOrderExampleValidationError(t *testing.T) {
	m := loadOrder(t)
	res := engine.RunLocal(m, map[string]any{"orderId": "o-2"}, engine.LocalOptions{Task: orderWorkers(t, 0, true)})
	if res.Status != engine.StatusFailed || res.Failure.Name != "OrderProcessingFailed" || res.Failure.Cause != "Order could not be processed" {
		t.Errorf("Run = %s %+v; want FAILED OrderProcessingFailed", res.Status, res.Failure)
	}
}
