"""What `baton serve` says while it runs: one JSON object per line with --log-format json."""
import io
import json
import os
import signal
import subprocess
import tempfile
import time
import zipfile

import boto3
from botocore.config import Config

from conftest import BATON, free_port

ROLE = "arn:aws:iam::000000000000:role/baton"


def test_start_runs_function_output_and_shutdown_are_logged():
    with tempfile.TemporaryDirectory() as d:
        port = free_port()
        data = os.path.join(d, "fresh", "..", "data")  # relative parts are resolved in the log
        log = open(os.path.join(d, "log"), "w+")
        proc = subprocess.Popen([BATON, "serve", "--port", str(port), "--data-dir", data, "--log-format", "json"],
                                stdout=subprocess.DEVNULL, stderr=log)
        try:
            endpoint = "http://127.0.0.1:%d" % port
            kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
                      config=Config(inject_host_prefix=False, retries={"max_attempts": 10, "mode": "standard"}))
            deadline = time.time() + 30
            while True:
                try:
                    sfn = boto3.client("stepfunctions", **kw)
                    sfn.list_state_machines()
                    break
                except Exception:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.1)
            arn = sfn.create_state_machine(name="logged", roleArn=ROLE, definition=json.dumps(
                {"StartAt": "A", "States": {"A": {"Type": "Fail", "Error": "Boom", "Cause": "on purpose"}}}))["stateMachineArn"]
            run = sfn.start_execution(stateMachineArn=arn)["executionArn"]
            # A function whose module prints to stderr when it is imported.
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                z.writestr("app.py", "import sys\nsys.stderr.write('warming up\\n')\ndef handler(e, c):\n    return 1\n")
            lam = boto3.client("lambda", **kw)
            lam.create_function(FunctionName="noisy", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                Code={"ZipFile": buf.getvalue()})
            assert json.loads(lam.invoke(FunctionName="noisy", Payload="{}")["Payload"].read()) == 1
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        log.seek(0)
        lines = [json.loads(l) for l in log.read().splitlines() if l.strip()]
    by = {}
    for l in lines:
        assert {"time", "level", "message"} <= set(l)
        by.setdefault(l["message"], []).append(l)
    opened = by["journal open"][0]
    assert opened["data_dir"] == os.path.realpath(os.path.join(d, "data")) or opened["data_dir"] == os.path.normpath(os.path.join(d, "data"))
    assert opened["created"] == "true" and opened["recovered_running"] == "0"
    serving = by["serving"][0]
    assert serving["endpoint"] == "http://127.0.0.1:%d" % port and serving["signatures"] == "optional" and serving["version"]
    assert [l["execution"] for l in by["execution started"]] == [run]
    finished = by["execution finished"][0]
    assert finished["execution"] == run and finished["status"] == "FAILED" and finished["error"] == "Boom"
    assert any(l.get("function") == "noisy" and l.get("line") == "warming up" for l in by["function output"])
    assert "shutting down" in " ".join(by) and "stopped" in by


def test_a_relative_data_dir_still_shows_var_task_in_stack_traces():
    with tempfile.TemporaryDirectory() as d:
        port = free_port()
        proc = subprocess.Popen([BATON, "serve", "--port", str(port), "--data-dir", "./rel//data"], cwd=d,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            kw = dict(endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1", aws_access_key_id="x",
                      aws_secret_access_key="x", config=Config(retries={"max_attempts": 10, "mode": "standard"}))
            lam = boto3.client("lambda", **kw)
            deadline = time.time() + 30
            while True:
                try:
                    lam.list_functions()
                    break
                except Exception:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.1)
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                z.writestr("app.py", "def helper():\n    raise ValueError('boom')\n\ndef handler(e, c):\n    helper()\n")
            lam.create_function(FunctionName="thrower", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                Code={"ZipFile": buf.getvalue()})
            body = json.loads(lam.invoke(FunctionName="thrower", Payload="{}")["Payload"].read())
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    trace = "".join(body["stackTrace"])
    assert body["errorType"] == "ValueError"
    assert '"/var/task/app.py"' in trace and d not in trace and "rel" not in trace, trace
