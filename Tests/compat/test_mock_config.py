"""Step Functions Local's mock configuration on the server: `baton serve --mock-config FILE`
(or SFN_MOCK_CONFIG), StartExecution on `stateMachineArn#CASE`, responses by invocation with
retries consuming them, a `.waitForTaskToken` state answered by its mock, unlisted states
calling their real integration, the file read again when it changes, a missing response
failing the run, and the invocation count surviving kill -9."""
import json
import os
import signal
import subprocess
import tempfile
import time

import pytest
from botocore.exceptions import ClientError

from conftest import BATON, Server, free_port

ROLE = "arn:aws:iam::000000000000:role/baton"

DEFINITION = {
    "StartAt": "LambdaState",
    "States": {
        "LambdaState": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "HelloWorldFunction"},
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 1}],
            "ResultSelector": {"body.$": "$.Payload.body"},
            "ResultPath": "$.lambda", "Next": "Pause",
        },
        "Pause": {"Type": "Wait", "Seconds": 2, "Next": "Approval"},
        "Approval": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/approvals", "MessageBody": {"token.$": "$$.Task.Token"}},
            "ResultPath": "$.approval", "Next": "SQSState",
        },
        "SQSState": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl.$": "$.queueUrl", "MessageBody": "done"},
            "ResultPath": "$.sent", "End": True,
        },
    },
}


def config(lambda_responses):
    return {
        "StateMachines": {"LambdaSQSIntegration": {"TestCases": {
            "HappyPath": {"LambdaState": "MockedLambdaSuccess", "Approval": "Approved"},
            "RetryPath": {"LambdaState": "MockedLambdaRetry", "Approval": "Approved"},
            "NotEnough": {"LambdaState": "MockedLambdaTooFew"},
        }}},
        "MockedResponses": {
            "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200, "Payload": {"body": lambda_responses}}}},
            "MockedLambdaRetry": {
                "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}},
                "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
                "3": {"Return": {"StatusCode": 200, "Payload": {"body": "after retries"}}},
            },
            "MockedLambdaTooFew": {"0-1": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}}},
            "Approved": {"0": {"Return": {"approved": True}}},
        },
    }


def wait_done(sfn, arn, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return d
        time.sleep(0.1)
    raise AssertionError("still running: %s" % arn)


@pytest.fixture
def mocked():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "mocks.json")
        with open(path, "w") as f:
            json.dump(config("Hello from Lambda!"), f)
        s = Server(os.path.join(d, "data"))
        os.environ["SFN_MOCK_CONFIG"] = path
        try:
            s.start()
        finally:
            del os.environ["SFN_MOCK_CONFIG"]
        try:
            sfn, sqs = s.client(), s.client("sqs")
            queue = sqs.create_queue(QueueName="results")["QueueUrl"]
            sm = sfn.create_state_machine(name="LambdaSQSIntegration", roleArn=ROLE, definition=json.dumps(DEFINITION))["stateMachineArn"]
            yield s, sm, queue, path
        finally:
            s.stop()


def test_test_cases_take_their_mocks_and_unlisted_states_call_the_real_integration(mocked):
    s, sm, queue, _ = mocked
    sfn, sqs = s.client(), s.client("sqs")
    arn = sfn.start_execution(stateMachineArn=sm + "#HappyPath", input=json.dumps({"queueUrl": queue}))["executionArn"]
    assert arn.endswith(":execution:LambdaSQSIntegration:" + arn.rsplit(":", 1)[1])
    d = wait_done(sfn, arn)
    assert d["status"] == "SUCCEEDED", d
    out = json.loads(d["output"])
    assert out["lambda"]["body"] == "Hello from Lambda!" and out["approval"] == {"approved": True}
    # SQSState is not in the case: it sent a real message.
    got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    assert got[0]["Body"] == "done"

    arn = sfn.start_execution(stateMachineArn=sm + "#RetryPath", input=json.dumps({"queueUrl": queue}))["executionArn"]
    d = wait_done(sfn, arn)
    assert d["status"] == "SUCCEEDED" and json.loads(d["output"])["lambda"]["body"] == "after retries"
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    failed = [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]
    assert failed == ["Lambda.ResourceNotReadyException", "Lambda.TimeoutException", "Lambda.TimeoutException"]

    # Past the last response the run fails, whatever Retry says.
    arn = sfn.start_execution(stateMachineArn=sm + "#NotEnough", input="{}")["executionArn"]
    d = wait_done(sfn, arn)
    assert d["status"] == "FAILED" and d["error"] == "States.Runtime" and "invocation 2 of state 'LambdaState'" in d["cause"]


def test_an_unknown_case_is_refused_and_the_file_is_read_again_when_it_changes(mocked):
    s, sm, queue, path = mocked
    sfn = s.client()
    with pytest.raises(ClientError) as e:
        sfn.start_execution(stateMachineArn=sm + "#NoSuchCase", input="{}")
    assert e.value.response["Error"]["Code"] == "InvalidArn" and "NoSuchCase" in e.value.response["Error"]["Message"]
    with open(path, "w") as f:
        json.dump(config("edited"), f)
    arn = sfn.start_execution(stateMachineArn=sm + "#HappyPath", input=json.dumps({"queueUrl": queue}))["executionArn"]
    assert json.loads(wait_done(sfn, arn)["output"])["lambda"]["body"] == "edited"
    # A broken edit is reported, and changes nothing.
    with open(path, "w") as f:
        f.write('{"MockedResponses": {"R": {"1": {"Return": 1}}}}')
    with pytest.raises(ClientError) as e:
        sfn.start_execution(stateMachineArn=sm + "#HappyPath", input="{}")
    assert "MockedResponses.R.1" in e.value.response["Error"]["Message"]


def test_the_invocation_count_survives_kill_9(mocked):
    s, sm, queue, _ = mocked
    sfn = s.client()
    arn = sfn.start_execution(stateMachineArn=sm + "#RetryPath", input=json.dumps({"queueUrl": queue}))["executionArn"]
    time.sleep(1.2)  # inside the retries (one second apart) or the Wait after them
    s.stop(signal.SIGKILL)
    os.environ["SFN_MOCK_CONFIG"] = mocked[3]
    try:
        s.start()
    finally:
        del os.environ["SFN_MOCK_CONFIG"]
    sfn = s.client()
    d = wait_done(sfn, arn)
    assert d["status"] == "SUCCEEDED" and json.loads(d["output"])["lambda"]["body"] == "after retries"
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    assert [e["type"] for e in events].count("TaskFailed") == 3


def test_a_malformed_file_stops_the_server_with_the_path():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "mocks.json")
        with open(path, "w") as f:
            f.write('{"StateMachines": {"M": {"TestCases": {"C": {"S": "Missing"}}}}, "MockedResponses": {}}')
        r = subprocess.run([BATON, "serve", "--port", str(free_port()), "--data-dir", os.path.join(d, "data"), "--mock-config", path],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode != 0 and "StateMachines.M.TestCases.C.S" in r.stderr
