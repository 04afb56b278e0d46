"""boto3 and the aws CLI against `baton serve`, unchanged but for the endpoint URL."""
import json
import os
import subprocess
import urllib.request
import uuid

import pytest

ROLE = "arn:aws:iam::000000000000:role/sfn"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "End": True}}})
WAIT = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}})


def name():
    return "t-" + uuid.uuid4().hex[:12]


def wait_done(sfn, arn):
    for _ in range(200):
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return d
    raise AssertionError("execution did not finish")


def test_state_machine_lifecycle(sfn):
    n = name()
    arn = sfn.create_state_machine(name=n, definition=PASS, roleArn=ROLE)["stateMachineArn"]
    assert arn == "arn:aws:states:us-east-1:000000000000:stateMachine:" + n
    # Idempotent with the same definition, refused with another.
    assert sfn.create_state_machine(name=n, definition=PASS, roleArn=ROLE)["stateMachineArn"] == arn
    with pytest.raises(sfn.exceptions.StateMachineAlreadyExists):
        sfn.create_state_machine(name=n, definition=WAIT, roleArn=ROLE)
    d = sfn.describe_state_machine(stateMachineArn=arn)
    assert d["name"] == n and d["status"] == "ACTIVE" and json.loads(d["definition"]) == json.loads(PASS)
    assert arn in [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]]
    sfn.update_state_machine(stateMachineArn=arn, definition=WAIT)
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == json.loads(WAIT)
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=arn)


@pytest.mark.parametrize("bad, error", [
    ('{"StartAt": "X", "States": {}}', "InvalidDefinition"),
    ("not json", "InvalidDefinition"),
])
def test_invalid_definitions(sfn, bad, error):
    with pytest.raises(getattr(sfn.exceptions, error)):
        sfn.create_state_machine(name=name(), definition=bad, roleArn=ROLE)


def test_invalid_names_and_arns(sfn):
    with pytest.raises(sfn.exceptions.InvalidName):
        sfn.create_state_machine(name="has space", definition=PASS, roleArn=ROLE)
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.describe_state_machine(stateMachineArn="not-an-arn")
    for bad in ["arn:aws:states:us-east-1:000000000000:stateMachine:x", "not-an-arn:aws:states:us-east-1:0:execution:x:y",
                "arn::states:us-east-1:000000000000:execution:x:y", "arn:aws:lambda:us-east-1:000000000000:execution:x:y",
                "arn:aws:states:us-east-1:000000000000:execution:x", "arn:aws:states:us-east-1:000000000000"]:
        with pytest.raises(sfn.exceptions.InvalidArn):
            sfn.describe_execution(executionArn=bad)
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.describe_execution(executionArn="arn:aws:states:us-east-1:000000000000:execution:x:nope")


def test_execution_and_history(sfn):
    arn = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE)["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn, name="run1", input='{"a": 1}')["executionArn"]
    d = wait_done(sfn, ex)
    assert d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"ok": True}
    assert d["startDate"] <= d["stopDate"]
    events = sfn.get_execution_history(executionArn=ex)["events"]
    assert [e["type"] for e in events] == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert json.loads(events[0]["executionStartedEventDetails"]["input"]) == {"a": 1}
    # Pagination with maxResults and nextToken, and reverse order.
    page = sfn.get_execution_history(executionArn=ex, maxResults=3)
    rest = sfn.get_execution_history(executionArn=ex, maxResults=3, nextToken=page["nextToken"])
    assert [e["id"] for e in page["events"] + rest["events"]] == [1, 2, 3, 4]
    assert sfn.get_execution_history(executionArn=ex, reverseOrder=True)["events"][0]["type"] == "ExecutionSucceeded"
    assert sfn.describe_state_machine_for_execution(executionArn=ex)["stateMachineArn"] == arn
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=arn, name="run1", input='{"a": 2}')
    with pytest.raises(sfn.exceptions.InvalidExecutionInput):
        sfn.start_execution(stateMachineArn=arn, input="{nope")


