"""The baton command line against a running server: start, executions, describe, history,
and the messages a new user meets."""
import json
import os
import socket
import subprocess
import tempfile

from conftest import BATON, Server, free_port
from test_stepfunctions import ROLE, name


def baton(*args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BATON_"))}
    e.update(env or {})
    return subprocess.run([BATON, *args], capture_output=True, text=True, timeout=60, env=e)


def test_start_wait_list_describe_and_history(server, sfn):
    n = name()
    arn = sfn.create_state_machine(name=n, roleArn=ROLE, definition=json.dumps(
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"hello.$": "$.who"}, "End": True}}}))["stateMachineArn"]
    r = baton("start", n, "--input", '{"who":"Ada"}', "--name", "first", "--wait", "--endpoint", server.endpoint)
    assert r.returncode == 0, r.stderr
    ended = json.loads(r.stdout)  # piped: one compact object per line
    assert len(r.stdout.strip().splitlines()) == 1
    assert ended["status"] == "SUCCEEDED" and json.loads(ended["output"]) == {"hello": "Ada"}
    baton("start", arn, "--input", "{}", "--name", "second", "--endpoint", server.endpoint)
    r = baton("executions", "--state-machine", n, "--endpoint", server.endpoint)
    rows = [json.loads(l) for l in r.stdout.splitlines()]
    assert sorted(x["name"] for x in rows) == ["first", "second"]
    r = baton("executions", "--state-machine", n, "--status", "succeeded", "--endpoint", server.endpoint)
    assert [json.loads(l)["name"] for l in r.stdout.splitlines()] == ["first"]
    r = baton("describe", ended["executionArn"], "--endpoint", server.endpoint)
    assert json.loads(r.stdout)["name"] == "first"
    r = baton("describe", n, "--endpoint", server.endpoint)
    assert json.loads(r.stdout)["stateMachineArn"] == arn
    r = baton("history", ended["executionArn"], "--endpoint", server.endpoint)
    assert [json.loads(l)["type"] for l in r.stdout.splitlines()][0] == "ExecutionStarted"
    # On a terminal (forced here) the same answer is indented.
    r = baton("describe", ended["executionArn"], "--endpoint", server.endpoint, env={"BATON_OUTPUT": "pretty"})
    assert r.stdout.startswith("{\n") and json.loads(r.stdout)["name"] == "first"


def test_a_failed_run_exits_non_zero_and_a_bad_status_is_refused(server, sfn):
    n = name()
    sfn.create_state_machine(name=n, roleArn=ROLE, definition=json.dumps(
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Nope"}}}))
    r = baton("start", n, "--wait", "--endpoint", server.endpoint)
    assert r.returncode == 1 and json.loads(r.stdout)["status"] == "FAILED"
    r = baton("executions", "--status", "DONE", "--endpoint", server.endpoint)
    assert r.returncode != 0 and "--status must be one of" in r.stderr
    r = baton("start", "no-such-machine", "--endpoint", server.endpoint)
    assert r.returncode != 0 and "no state machine named no-such-machine" in r.stderr


def test_version():
    r = baton("--version")
    assert r.returncode == 0 and r.stdout.strip().count(".") == 2


def test_a_port_in_use_says_which_flag_to_change():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with tempfile.TemporaryDirectory() as d:
            r = baton("serve", "--port", str(port), "--data-dir", d)
    assert r.returncode != 0
    assert "port %d is in use; choose another with --port" % port in r.stderr
    assert "Usage: baton serve" in r.stderr


def test_serving_beyond_loopback_without_keys_prints_serves_usage():
    with tempfile.TemporaryDirectory() as d:
        r = baton("serve", "--host", "0.0.0.0", "--port", str(free_port()), "--data-dir", d)
    assert r.returncode != 0 and "requires --access-key-id" in r.stderr and "Usage: baton serve" in r.stderr


def test_event_loops_sizes_the_threads_serving_requests():
    def loops(pid):
        names = [open("/proc/%d/task/%s/comm" % (pid, t)).read().strip() for t in os.listdir("/proc/%d/task" % pid)]
        return sum(1 for n in names if n.startswith("NIO-SGLTN-"))

    with tempfile.TemporaryDirectory() as d:
        for count in (1, 3):
            s = Server(os.path.join(d, str(count)), args=["--event-loops", str(count)]).start()
            try:
                machines = s.client().list_state_machines()["stateMachines"]
                assert machines == [] and loops(s.proc.pid) == count
            finally:
                s.stop()
        r = baton("serve", "--event-loops", "0", "--port", str(free_port()), "--data-dir", d)
    assert r.returncode != 0 and "--event-loops must be from 1 to 256" in r.stderr


def test_invalid_json_in_a_definition_names_line_and_column():
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write('{\n  "StartAt": "A",\n  "States": {\n    "A": {"Type": "Pass", "End": true,}\n  }\n}\n')
    try:
        r = baton("validate", f.name)
    finally:
        os.unlink(f.name)
    assert r.returncode == 1
    assert "line 4, column 39" in r.stdout  # the "}" where a key was expected


def test_baton_test_runs_every_definitions_tests_and_writes_junit():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory() as d:
        junit = os.path.join(d, "out.xml")
        r = baton("test", os.path.join(root, "definitions"), "--junit", junit)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "PASS  email-campaign › HappyPath" in r.stdout
        xml = open(junit).read()
        assert xml.count("<testcase ") >= 20 and "<failure" not in xml
        # A case whose expectation is wrong fails, says where, and exits 1.
        for ext in (".asl.json", ".tests.json"):
            text = open(os.path.join(root, "definitions", "hello-world" + ext)).read()
            if ext == ".tests.json":
                text = text.replace('"words": 2', '"words": 5', 1)
            open(os.path.join(d, "hello" + ext), "w").write(text)
        r = baton("test", os.path.join(d, "hello.asl.json"), "--junit", junit)
        assert r.returncode == 1
        assert "FAIL  hello › GreetsAda" in r.stdout and "output.words: expected 5, got 2" in r.stdout
        assert '<failure message="output.words: expected 5, got 2"' in open(junit).read()
        # A malformed tests file names the path of the mistake and exits 2.
        open(os.path.join(d, "hello.tests.json"), "w").write('{"TestCases": {"c": {"mocks": {"S": "Nope"}, "expect": {}}}}')
        r = baton("test", os.path.join(d, "hello.tests.json"))
        assert r.returncode == 2 and "TestCases.c.mocks.S" in r.stderr
