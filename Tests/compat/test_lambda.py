"""boto3's lambda client against Baton's functions, and Task states that call them."""
import base64
import io
import json
import os
import time
import zipfile

import pytest

from test_stepfunctions import ROLE, name, wait_done

HERE = os.path.dirname(os.path.abspath(__file__))


def zipped(fixture):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.write(os.path.join(HERE, "lambdas", fixture + ".py"), "lambda_function.py")
    return buf.getvalue()


@pytest.fixture
def lam(server):
    return server.client("lambda")


def create(lam, fixture, **kw):
    n = name()
    lam.create_function(FunctionName=n, Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
                        Code={"ZipFile": zipped(fixture)}, **kw)
    return n


def test_function_lifecycle_and_invoke(lam):
    n = create(lam, "context_and_logs", Environment={"Variables": {"GREETING": "hi"}}, Timeout=5)
    assert lam.get_function(FunctionName=n)["Configuration"]["Timeout"] == 5
    assert n in [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    r = lam.invoke(FunctionName=n, Payload=json.dumps({"a": 1}), LogType="Tail")
    body = json.loads(r["Payload"].read())
    assert body["name"] == n and body["env"] == "hi" and body["remaining"] and body["event"] == {"a": 1}
    assert "hello from " + n in base64.b64decode(r["LogResult"]).decode()
    lam.update_function_configuration(FunctionName=n, Environment={"Variables": {"GREETING": "bye"}})
    assert json.loads(lam.invoke(FunctionName=n, Payload="{}")["Payload"].read())["env"] == "bye"
    lam.update_function_code(FunctionName=n, ZipFile=zipped("echo_function"))
    assert json.loads(lam.invoke(FunctionName=n, Payload="{}")["Payload"].read()) == {"Return": "HelloWorld"}
    assert lam.invoke(FunctionName=n, InvocationType="DryRun")["StatusCode"] == 204
    lam.delete_function(FunctionName=n)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=n)


def test_errors_are_reported_as_lambda_does(lam):
    n = create(lam, "raise_custom_exception")
    r = lam.invoke(FunctionName=n, Payload="{}")
    assert r["FunctionError"] == "Unhandled"
    body = json.loads(r["Payload"].read())
    # As on AWS: the message is str(exception), empty here, not the class's `message` attribute.
    assert body["errorType"] == "CustomException" and body["errorMessage"] == ""
    assert isinstance(body["stackTrace"], list)
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.create_function(FunctionName=n, Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
                            Code={"ZipFile": zipped("id_function")})


def test_timeouts_kill_the_worker(lam):
    n = create(lam, "wait_60_seconds", Timeout=1)
    r = lam.invoke(FunctionName=n, Payload="{}")
    assert r["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in json.loads(r["Payload"].read())["errorMessage"]


def test_task_states_call_functions(lam, sfn):
    ident = create(lam, "id_function")
    boom = create(lam, "raise_exception")
    definition = {"StartAt": "Direct", "States": {
        "Direct": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:" + ident, "Next": "Service"},
        "Service": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": ident, "Payload.$": "$"}, "ResultSelector": {"p.$": "$.Payload", "s.$": "$.StatusCode"},
                    "Next": "Boom"},
        "Boom": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": boom},
                 "Catch": [{"ErrorEquals": ["Exception"], "ResultPath": "$.err", "Next": "Done"}], "End": True},
        "Done": {"Type": "Succeed"}}}
    arn = sfn.create_state_machine(name=name(), definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn, input='{"k": 1}')["executionArn"]
    d = wait_done(sfn, ex)
    assert d["status"] == "SUCCEEDED", d
    out = json.loads(d["output"])
    assert out["p"] == {"k": 1} and out["s"] == 200
    assert out["err"]["Error"] == "Exception"
    assert json.loads(out["err"]["Cause"])["errorMessage"] == "Some exception was raised."
    types = [e["type"] for e in sfn.get_execution_history(executionArn=ex)["events"]]
    assert "LambdaFunctionScheduled" in types and "LambdaFunctionSucceeded" in types and "TaskFailed" in types