def test_start_is_idempotent_for_a_running_execution_and_stop(sfn):
    arn = sfn.create_state_machine(name=name(), definition=WAIT, roleArn=ROLE)["stateMachineArn"]
    first = sfn.start_execution(stateMachineArn=arn, name="same", input="{}")
    again = sfn.start_execution(stateMachineArn=arn, name="same", input="{}")
    assert first["executionArn"] == again["executionArn"]
    listed = sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
    assert [e["name"] for e in listed] == ["same"]
    sfn.stop_execution(executionArn=first["executionArn"], error="Stop", cause="test")
    d = sfn.describe_execution(executionArn=first["executionArn"])
    assert d["status"] == "ABORTED"
    assert sfn.get_execution_history(executionArn=first["executionArn"])["events"][-1]["type"] == "ExecutionAborted"


def test_list_executions_pages(sfn):
    arn = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE)["stateMachineArn"]
    for i in range(5):
        sfn.start_execution(stateMachineArn=arn, name="e%d" % i)
    seen, token = [], None
    while True:
        kw = {"stateMachineArn": arn, "maxResults": 2}
        if token:
            kw["nextToken"] = token
        page = sfn.list_executions(**kw)
        seen += [e["name"] for e in page["executions"]]
        token = page.get("nextToken")
        if not token:
            break
    assert sorted(seen) == ["e0", "e1", "e2", "e3", "e4"]


def test_activity_task_token_round_trip(sfn):
    act = sfn.create_activity(name=name())["activityArn"]
    definition = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": act, "End": True}}})
    arn = sfn.create_state_machine(name=name(), definition=definition, roleArn=ROLE)["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn, input='{"order": 7}')["executionArn"]
    task = sfn.get_activity_task(activityArn=act, workerName="w1")
    assert json.loads(task["input"]) == {"order": 7}
    sfn.send_task_heartbeat(taskToken=task["taskToken"])
    sfn.send_task_success(taskToken=task["taskToken"], output='{"approved": true}')
    assert json.loads(wait_done(sfn, ex)["output"]) == {"approved": True}
    with pytest.raises(sfn.exceptions.TaskTimedOut):
        sfn.send_task_success(taskToken=task["taskToken"], output="{}")
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.send_task_failure(taskToken="!!", error="E")
    assert act in [a["activityArn"] for a in sfn.list_activities()["activities"]]
    sfn.delete_activity(activityArn=act)
    with pytest.raises(sfn.exceptions.ActivityDoesNotExist):
        sfn.describe_activity(activityArn=act)


def test_express_sync_execution(sfn):
    arn = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE, type="EXPRESS")["stateMachineArn"]
    r = sfn.start_sync_execution(stateMachineArn=arn, input="{}")
    assert r["status"] == "SUCCEEDED" and json.loads(r["output"]) == {"ok": True}
    # StartSyncExecution has no ExecutionAlreadyExists: a name used before runs again.
    for _ in range(2):
        again = sfn.start_sync_execution(stateMachineArn=arn, name="same-name", input="{}")
        assert again["status"] == "SUCCEEDED" and again["name"] == "same-name"


def test_validate_definition(sfn):
    ok = sfn.validate_state_machine_definition(definition=PASS)
    assert ok["result"] == "OK" and ok["diagnostics"] == []
    bad = sfn.validate_state_machine_definition(definition='{"StartAt": "X", "States": {"A": {"Type": "Pass"}}}')
    assert bad["result"] == "FAIL"
    assert {d["code"] for d in bad["diagnostics"]} >= {"MISSING_TRANSITION_TARGET"}


