"""Every Step Functions operation through boto3, against a Stepwise endpoint.

Run by TestBoto3EveryOperation (cli_ops_test.go): python3 boto3_every_operation.py ENDPOINT.
Prints one line per problem and exits 1 if there is any; on success prints
"N of N operations" and exits 0. Waiting is by polling; nothing else runs.
"""

import json
import sys
import time

import boto3
import botocore.config
import botocore.exceptions

ROLE = "arn:aws:iam::111111111111:role/stepwise"
PASS = '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"%s","End":true}}}'
CALLBACK = json.dumps({"StartAt": "W", "States": {"W": {
    "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
    "Parameters": {"QueueUrl": "https://example.invalid/q", "MessageBody": {"token.$": "$$.Task.Token"}},
    "End": True}}})
SLOW_MAP = json.dumps({"StartAt": "M", "States": {"M": {
    "Type": "Map", "Label": "Slow", "MaxConcurrency": 1, "End": True,
    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "W",
                      "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}}}})

problems = []
called = set()


def check(ok, what):
    if not ok:
        problems.append(what)


def main(endpoint):
    sfn = boto3.client(
        "stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="AKIDSTEPWISE", aws_secret_access_key="not-a-secret",
        config=botocore.config.Config(inject_host_prefix=False, retries={"max_attempts": 1}))
    names = {sfn.meta.method_to_api_mapping[m]: m for m in sfn.meta.method_to_api_mapping}

    def call(op, **kw):
        out = getattr(sfn, names[op])(**kw)
        called.add(op)
        return out

    def fails(code, op, **kw):
        try:
            getattr(sfn, names[op])(**kw)
        except botocore.exceptions.ClientError as e:
            got = e.response["Error"]["Code"]
            check(got == code, "%s(%s) = %s; want %s" % (op, kw, got, code))
            called.add(op)
            return
        problems.append("%s(%s) succeeded; want %s" % (op, kw, code))

    def done(arn):
        for _ in range(500):
            d = sfn.describe_execution(executionArn=arn)
            if d["status"] != "RUNNING":
                return d
            time.sleep(0.02)
        raise SystemExit("%s still RUNNING" % arn)

    def nth_token(arn, n):
        for _ in range(500):
            evs = [e for e in sfn.get_execution_history(executionArn=arn)["events"] if e["type"] == "TaskScheduled"]
            if len(evs) >= n:
                return json.loads(evs[n - 1]["taskScheduledEventDetails"]["parameters"])["MessageBody"]["token"]
            time.sleep(0.02)
        raise SystemExit("no TaskScheduled event %d in %s" % (n, arn))

    # Versions and aliases, tags.
    sm = call("CreateStateMachine", name="py-flow", definition=PASS % "one", roleArn=ROLE, publish=True,
              tags=[{"key": "team", "value": "core"}])
    arn, v1 = sm["stateMachineArn"], sm.get("stateMachineVersionArn")
    check(v1 == arn + ":1", "CreateStateMachine(publish) = %s" % sm)
    up = call("UpdateStateMachine", stateMachineArn=arn, definition=PASS % "two")
    v2 = call("PublishStateMachineVersion", stateMachineArn=arn, revisionId=up["revisionId"])["stateMachineVersionArn"]
    check(v2 == arn + ":2", "PublishStateMachineVersion = %s" % v2)
    check(call("DescribeStateMachine", stateMachineArn=v1)["definition"] == PASS % "one", "DescribeStateMachine(v1)")
    page = call("ListStateMachineVersions", stateMachineArn=arn, maxResults=1)
    rest = call("ListStateMachineVersions", stateMachineArn=arn, maxResults=1, nextToken=page["nextToken"])
    got = [v["stateMachineVersionArn"] for v in page["stateMachineVersions"] + rest["stateMachineVersions"]]
    check(got == [v2, v1] and "nextToken" not in rest, "ListStateMachineVersions pages = %s" % got)
    alias = call("CreateStateMachineAlias", name="live", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}])
    alias = alias["stateMachineAliasArn"]
    call("UpdateStateMachineAlias", stateMachineAliasArn=alias, routingConfiguration=[
        {"stateMachineVersionArn": v1, "weight": 40}, {"stateMachineVersionArn": v2, "weight": 60}])
    d = call("DescribeStateMachineAlias", stateMachineAliasArn=alias)
    check([r["weight"] for r in d["routingConfiguration"]] == [40, 60], "DescribeStateMachineAlias = %s" % d)
    check([a["stateMachineAliasArn"] for a in call("ListStateMachineAliases", stateMachineArn=arn)["stateMachineAliases"]] == [alias],
          "ListStateMachineAliases")
    fails("ConflictException", "DeleteStateMachineVersion", stateMachineVersionArn=v1)
    call("DeleteStateMachineAlias", stateMachineAliasArn=alias)
    call("DeleteStateMachineVersion", stateMachineVersionArn=v1)
    call("TagResource", resourceArn=arn, tags=[{"key": "env", "value": "dev"}])
    call("UntagResource", resourceArn=arn, tagKeys=["team"])
    check(call("ListTagsForResource", resourceArn=arn)["tags"] == [{"key": "env", "value": "dev"}], "ListTagsForResource")
    check(arn in [m["stateMachineArn"] for m in call("ListStateMachines")["stateMachines"]], "ListStateMachines")
    call("DeleteStateMachine", stateMachineArn=arn)
    fails("StateMachineDoesNotExist", "DescribeStateMachine", stateMachineArn=arn + ":2")

    # An activity's task; its history and the activities in pages.
    act = call("CreateActivity", name="py-work")["activityArn"]
    spare = call("CreateActivity", name="py-spare")["activityArn"]
    task = call("CreateStateMachine", name="py-task", roleArn=ROLE,
                definition=json.dumps({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": act, "End": True}}}))
    x = call("StartExecution", stateMachineArn=task["stateMachineArn"], input='{"n":1}')["executionArn"]
    t = call("GetActivityTask", activityArn=act, workerName="py")
    check(t.get("input") == '{"n":1}', "GetActivityTask = %s" % t)
    call("SendTaskHeartbeat", taskToken=t["taskToken"])
    call("SendTaskSuccess", taskToken=t["taskToken"], output='{"done":true}')
    check(done(x)["output"] == '{"done":true}', "DescribeExecution after SendTaskSuccess")
    events = [e["type"] for p in sfn.get_paginator("get_execution_history").paginate(
        executionArn=x, PaginationConfig={"PageSize": 3}) for e in p["events"]]
    called.add("GetExecutionHistory")
    check(len(events) == 7 and events[-1] == "ExecutionSucceeded", "GetExecutionHistory pages = %s" % events)
    check(call("DescribeStateMachineForExecution", executionArn=x)["name"] == "py-task", "DescribeStateMachineForExecution")
    pages = list(sfn.get_paginator("list_activities").paginate(PaginationConfig={"PageSize": 1}))
    called.add("ListActivities")
    check(len(pages) == 2 and sorted(a["activityArn"] for p in pages for a in p["activities"]) == sorted([act, spare]),
          "ListActivities pages = %s" % pages)
    check(call("DescribeActivity", activityArn=spare)["name"] == "py-spare", "DescribeActivity")
    call("DeleteActivity", activityArn=spare)
    fails("ActivityDoesNotExist", "DescribeActivity", activityArn=spare)

    # A .waitForTaskToken task failed, redriven, answered; another stopped.
    cb = call("CreateStateMachine", name="py-callback", definition=CALLBACK, roleArn=ROLE)["stateMachineArn"]
    x = call("StartExecution", stateMachineArn=cb, name="redriven")["executionArn"]
    y = call("StartExecution", stateMachineArn=cb, name="stopped")["executionArn"]
    check("stopDate" in call("StopExecution", executionArn=y, error="Halt"), "StopExecution")
    first = nth_token(x, 1)
    call("SendTaskFailure", taskToken=first, error="Boom", cause="first try")
    d = done(x)
    check(d["status"] == "FAILED" and d.get("redriveStatus") == "REDRIVABLE", "DescribeExecution (failed) = %s" % d)
    check("redriveDate" in call("RedriveExecution", executionArn=x), "RedriveExecution")
    call("SendTaskSuccess", taskToken=nth_token(x, 2), output="{}")
    d = done(x)
    check(d["status"] == "SUCCEEDED" and d.get("redriveCount") == 1, "DescribeExecution (redriven) = %s" % d)
    fails("ExecutionNotRedrivable", "RedriveExecution", executionArn=x)
    fails("TaskTimedOut", "SendTaskSuccess", taskToken=first, output="{}")
    pages = list(sfn.get_paginator("list_executions").paginate(stateMachineArn=cb, PaginationConfig={"PageSize": 1}))
    called.add("ListExecutions")
    check(sorted(e["status"] for p in pages for e in p["executions"]) == ["ABORTED", "SUCCEEDED"] and len(pages) == 2,
          "ListExecutions pages = %s" % pages)

    # A distributed Map's run, updated while it runs.
    m = call("CreateStateMachine", name="py-map", definition=SLOW_MAP, roleArn=ROLE)["stateMachineArn"]
    x = call("StartExecution", stateMachineArn=m, input="[1,2,3]")["executionArn"]
    for _ in range(500):
        runs = call("ListMapRuns", executionArn=x)["mapRuns"]
        if runs:
            break
        time.sleep(0.02)
    run = runs[0]["mapRunArn"]
    call("UpdateMapRun", mapRunArn=run, maxConcurrency=2, toleratedFailurePercentage=10)
    d = call("DescribeMapRun", mapRunArn=run)
    check(d["status"] == "RUNNING" and d["maxConcurrency"] == 2 and d["toleratedFailurePercentage"] == 10, "DescribeMapRun = %s" % d)
    call("StopExecution", executionArn=x)
    fails("ResourceNotFound", "DescribeMapRun", mapRunArn=run.replace(":mapRun:py-map/", ":mapRun:gone/"))

    # EXPRESS, TestState, the validator, more errors.
    q = call("CreateStateMachine", name="py-quick", type="EXPRESS", definition=PASS % "q", roleArn=ROLE)["stateMachineArn"]
    s = call("StartSyncExecution", stateMachineArn=q, input="{}")
    check(s["status"] == "SUCCEEDED" and s["output"] == '"q"' and "billingDetails" in s, "StartSyncExecution = %s" % s)
    ts = call("TestState", definition='{"Type":"Pass","Parameters":{"v.$":"$.n"},"End":true}', input='{"n":7}', inspectionLevel="DEBUG")
    check(ts["status"] == "SUCCEEDED" and ts["output"] == '{"v":7}', "TestState = %s" % ts)
    v = call("ValidateStateMachineDefinition", definition='{"StartAt":"A","States":{}}')
    check(v["result"] == "FAIL" and v["diagnostics"][0]["severity"] == "ERROR", "ValidateStateMachineDefinition = %s" % v)
    fails("ExecutionDoesNotExist", "DescribeExecution", executionArn="arn:aws:states:us-east-1:111111111111:execution:py-quick:none")
    fails("InvalidArn", "GetExecutionHistory", executionArn="not-an-arn")
    fails("InvalidToken", "SendTaskFailure", taskToken="garbage")
    fails("ValidationException", "ListStateMachineVersions", stateMachineArn=q, maxResults=1001)

    missing = sorted(set(sfn.meta.service_model.operation_names) - called)
    check(not missing, "operations not called: %s" % missing)
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print("%d of %d operations" % (len(called), len(sfn.meta.service_model.operation_names)))


if __name__ == "__main__":
    main(sys.argv[1])
