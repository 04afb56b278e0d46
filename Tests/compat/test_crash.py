"""The server killed with SIGKILL in the middle of a mixed workload (waits, Map and Parallel,
functions with retries) and restarted: every execution finishes, with a valid history."""
import json
import signal
import time
import urllib.request

import pytest

from conftest import BACKENDS, POSTGRES, Server
from test_lambda import create
from test_stepfunctions import ROLE


@pytest.mark.parametrize("backend", BACKENDS)
def test_mixed_workload_survives_sigkill(tmp_path, backend):
    s = Server(str(tmp_path / "data"), database=backend).start()
    try:
        sfn, lam = s.client(), s.client("lambda")
        flaky = create(lam, "fail_first_attempt")
        definition = {"StartAt": "Prepare", "States": {
            "Prepare": {"Type": "Pass", "Parameters": {"items": [1, 2, 3]}, "Next": "Fan"},
            "Fan": {"Type": "Parallel", "Next": "Rest", "Branches": [
                {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "End": True,
                    "ItemProcessor": {"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 1, "End": True}}}}}},
                {"StartAt": "Call", "States": {"Call": {
                    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": flaky, "Payload": {"attempt.$": "$$.State.RetryCount"}},
                    "Retry": [{"ErrorEquals": ["Exception"], "IntervalSeconds": 1, "MaxAttempts": 2}], "End": True}}},
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": True}}}]},
            "Rest": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
            "Done": {"Type": "Pass", "End": True}}}
        arn = sfn.create_state_machine(name="mixed", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
        started = [sfn.start_execution(stateMachineArn=arn, name="m%d" % i)["executionArn"] for i in range(10)]
        time.sleep(0.5)
        s.stop(signal.SIGKILL)
        s.start()
        # Ready again (its journal answers) as soon as it serves.
        with urllib.request.urlopen(s.endpoint + "/health/ready", timeout=10) as r:
            assert r.status == 200 and json.loads(r.read())["status"] == "ready"
        sfn = s.client()
        deadline = time.time() + 60
        for ex in started:
            while time.time() < deadline and sfn.describe_execution(executionArn=ex)["status"] == "RUNNING":
                time.sleep(0.05)
            d = sfn.describe_execution(executionArn=ex)
            assert d["status"] == "SUCCEEDED", d
            events = sfn.get_execution_history(executionArn=ex, maxResults=1000)["events"]
            assert [e["id"] for e in events] == list(range(1, len(events) + 1))
            assert [e["type"] for e in events].count("ExecutionSucceeded") == 1 and events[-1]["type"] == "ExecutionSucceeded"
            for name in ["Prepare", "Fan", "Each", "Call", "A", "B", "Rest", "Done"]:
                entered = [e for e in events if e["type"].endswith("StateEntered") and e["stateEnteredEventDetails"]["name"] == name]
                assert len(entered) == 1, (ex, name, len(entered))
            assert [e["type"] for e in events].count("MapIterationSucceeded") == 3
    finally:
        s.stop()


@pytest.mark.parametrize("args,reason", [
    (["--database", "mysql://u@h/d"], "not a PostgreSQL URL"),
    (["--database", "postgres://u@h/d?sslmode=require"], "sslmode=require is not supported"),
    (["--database", "postgres://u@h/d?schema=bad-name"], "schema must be letters"),
    (["--database-pool", "4"], "give --database"),
])
def test_a_bad_database_option_is_refused_before_anything_starts(tmp_path, args, reason):
    from conftest import BATON, free_port
    import subprocess
    out = subprocess.run([BATON, "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "d")] + args,
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and reason in out.stderr, out.stderr
    # Nothing was created.
    assert not (tmp_path / "d").exists()


@pytest.mark.skipif(POSTGRES is None, reason="BATON_TEST_POSTGRES is not set")
def test_an_unreachable_database_stops_the_start_with_the_reason(tmp_path):
    from conftest import BATON, free_port
    import subprocess
    out = subprocess.run([BATON, "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "d"),
                          "--database", "postgres://baton@127.0.0.1:%d/postgres" % free_port()], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "cannot open the PostgreSQL journal" in out.stderr, out.stderr
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_task_sends_to_a_queue_on_every_backend(tmp_path, backend):
    """sqs:sendMessage from a Task state: on SQLite the send rides with the step; on PostgreSQL
    (queues still in SQLite) it is made on its own just after."""
    s = Server(str(tmp_path / "data"), database=backend).start()
    try:
        sfn, sqs = s.client(), s.client("sqs")
        url = sqs.create_queue(QueueName="out")["QueueUrl"]
        definition = {"StartAt": "Send", "States": {"Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                      "Parameters": {"QueueUrl": url, "MessageBody.$": "$.text"}, "End": True}}}
        arn = sfn.create_state_machine(name="send", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
        run = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"text": "hello"}))["executionArn"]
        deadline = time.time() + 20
        while sfn.describe_execution(executionArn=run)["status"] == "RUNNING" and time.time() < deadline:
            time.sleep(0.05)
        d = sfn.describe_execution(executionArn=run)
        assert d["status"] == "SUCCEEDED", d
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
        assert [m["Body"] for m in got] == ["hello"] and json.loads(d["output"])["MessageId"] == got[0]["MessageId"]
    finally:
        s.stop()