def raw(server, target, body):
    req = urllib.request.Request(server.endpoint + "/", data=body, method="POST",
                                 headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_malformed_requests_get_aws_errors(server):
    status, body = raw(server, "AWSStepFunctions.ListStateMachines", b"{nope")
    assert status == 400 and body["__type"] == "SerializationException"
    status, body = raw(server, "AWSStepFunctions.NoSuchThing", b"{}")
    assert status == 400 and body["__type"] == "UnknownOperationException"
    status, body = raw(server, "Other.Thing", b"{}")
    assert status == 400 and body["__type"] == "UnknownOperationException"
    status, body = raw(server, "AWSStepFunctions.DescribeExecution", b'{"executionArn": 5}')
    assert status == 400 and body["__type"] == "ValidationException"


def test_aws_cli_full_path(server, tmp_path):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    base = ["aws", "--endpoint-url", server.endpoint, "stepfunctions", "--output", "json"]
    definition = tmp_path / "d.json"
    definition.write_text(PASS)

    def cli(*args):
        out = subprocess.run(base + list(args), env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else {}

    act = cli("create-activity", "--name", name())["activityArn"]
    definition.write_text(json.dumps({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": act, "End": True}}}))
    arn = cli("create-state-machine", "--name", name(), "--definition", "file://%s" % definition, "--role-arn", ROLE)["stateMachineArn"]
    ex = cli("start-execution", "--state-machine-arn", arn, "--input", '{"x":1}')["executionArn"]
    assert cli("describe-execution", "--execution-arn", ex)["status"] == "RUNNING"
    task = cli("get-activity-task", "--activity-arn", act, "--worker-name", "cli")
    cli("send-task-success", "--task-token=" + task["taskToken"], "--task-output", '{"done":true}')
    assert json.loads(cli("describe-execution", "--execution-arn", ex)["output"]) == {"done": True}
    events = cli("get-execution-history", "--execution-arn", ex)["events"]
    assert [e["type"] for e in events][-3:] == ["ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"]


def test_sigkill_loses_nothing_acknowledged(tmp_path):
    from conftest import Server
    import signal
    s = Server(str(tmp_path / "data")).start()
    sfn = s.client()
    arn = sfn.create_state_machine(name="durable", definition=WAIT, roleArn=ROLE)["stateMachineArn"]
    started = [sfn.start_execution(stateMachineArn=arn, name="k%d" % i)["executionArn"] for i in range(20)]
    s.stop(signal.SIGKILL)
    s.start()
    sfn = s.client()
    for ex in started:
        assert sfn.describe_execution(executionArn=ex)["status"] == "RUNNING"
        assert [e["type"] for e in sfn.get_execution_history(executionArn=ex)["events"]] == ["ExecutionStarted", "WaitStateEntered"]
    assert s.stop(signal.SIGTERM) == 0


def test_versions_aliases_and_routing(sfn):
    arn = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE, publish=True)["stateMachineArn"]
    v1 = arn + ":1"
    assert [v["stateMachineVersionArn"] for v in sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]] == [v1]
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"v": 2}, "End": True}}}))
    v2 = sfn.publish_state_machine_version(stateMachineArn=arn, description="second")["stateMachineVersionArn"]
    assert v2 == arn + ":2"
    assert json.loads(sfn.describe_state_machine(stateMachineArn=v1)["definition"]) == json.loads(PASS)
    alias = sfn.create_state_machine_alias(name="prod", routingConfiguration=[
        {"stateMachineVersionArn": v1, "weight": 100}])["stateMachineAliasArn"]
    ex = sfn.start_execution(stateMachineArn=alias)["executionArn"]
    d = wait_done(sfn, ex)
    assert json.loads(d["output"]) == {"ok": True}
    assert d["stateMachineVersionArn"] == v1 and d["stateMachineAliasArn"] == alias
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=alias)["executions"]] == [ex]
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=v1)["executions"]] == [ex]
    sfn.update_state_machine_alias(stateMachineAliasArn=alias, routingConfiguration=[
        {"stateMachineVersionArn": v2, "weight": 100}])
    ex = sfn.start_execution(stateMachineArn=alias)["executionArn"]
    assert json.loads(wait_done(sfn, ex)["output"]) == {"v": 2}
    with pytest.raises(sfn.exceptions.ValidationException):
        sfn.update_state_machine_alias(stateMachineAliasArn=alias, routingConfiguration=[
            {"stateMachineVersionArn": v1, "weight": 60}, {"stateMachineVersionArn": v2, "weight": 30}])
    with pytest.raises(sfn.exceptions.ConflictException):
        sfn.delete_state_machine_version(stateMachineVersionArn=v2)
    assert sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["name"] == "prod"
    assert [a["stateMachineAliasArn"] for a in sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]] == [alias]
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    with pytest.raises(sfn.exceptions.ResourceNotFound):
        sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    sfn.delete_state_machine_version(stateMachineVersionArn=v1)


