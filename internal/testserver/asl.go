package testserver

// Machines that several packages' tests run.

// MapRunASL is a machine whose distributed Map, state "Fan out" of label
// Items, runs each item of its input array in a child execution: an item
// with a "fail" field fails its child (error Item.Failed), the others
// succeed. One failure is tolerated, so an input with one such item
// succeeds. It needs no workers.
const MapRunASL = `{"StartAt": "Fan out", "States": {"Fan out": {"Type": "Map", "Label": "Items", "ToleratedFailureCount": 1, "End": true,
  "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "Check", "States": {
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "IsPresent": true, "Next": "Boom"}], "Default": "Ok"},
    "Boom": {"Type": "Fail", "Error": "Item.Failed", "Cause": "this item fails"},
    "Ok": {"Type": "Pass", "End": true}}}}}}`

// SlowMapRunASL is a machine whose distributed Map, state "Slow" of label
// Slow, runs one child at a time, each waiting an hour: its Map Run stays
// RUNNING until the execution is stopped.
const SlowMapRunASL = `{"StartAt": "Slow", "States": {"Slow": {"Type": "Map", "Label": "Slow", "MaxConcurrency": 1, "End": true,
  "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "W", "States": {
    "W": {"Type": "Wait", "Seconds": 3600, "End": true}}}}}}`

// KidASL is a machine of one Pass state: the child NestedASL starts.
const KidASL = `{"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "Result": {"hello": "kid"}, "End": true}}}`

// NestedASL returns a machine that starts two child executions of the
// machine kidARN, named after its own execution: "<name>-synced" with
// startExecution.sync:2 (it waits for the child's end), then
// "<name>-fired" with startExecution (it does not); then a distributed
// Map, label Items, runs each item of its input's "items" in a child
// execution of its own. It needs no workers.
func NestedASL(kidARN string) string {
	return `{"StartAt": "Synced", "States": {
  "Synced": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "ResultPath": null, "Next": "Fired",
    "Parameters": {"StateMachineArn": "` + kidARN + `", "Name.$": "States.Format('{}-synced', $$.Execution.Name)", "Input": {"how": "sync:2"}}},
  "Fired": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution", "ResultPath": null, "Next": "Fan out",
    "Parameters": {"StateMachineArn": "` + kidARN + `", "Name.$": "States.Format('{}-fired', $$.Execution.Name)", "Input": {"how": "fire"}}},
  "Fan out": {"Type": "Map", "Label": "Items", "ItemsPath": "$.items", "End": true,
    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "Ok", "States": {"Ok": {"Type": "Pass", "End": true}}}}}}`
}
