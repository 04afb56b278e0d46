"""Execution logging as `loggingConfiguration` sets it: the log group's records (AWS's shape)
in a rotating NDJSON file under the data directory, filtered by level, with or without data;
AWS's refusals for a bad configuration."""
import json
import os
import time

import pytest
from botocore.exceptions import ClientError

from test_stepfunctions import ROLE, name

GROUP = "arn:aws:logs:us-east-1:000000000000:log-group:/aws/vendedlogs/states/%s:*"


def logging(level, group, data=False):
    return {"level": level, "includeExecutionData": data, "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group}}]}


def log_lines(server, group_name, count, timeout=20):
    path = os.path.join(server.data_dir, "logs", group_name.replace("/", "_") + ".ndjson")
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            lines = [json.loads(l) for l in open(path).read().splitlines()]
            if len(lines) >= count:
                return lines
        time.sleep(0.05)
    raise AssertionError("%s has fewer than %d records" % (path, count))


def finish(sfn, arn, **kw):
    run = sfn.start_execution(stateMachineArn=arn, **kw)["executionArn"]
    while sfn.describe_execution(executionArn=run)["status"] == "RUNNING":
        time.sleep(0.05)
    return run


def test_all_with_data_logs_every_event_in_awss_shape(server, sfn):
    n = name()
    group = GROUP % n
    arn = sfn.create_state_machine(name=n, roleArn=ROLE, loggingConfiguration=logging("ALL", group, data=True), definition=json.dumps(
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": {"x": 1}, "End": True}}}))["stateMachineArn"]
    described = sfn.describe_state_machine(stateMachineArn=arn)["loggingConfiguration"]
    assert described == logging("ALL", group, data=True)
    run = finish(sfn, arn, input='{"secret":"s"}')
    history = sfn.get_execution_history(executionArn=run)["events"]
    lines = log_lines(server, "/aws/vendedlogs/states/" + n, len(history))
    assert [l["type"] for l in lines] == [e["type"] for e in history]
    first = lines[0]
    assert set(first) == {"id", "type", "details", "previous_event_id", "event_timestamp", "execution_arn", "redrive_count"}
    assert first["id"] == "1" and first["previous_event_id"] == "0" and first["execution_arn"] == run and first["redrive_count"] == "0"
    assert first["details"]["input"] == '{"secret":"s"}'
    assert abs(int(first["event_timestamp"]) / 1000 - history[0]["timestamp"].timestamp()) < 0.002
    assert sfn.describe_state_machine_for_execution(executionArn=run)["loggingConfiguration"]["level"] == "ALL"


def test_error_level_without_data_logs_only_failures_and_hides_payloads(server, sfn):
    n = name()
    arn = sfn.create_state_machine(name=n, roleArn=ROLE, loggingConfiguration=logging("ERROR", GROUP % n), definition=json.dumps(
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "F"}, "F": {"Type": "Fail", "Error": "Bad", "Cause": "c"}}}))["stateMachineArn"]
    run = finish(sfn, arn, input='{"secret":"s"}')
    lines = log_lines(server, "/aws/vendedlogs/states/" + n, 2)
    assert [l["type"] for l in lines] == ["FailStateEntered", "ExecutionFailed"]
    assert "input" not in lines[0]["details"] and lines[1]["details"] == {"error": "Bad", "cause": "c"}
    assert all(l["execution_arn"] == run for l in lines)


def test_updating_to_off_stops_the_log_and_fatal_logs_only_the_end(server, sfn):
    n = name()
    group = GROUP % n
    arn = sfn.create_state_machine(name=n, roleArn=ROLE, loggingConfiguration=logging("FATAL", group), definition=json.dumps(
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Bad"}}}))["stateMachineArn"]
    finish(sfn, arn)
    assert [l["type"] for l in log_lines(server, "/aws/vendedlogs/states/" + n, 1)] == ["ExecutionFailed"]
    sfn.update_state_machine(stateMachineArn=arn, loggingConfiguration={"level": "OFF"})
    assert sfn.describe_state_machine(stateMachineArn=arn)["loggingConfiguration"] == {"level": "OFF", "includeExecutionData": False}
    finish(sfn, arn)
    sfn.update_state_machine(stateMachineArn=arn, loggingConfiguration=logging("FATAL", group))
    finish(sfn, arn)
    # Two failures logged: the one while OFF is not.
    assert len(log_lines(server, "/aws/vendedlogs/states/" + n, 2)) == 2


@pytest.mark.parametrize("configuration", [
    {"level": "ALL"},
    {"level": "ERROR", "destinations": []},
    {"level": "ALL", "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:logs:us-east-1:000000000000:log-group:x"}}]},
    {"level": "ALL", "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": GROUP % "a"}}, {"cloudWatchLogsLogGroup": {"logGroupArn": GROUP % "b"}}]},
])
def test_a_bad_configuration_is_refused_and_creates_nothing(sfn, configuration):
    n = name()
    with pytest.raises(ClientError) as e:
        sfn.create_state_machine(name=n, roleArn=ROLE, loggingConfiguration=configuration,
                                 definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}))
    assert e.value.response["Error"]["Code"] == "InvalidLoggingConfiguration"
    assert not [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == n]


def test_an_express_execution_is_logged_from_its_in_memory_events(server, sfn):
    n = name()
    arn = sfn.create_state_machine(name=n, roleArn=ROLE, type="EXPRESS", loggingConfiguration=logging("ALL", GROUP % n), definition=json.dumps(
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    out = sfn.start_sync_execution(stateMachineArn=arn, input="{}")
    assert out["status"] == "SUCCEEDED"
    lines = log_lines(server, "/aws/vendedlogs/states/" + n, 6)
    assert [l["type"] for l in lines] == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "PassStateEntered", "PassStateExited",
                                          "ExecutionSucceeded"]