def test_tags(sfn):
    arn = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE,
                                   tags=[{"key": "team", "value": "a"}])["stateMachineArn"]
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "dev"}])
    assert sorted((t["key"], t["value"]) for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]) == [("env", "dev"), ("team", "a")]
    sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert [t["key"] for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]] == ["env"]
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.list_tags_for_resource(resourceArn="nope")


def test_signature_v4_is_enforced_when_required(tmp_path):
    import boto3
    import subprocess as sp
    from botocore.config import Config
    from conftest import BATON, Server, free_port
    s = Server(str(tmp_path / "signed"))
    s.proc = None
    port = s.port
    proc = sp.Popen([BATON, "serve", "--port", str(port), "--data-dir", s.data_dir, "--require-signature",
                     "--access-key-id", "AKIDBATON", "--secret-access-key", "s3cret"], stdout=sp.DEVNULL, stderr=sp.DEVNULL)
    s.proc = proc
    try:
        import socket, time
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)

        def client(key, secret):
            return boto3.client("stepfunctions", endpoint_url=s.endpoint, region_name="us-east-1", aws_access_key_id=key,
                                aws_secret_access_key=secret, config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))

        good = client("AKIDBATON", "s3cret")
        assert "stateMachines" in good.list_state_machines()
        arn = good.create_state_machine(name="signed", definition=PASS, roleArn=ROLE)["stateMachineArn"]
        assert good.describe_state_machine(stateMachineArn=arn)["name"] == "signed"
        bad_key = client("AKIDOTHER", "s3cret")
        try:
            bad_key.list_state_machines()
            raise AssertionError("an unknown key must be refused")
        except bad_key.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == "UnrecognizedClientException"
        bad_secret = client("AKIDBATON", "wrong")
        try:
            bad_secret.list_state_machines()
            raise AssertionError("a wrong signature must be refused")
        except bad_secret.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == "InvalidSignatureException"
        status, body = raw(s, "AWSStepFunctions.ListStateMachines", b"{}")
        assert status == 400 and body["__type"] == "MissingAuthenticationTokenException"
    finally:
        s.stop()


def test_non_loopback_requires_a_key(tmp_path):
    from conftest import BATON, free_port
    out = subprocess.run([BATON, "serve", "--host", "0.0.0.0", "--port", str(free_port()), "--data-dir", str(tmp_path / "d")],
                         capture_output=True, text=True, timeout=30)
    # The refusal itself names the flags (not only the usage line, which a long option list shortens).
    assert out.returncode != 0 and "requires --access-key-id and --secret-access-key" in out.stderr