def test_lambda_invoke_wait_for_task_token(server, lam, sfn):
    fn = create(lam, "send_token_back", Environment={"Variables": {"BATON_ENDPOINT": server.endpoint}}, Timeout=30)
    definition = {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": fn, "Payload": {"token.$": "$$.Task.Token"}}, "TimeoutSeconds": 60, "End": True}}}
    arn = sfn.create_state_machine(name=name(), definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    import time
    for _ in range(300):
        d = sfn.describe_execution(executionArn=ex)
        if d["status"] != "RUNNING":
            break
        time.sleep(0.05)
    assert d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"called": "back"}


def test_async_invocation_retries_then_lands_in_the_failed_list(server, lam):
    import time
    import urllib.request
    ok = create(lam, "id_function")
    assert lam.invoke(FunctionName=ok, InvocationType="Event", Payload='{"x": 1}')["StatusCode"] == 202
    bad = create(lam, "raise_exception")
    cfg = lam.put_function_event_invoke_config(FunctionName=bad, MaximumRetryAttempts=1,
                                               DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:dlq"}})
    assert cfg["MaximumRetryAttempts"] == 1
    assert lam.get_function_event_invoke_config(FunctionName=bad)["MaximumRetryAttempts"] == 1
    assert lam.invoke(FunctionName=bad, InvocationType="Event", Payload='{"y": 2}')["StatusCode"] == 202
    failed = []
    for _ in range(200):
        with urllib.request.urlopen(server.endpoint + "/baton/failed-invocations") as r:
            failed = [f for f in json.loads(r.read())["FailedInvocations"] if f["function"] == bad]
        if failed:
            break
        time.sleep(0.05)
    assert len(failed) == 1
    assert json.loads(failed[0]["payload"]) == {"y": 2}
    assert failed[0]["destination"] == "arn:aws:sqs:us-east-1:000000000000:dlq"
    assert "Some exception was raised." in failed[0]["error"]


def zipped_files(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for path, (text, mode) in files.items():
            info = zipfile.ZipInfo(path)
            info.external_attr = mode << 16
            z.writestr(info, text)
    return buf.getvalue()


def test_command_runtime(lam):
    script = "#!/bin/sh\nread event\nif [ \"$event\" = '\"fail\"' ]; then echo broken >&2; exit 3; fi\nprintf '{\"got\": %s, \"fn\": \"%s\"}' \"$event\" \"$AWS_LAMBDA_FUNCTION_NAME\"\n"
    n = name()
    lam.create_function(FunctionName=n, Runtime="baton.command", Role=ROLE, Handler="run.sh",
                        Code={"ZipFile": zipped_files({"run.sh": (script, 0o755)})})
    out = json.loads(lam.invoke(FunctionName=n, Payload='{"a":1}')["Payload"].read())
    assert out == {"got": {"a": 1}, "fn": n}
    r = lam.invoke(FunctionName=n, Payload='"fail"')
    assert r["FunctionError"] == "Unhandled"
    assert json.loads(r["Payload"].read())["errorMessage"] == "broken"


def test_command_functions_waiting_do_not_hold_up_the_server(server, tmp_path):
    # More invocations in flight than Swift's cooperative pool has threads (one per core), each
    # of a process that waits for a file; the function that writes the file must still run.
    # Output was once read on the pool's threads: every one held, the writer never started.
    import threading
    import boto3
    from botocore.config import Config
    # Bounded: a server held up answers nothing, and the test fails instead of waiting forever.
    lam = boto3.client("lambda", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="test",
                       aws_secret_access_key="test", config=Config(read_timeout=40, retries={"max_attempts": 1}))
    flag, started = tmp_path / "flag", tmp_path / "started"
    started.mkdir()
    waiter = "#!/bin/sh\ntouch \"$STARTED/$$\"\nwhile [ ! -f \"$FLAG\" ]; do sleep 0.02; done\necho '\"waited\"'\n"
    setter = "#!/bin/sh\ntouch \"$FLAG\"\necho '\"set\"'\n"
    env = {"Variables": {"FLAG": str(flag), "STARTED": str(started)}}
    w, s = name(), name()
    for n, script in [(w, waiter), (s, setter)]:
        lam.create_function(FunctionName=n, Runtime="baton.command", Role=ROLE, Handler="run.sh", Timeout=20, Environment=env,
                            Code={"ZipFile": zipped_files({"run.sh": (script, 0o755)})})
    count = (os.cpu_count() or 2) + 1
    results = []
    threads = [threading.Thread(target=lambda: results.append(json.loads(lam.invoke(FunctionName=w, Payload="{}")["Payload"].read())))
               for _ in range(count)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(list(started.iterdir())) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert json.loads(lam.invoke(FunctionName=s, Payload="{}")["Payload"].read()) == "set"
    for t in threads:
        t.join()
    assert results == ["waited"] * count


def test_http_runtime(lam):
    import http.server
    import threading

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            out = json.dumps({"posted": json.loads(body)}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        n = name()
        lam.create_function(FunctionName=n, Runtime="baton.http", Role=ROLE,
                            Handler="http://127.0.0.1:%d/hook" % srv.server_address[1], Code={"ZipFile": zipped_files({})})
        assert json.loads(lam.invoke(FunctionName=n, Payload='{"b":2}')["Payload"].read()) == {"posted": {"b": 2}}
    finally:
        srv.shutdown()


@pytest.mark.skipif(__import__("shutil").which("node") is None, reason="node is not installed")
def test_nodejs_handlers(lam):
    code = ("exports.handler = async (event, context) => {\n"
            "  console.log('node says hi');\n"
            "  if (event.fail) { const e = new Error('went wrong'); e.name = 'CustomError'; throw e; }\n"
            "  return { doubled: event.n * 2, fn: context.functionName, left: context.getRemainingTimeInMillis() > 0 };\n"
            "};\n")
    n = name()
    lam.create_function(FunctionName=n, Runtime="nodejs20.x", Role=ROLE, Handler="index.handler",
                        Code={"ZipFile": zipped_files({"index.js": (code, 0o644)})})
    r = lam.invoke(FunctionName=n, Payload='{"n": 21}', LogType="Tail")
    assert json.loads(r["Payload"].read()) == {"doubled": 42, "fn": n, "left": True}
    assert "node says hi" in base64.b64decode(r["LogResult"]).decode()
    r = lam.invoke(FunctionName=n, Payload='{"fail": true}')
    body = json.loads(r["Payload"].read())
    assert r["FunctionError"] == "Unhandled" and body["errorType"] == "CustomError" and body["errorMessage"] == "went wrong"


def test_functions_are_durable_in_the_journal(tmp_path):
    import shutil
    import signal
    from conftest import Server
    s = Server(str(tmp_path / "data")).start()
    try:
        lam = s.client("lambda")
        n = create(lam, "echo_function")
        s.stop(signal.SIGKILL)
        # The unpacked code is only a cache: the journal's database has the function.
        shutil.rmtree(str(tmp_path / "data" / "functions"))
        s.start()
        lam = s.client("lambda")
        assert lam.get_function(FunctionName=n)["Configuration"]["FunctionName"] == n
        assert json.loads(lam.invoke(FunctionName=n, Payload="{}")["Payload"].read()) == {"Return": "HelloWorld"}
    finally:
        s.stop()


@pytest.mark.parametrize("handler,error_type,message", [
    ("lambda_function.nothere", "Runtime.HandlerNotFound", "Handler 'nothere' missing on module 'lambda_function'"),
    ("missing_module.handler", "Runtime.ImportModuleError", "Unable to import module 'missing_module': No module named 'missing_module'"),
])
def test_a_handler_that_cannot_be_found_fails_as_lambda_says(lam, handler, error_type, message):
    n = name()
    lam.create_function(FunctionName=n, Runtime="python3.12", Role=ROLE, Handler=handler,
                        Code={"ZipFile": zipped("echo_function")})
    r = lam.invoke(FunctionName=n, Payload="{}")
    assert r["FunctionError"] == "Unhandled"
    body = json.loads(r["Payload"].read())
    assert body["errorType"] == error_type and body["errorMessage"] == message and body["stackTrace"] == []


def test_a_bad_zip_is_refused_with_lambdas_message(lam):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.create_function(FunctionName=name(), Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
                            Code={"ZipFile": b"this is not a zip file"})
    assert e.value.response["Error"]["Message"].startswith("Could not unzip uploaded file. Please check your file, then try to upload again.")


def test_a_call_in_flight_when_the_code_changes_leaves_no_worker_with_the_old_code(lam, tmp_path):
    # The call in flight finishes on the code it started with, as on Lambda; its worker must not
    # then serve the next call. It once went back to the warm pool, and every later call on that
    # node ran the old code (in a cluster, a notice of new code arriving mid-call did the same).
    import hashlib
    import threading
    started, gate = tmp_path / "started", tmp_path / "gate"
    v1 = ("import os, time\n"
          "def handler(event, context):\n"
          "    if event.get('gate'):\n"
          "        open(event['started'], 'w').close()\n"
          "        while not os.path.exists(event['gate']):\n"
          "            time.sleep(0.01)\n"
          "    return 'v1'\n")
    n = name()
    lam.create_function(FunctionName=n, Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler", Timeout=60,
                        Code={"ZipFile": zipped_files({"lambda_function.py": (v1, 0o644)})})
    results = []
    call = threading.Thread(target=lambda: results.append(json.loads(lam.invoke(
        FunctionName=n, Payload=json.dumps({"gate": str(gate), "started": str(started)}))["Payload"].read())))
    call.start()
    deadline = time.monotonic() + 30
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert started.exists(), "the first call never started"
    # The same length as v1, so only the package's digest tells the two apart.
    v2 = zipped_files({"lambda_function.py": (v1.replace("'v1'", "'v2'"), 0o644)})
    before = lam.get_function(FunctionName=n)["Configuration"]
    after = lam.update_function_code(FunctionName=n, ZipFile=v2)
    assert after["CodeSize"] == before["CodeSize"]
    assert after["CodeSha256"] == base64.b64encode(hashlib.sha256(v2).digest()).decode() != before["CodeSha256"]
    gate.touch()
    call.join()
    assert results == ["v1"]
    assert [json.loads(lam.invoke(FunctionName=n, Payload="{}")["Payload"].read()) for _ in range(3)] == ["v2"] * 3
