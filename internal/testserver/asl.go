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