def test_test_state(sfn):
    choice = {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Big"}], "Default": "Small"}
    r = sfn.test_state(definition=json.dumps(choice), roleArn=ROLE, input='{"n": 9}')
    assert r["status"] == "SUCCEEDED" and r["nextState"] == "Big" and json.loads(r["output"]) == {"n": 9}
    p = {"Type": "Pass", "InputPath": "$.a", "Parameters": {"x.$": "$.b"}, "Next": "After"}
    r = sfn.test_state(definition=json.dumps(p), roleArn=ROLE, input='{"a": {"b": 1}}', inspectionLevel="DEBUG")
    assert json.loads(r["output"]) == {"x": 1} and r["nextState"] == "After"
    assert json.loads(r["inspectionData"]["afterInputPath"]) == {"b": 1}
    assert json.loads(r["inspectionData"]["afterParameters"]) == {"x": 1}
    f = {"Type": "Fail", "Error": "Nope", "Cause": "because"}
    r = sfn.test_state(definition=json.dumps(f), roleArn=ROLE, input="{}")
    assert r["status"] == "FAILED" and r["error"] == "Nope" and r["cause"] == "because"


def test_test_state_with_jsonata_and_variables(sfn):
    # The variables given are visible to the state; the inspection shows them after its Assign.
    p = {"Type": "Pass", "QueryLanguage": "JSONata", "Assign": {"total": "{% $total + $states.input.n %}"},
         "Output": {"before": "{% $total %}", "who": "{% $user.name %}"}, "Next": "After"}
    r = sfn.test_state(definition=json.dumps(p), roleArn=ROLE, input='{"n": 5}', inspectionLevel="DEBUG",
                       variables=json.dumps({"total": 10, "user": {"name": "ana"}}))
    assert r["status"] == "SUCCEEDED" and r["nextState"] == "After"
    assert json.loads(r["output"]) == {"before": 10, "who": "ana"}
    assert json.loads(r["inspectionData"]["variables"]) == {"total": 15, "user": {"name": "ana"}}
    # A failing expression is States.QueryEvaluationError with AWS's message.
    bad = {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $missing %}", "End": True}
    r = sfn.test_state(definition=json.dumps(bad), roleArn=ROLE, input="{}")
    assert r["status"] == "FAILED" and r["error"] == "States.QueryEvaluationError"
    assert "The JSONata expression '$missing' specified for the field 'Output' returned nothing (undefined)." in r["cause"]


def test_jsonata_definitions_are_checked_at_create(sfn):
    bad = {"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Output": "{% 1 + %}", "End": True}}}
    with pytest.raises(sfn.exceptions.InvalidDefinition) as e:
        sfn.create_state_machine(name=name(), definition=json.dumps(bad), roleArn=ROLE)
    assert "/States/A/Output" in str(e.value)
    mixed = {"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "$.x", "End": True}}}
    with pytest.raises(sfn.exceptions.InvalidDefinition):
        sfn.create_state_machine(name=name(), definition=json.dumps(mixed), roleArn=ROLE)
    r = sfn.validate_state_machine_definition(definition=json.dumps(bad))
    assert r["result"] == "FAIL" and r["diagnostics"][0]["location"] == "/States/A/Output"


def test_jsonata_run_records_assigned_variables(sfn):
    d = {"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"n": "{% $states.input.n * 2 %}"}, "Next": "B"},
        "B": {"Type": "Pass", "Output": {"n": "{% $n %}"}, "End": True}}}
    arn = sfn.create_state_machine(name=name(), definition=json.dumps(d), roleArn=ROLE)["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn, input='{"n": 21}')["executionArn"]
    assert wait_done(sfn, ex)["status"] == "SUCCEEDED"
    assert json.loads(sfn.describe_execution(executionArn=ex)["output"]) == {"n": 42}
    events = sfn.get_execution_history(executionArn=ex)["events"]
    exited = [e["stateExitedEventDetails"] for e in events if e["type"] == "PassStateExited"]
    assert exited[0]["assignedVariables"] == {"n": "42"} and exited[0]["assignedVariablesDetails"] == {"truncated": False}
    assert "assignedVariables" not in exited[1]


def test_redrive_execution(sfn):
    definition = json.dumps({"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "E", "Cause": "c"}}})
    arn = sfn.create_state_machine(name=name(), definition=definition, roleArn=ROLE)["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert wait_done(sfn, ex)["status"] == "FAILED"
    sfn.redrive_execution(executionArn=ex)
    d = wait_done(sfn, ex)
    assert d["status"] == "FAILED" and d["redriveCount"] == 1
    types = [e["type"] for e in sfn.get_execution_history(executionArn=ex)["events"]]
    assert types == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed", "ExecutionRedriven", "FailStateEntered", "ExecutionFailed"]
    ok = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE)["stateMachineArn"]
    done = sfn.start_execution(stateMachineArn=ok)["executionArn"]
    wait_done(sfn, done)
    with pytest.raises(sfn.exceptions.ExecutionNotRedrivable):
        sfn.redrive_execution(executionArn=done)


def test_map_run_actions_answer_for_what_exists(sfn):
    arn = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE)["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert sfn.list_map_runs(executionArn=ex)["mapRuns"] == []
    missing = "arn:aws:states:us-east-1:000000000000:mapRun:x/y:z"
    with pytest.raises(sfn.exceptions.ResourceNotFound):
        sfn.describe_map_run(mapRunArn=missing)
    with pytest.raises(sfn.exceptions.ResourceNotFound):
        sfn.update_map_run(mapRunArn=missing, maxConcurrency=1)


def test_oversized_bodies_and_inputs_are_refused(server, sfn):
    status, body = raw(server, "AWSStepFunctions.ListStateMachines", b"{" + b" " * (2 * 1024 * 1024) + b"}")
    assert status == 413 and body["__type"] == "RequestEntityTooLargeException"
    arn = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE)["stateMachineArn"]
    with pytest.raises(sfn.exceptions.InvalidExecutionInput):
        sfn.start_execution(stateMachineArn=arn, input=json.dumps({"big": "x" * (300 * 1024)}))


def test_express_start_execution_returns_at_once(sfn):
    definition = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
                                                        "P": {"Type": "Pass", "Result": "done", "End": True}}})
    arn = sfn.create_state_machine(name=name(), definition=definition, roleArn=ROLE, type="EXPRESS")["stateMachineArn"]
    import time
    t0 = time.time()
    ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert ":express:" in ex
    assert time.time() - t0 < 0.9, "an asynchronous Express start does not wait for the run"
    for _ in range(100):
        d = sfn.describe_execution(executionArn=ex)
        if d["status"] != "RUNNING":
            break
        time.sleep(0.05)
    assert d["status"] == "SUCCEEDED" and json.loads(d["output"]) == "done"


