"""The README's quick start, run as written (only the port changes) against a fresh server,
with nothing of the test environment's AWS settings leaking in."""
import json
import os
import re
import subprocess

import pytest

from conftest import ROOT


def block(name):
    text = open(os.path.join(ROOT, "README.md")).read()
    m = re.search(r"<!-- %s -->\n(.*?)<!-- /%s -->" % (name, name), text, re.S)
    assert m, "README has no %s block" % name
    return "\n".join(line[4:] if line.startswith("    ") else line for line in m.group(1).splitlines())


def run(server, script):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = os.path.join(server.data_dir, "..")  # no ~/.aws of the machine running the tests
    script = script.replace("http://127.0.0.1:8083", server.endpoint)
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, capture_output=True, text=True, timeout=120)


def test_the_first_workflow_finishes(server):
    script = block("quickstart").replace("--name hello ", "--name hello-qs ").replace("stateMachine:hello ", "stateMachine:hello-qs ")
    r = run(server, script)
    assert r.returncode == 0, r.stderr
    outputs = [json.loads(chunk) for chunk in re.findall(r"^\[.*?^\]", r.stdout, re.S | re.M)]
    assert outputs[0] == ["SUCCEEDED", '{"greeting":"Hello","name":"Ada"}']
    assert outputs[1] == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def test_start_sync_execution_from_the_cli(server):
    setup = "\n".join(block("quickstart").splitlines()[:2])
    r = run(server, setup + "\n" + block("quickstart-sync"))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout[r.stdout.index("["):]) == ["SUCCEEDED", '{"greeting":"Hello","name":"Ada"}']


def test_without_the_prefix_setting_the_cli_cannot_reach_the_server(server):
    """Why the README's recipe is needed: the default sends to sync-127.0.0.1."""
    setup = "\n".join(block("quickstart").splitlines()[:2])
    script = setup + "\naws stepfunctions start-sync-execution --state-machine-arn arn:aws:states:us-east-1:000000000000:stateMachine:nothing"
    r = run(server, script)
    assert r.returncode != 0 and "sync-127.0.0.1" in r.stderr