def test_update_with_publish_makes_a_version_and_aliases_route_by_weight(sfn):
    arn = sfn.create_state_machine(name="catalogue", definition=PASS, roleArn=ROLE, publish=True)["stateMachineArn"]
    assert sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"][0]["stateMachineVersionArn"] == arn + ":1"
    other = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 2, "End": True}}})
    r = sfn.update_state_machine(stateMachineArn=arn, definition=other, publish=True, versionDescription="two")
    assert r["stateMachineVersionArn"] == arn + ":2"
    # Publishing the unchanged definition returns the latest version.
    assert sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"] == arn + ":2"
    alias = sfn.create_state_machine_alias(name="live", routingConfiguration=[
        {"stateMachineVersionArn": arn + ":2", "weight": 100}])["stateMachineAliasArn"]
    run = sfn.start_execution(stateMachineArn=alias, name="via-alias")["executionArn"]
    d = sfn.describe_execution(executionArn=run)
    assert d["stateMachineVersionArn"] == arn + ":2" and d["stateMachineAliasArn"] == alias
    # The same name and input while it runs (or the same call repeated) is the same execution.
    assert sfn.list_executions(stateMachineArn=alias)["executions"][0]["executionArn"] == run


def test_test_state_with_mocks(sfn, server):
    """TestState as AWS's API has it since November 2025: a mocked result checked against the
    action's output shape, a mocked error that a Retry reports RETRIABLE and a Catch takes, a
    mocked Map, a state inside a whole definition with a given context; and without a mock, a
    Task that calls the real integration on this endpoint."""
    task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f", "Payload.$": "$"},
            "ResultSelector": {"p.$": "$.Payload"}, "ResultPath": "$.r", "Next": "After",
            "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "MaxAttempts": 2, "IntervalSeconds": 3, "BackoffRate": 2}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Fallback", "ResultPath": "$.err"}]}
    d = json.dumps(task)
    r = sfn.test_state(definition=d, input='{"a":1}', inspectionLevel="DEBUG",
                       mock={"result": json.dumps({"Payload": {"ok": True}, "StatusCode": 200})})
    assert r["status"] == "SUCCEEDED" and r["nextState"] == "After"
    assert json.loads(r["output"]) == {"a": 1, "r": {"p": {"ok": True}}}
    assert json.loads(r["inspectionData"]["afterResultSelector"]) == {"p": {"ok": True}}
    busy = {"errorOutput": {"error": "Lambda.TooManyRequestsException", "cause": "busy"}}
    r = sfn.test_state(definition=d, input='{"a":1}', inspectionLevel="DEBUG", mock=busy,
                       stateConfiguration={"retrierRetryCount": 1})
    assert r["status"] == "RETRIABLE" and r["error"] == "Lambda.TooManyRequestsException"
    assert r["inspectionData"]["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 6}
    r = sfn.test_state(definition=d, input='{"a":1}', inspectionLevel="DEBUG", mock=busy,
                       stateConfiguration={"retrierRetryCount": 2})
    assert r["status"] == "CAUGHT_ERROR" and r["nextState"] == "Fallback"
    assert r["inspectionData"]["errorDetails"] == {"catchIndex": 0}
    assert json.loads(r["output"])["err"] == {"Error": "Lambda.TooManyRequestsException", "Cause": "busy"}

    def refused(code, message, **kw):
        with pytest.raises(sfn.exceptions.ClientError) as e:
            sfn.test_state(**kw)
        assert e.value.response["Error"]["Code"] == code
        assert e.value.response["Error"]["Message"] == message

    refused("ValidationException", "Mock result schema validation error: Field 'StatusCode' must be a number",
            definition=d, mock={"result": json.dumps({"StatusCode": "200"})})
    sfn.test_state(definition=d, mock={"result": json.dumps({"StatusCode": "200"}), "fieldValidationMode": "NONE"})
    refused("ValidationException", "A test mock should have only one of the following fields: [result, errorOutput].",
            definition=d, mock={"result": "{}", "errorOutput": {"error": "E"}})
    refused("ValidationException", "State type 'Pass' is not supported when a mock is specified",
            definition=json.dumps({"Type": "Pass", "End": True}), mock={"result": "{}"})
    refused("ValidationException", "RoleArn must be specified when testing a Task state", definition=d)
    mapping = {"Type": "Map", "ItemsPath": "$.xs", "MaxConcurrency": 2, "End": True,
               "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}}
    refused("InvalidDefinition", "TestState API does not support Map or Parallel states. Supported state types include: "
            "[Task, Wait, Pass, Succeed, Fail, Choice]", definition=json.dumps(mapping), roleArn=ROLE)
    refused("ValidationException", "Mocked result must be an array.", definition=json.dumps(mapping), mock={"result": "{}"})
    r = sfn.test_state(definition=json.dumps(mapping), input='{"xs":[1,2,3]}', mock={"result": "[2,4,6]"}, inspectionLevel="DEBUG")
    assert json.loads(r["output"]) == [2, 4, 6]
    assert json.loads(r["inspectionData"]["afterItemsPath"]) == [1, 2, 3] and r["inspectionData"]["maxConcurrency"] == 2
    # A Distributed Map reading a JSON file: the file's content given as mapItemReaderData.
    reading = {"Type": "Map", "End": True, "MaxConcurrency": 5,
               "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "orders.json"},
                              "ReaderConfig": {"InputType": "JSON", "ItemsPointer": "/orders"}},
               "ItemBatcher": {"MaxItemsPerBatch": 2},
               "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                                 "StartAt": "X", "States": {"X": {"Type": "Succeed"}}}}
    r = sfn.test_state(definition=json.dumps(reading), mock={"result": "[]"}, inspectionLevel="DEBUG",
                       stateConfiguration={"mapItemReaderData": json.dumps({"orders": [{"id": 1}, {"id": 2}, {"id": 3}]})})
    assert json.loads(r["inspectionData"]["afterItemsPointer"]) == [{"id": 1}, {"id": 2}, {"id": 3}]
    assert json.loads(r["inspectionData"]["afterItemBatcher"]) == [{"Items": [{"id": 1}, {"id": 2}]}, {"Items": [{"id": 3}]}]
    refused("ValidationException", "mapItemReaderData can only be specified for a Map state with an ItemReader.",
            definition=json.dumps(mapping), mock={"result": "[]"}, stateConfiguration={"mapItemReaderData": "[]"})

    machine = {"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
              "Arguments": {"QueueUrl": "q", "MessageBody": "{% $states.input.m %}"},
              "Output": "{% $states.result.MessageId & ' for ' & $states.context.Execution.Name %}", "End": True}}}
    r = sfn.test_state(definition=json.dumps(machine), stateName="B", input='{"m":"hi"}',
                       mock={"result": json.dumps({"MessageId": "m-1"})}, context=json.dumps({"Execution": {"Name": "run-7"}}))
    assert json.loads(r["output"]) == "m-1 for run-7"
    refused("ValidationException", "State not found in definition", definition=json.dumps(machine), stateName="Z",
            mock={"result": "{}"})
    refused("ValidationException", "Invalid Context object provided: 'Map' field is not supported when mocking a Context object",
            definition=json.dumps(machine), stateName="B", mock={"result": "{}"}, context=json.dumps({"Map": {}}))

    # No mock: the Task calls the queue on this endpoint.
    sqs = server.client("sqs")
    q = sqs.create_queue(QueueName="test-state-real")["QueueUrl"]
    real = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": q, "MessageBody.$": "$.m"}, "End": True}
    r = sfn.test_state(definition=json.dumps(real), roleArn=ROLE, input='{"m":"sent for real"}')
    assert r["status"] == "SUCCEEDED" and "MessageId" in json.loads(r["output"])
    assert sqs.receive_message(QueueUrl=q)["Messages"][0]["Body"] == "sent for real"


def test_distributed_map_children_are_executions_of_their_map_run(sfn):
    d = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.xs", "MaxConcurrency": 2, "End": True,
        "ItemSelector": {"v.$": "$$.Map.Item.Value"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P",
                          "States": {"P": {"Type": "Pass", "Parameters": {"double.$": "States.MathAdd($.v, $.v)"}, "End": True}}}}}}
    n = name()
    arn = sfn.create_state_machine(name=n, definition=json.dumps(d), roleArn=ROLE)["stateMachineArn"]
    e = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"xs": [1, 2, 3, 4, 5]}))["executionArn"]
    done = wait_done(sfn, e)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == [{"double": 2}, {"double": 4}, {"double": 6}, {"double": 8}, {"double": 10}]
    runs = sfn.list_map_runs(executionArn=e)["mapRuns"]
    assert len(runs) == 1 and runs[0]["executionArn"] == e
    run = runs[0]["mapRunArn"]
    assert run.startswith("arn:aws:states:us-east-1:000000000000:mapRun:%s/" % n)
    m = sfn.describe_map_run(mapRunArn=run)
    assert m["status"] == "SUCCEEDED" and m["maxConcurrency"] == 2
    assert m["executionCounts"]["succeeded"] == 5 and m["itemCounts"]["total"] == 5
    children = sfn.list_executions(mapRunArn=run)["executions"]
    assert len(children) == 5 and all(c["status"] == "SUCCEEDED" for c in children)
    assert all(c["stateMachineArn"] == runs[0]["stateMachineArn"] for c in children)
    child = sfn.describe_execution(executionArn=children[0]["executionArn"])
    assert child["mapRunArn"] == run
    # What a child runs is the processor, as its own definition.
    machine = sfn.describe_state_machine_for_execution(executionArn=children[0]["executionArn"])
    assert json.loads(machine["definition"])["StartAt"] == "P" and machine["name"].startswith(n + "/")
    # The children's inputs are the items after ItemSelector.
    assert sorted(json.loads(sfn.describe_execution(executionArn=c["executionArn"])["input"])["v"] for c in children) == [1, 2, 3, 4, 5]
    with pytest.raises(sfn.exceptions.ValidationException):
        sfn.update_map_run(mapRunArn=run, maxConcurrency=3)
    with pytest.raises(sfn.exceptions.ResourceNotFound):
        sfn.describe_map_run(mapRunArn=run[:-4] + "0000")
    with pytest.raises(sfn.exceptions.ValidationException):
        sfn.list_executions(mapRunArn=run, stateMachineArn=arn)
