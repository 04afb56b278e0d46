"""Audit from the command line: `baton history --format …`, `--follow` streaming a run's
events as they commit, and `baton export` of a time window with full histories."""
import json
import os
import subprocess
import time

from conftest import BATON
from test_cli import baton
from test_stepfunctions import ROLE, name

WAIT_THEN_FAIL = {"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": "ACTIVITY", "Next": "F"},
                                             "F": {"Type": "Fail", "Error": "Oops", "Cause": "on purpose"}}}


def machine_with_activity(sfn):
    activity = sfn.create_activity(name=name())["activityArn"]
    arn = sfn.create_state_machine(name=name(), roleArn=ROLE,
                                   definition=json.dumps(WAIT_THEN_FAIL).replace("ACTIVITY", activity))["stateMachineArn"]
    return arn, activity


def test_formats_print_the_same_history(server, sfn):
    arn, activity = machine_with_activity(sfn)
    run = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="w")
    sfn.send_task_success(taskToken=task["taskToken"], output="{}")
    while sfn.describe_execution(executionArn=run)["status"] == "RUNNING":
        time.sleep(0.05)
    history = sfn.get_execution_history(executionArn=run, maxResults=1000)["events"]
    ndjson = [json.loads(l) for l in baton("history", run, "--format", "ndjson", "--endpoint", server.endpoint).stdout.splitlines()]
    assert [e["id"] for e in ndjson] == [e["id"] for e in history] and [e["type"] for e in ndjson] == [e["type"] for e in history]
    whole = json.loads(baton("history", run, "--format", "json", "--endpoint", server.endpoint).stdout)
    assert whole == ndjson
    table = baton("history", run, "--format", "table", "--endpoint", server.endpoint).stdout.splitlines()
    assert table[0].split() == ["ID", "TIME", "TYPE", "STATE", "DETAIL"] and len(table) == len(history) + 1
    assert table[-1].split()[2:] == ["ExecutionFailed", "Oops:", "on", "purpose"]
    assert "TaskStateEntered" in table[2] and " W " in table[2]
    r = baton("history", run, "--format", "json", "--follow", "--endpoint", server.endpoint)
    assert r.returncode != 0 and "--follow" in r.stderr


def test_follow_prints_each_step_as_it_commits_and_ends_with_the_run(server, sfn):
    arn, activity = machine_with_activity(sfn)
    run = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BATON_"))}
    follower = subprocess.Popen([BATON, "history", run, "--follow", "--format", "ndjson", "--endpoint", server.endpoint],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        # What is there already arrives while the run still waits for its worker.
        seen = []
        while not any(e["type"] == "ActivityScheduled" for e in seen):
            line = follower.stdout.readline()
            assert line, "the stream ended early: " + follower.stderr.read()
            seen.append(json.loads(line))
        assert sfn.describe_execution(executionArn=run)["status"] == "RUNNING" and follower.poll() is None
        task = sfn.get_activity_task(activityArn=activity, workerName="w")
        sfn.send_task_success(taskToken=task["taskToken"], output="{}")
        rest, _ = follower.communicate(timeout=30)
    finally:
        follower.kill()
    seen += [json.loads(l) for l in rest.splitlines()]
    assert follower.returncode == 0
    history = sfn.get_execution_history(executionArn=run, maxResults=1000)["events"]
    assert [e["id"] for e in seen] == [e["id"] for e in history], "every event once, in order"
    assert seen[-1]["type"] == "ExecutionFailed"


def test_export_writes_a_window_of_executions_with_their_histories(server, sfn, tmp_path):
    n = name()
    arn = sfn.create_state_machine(name=n, roleArn=ROLE, definition=json.dumps(
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    since = time.time()
    runs = [sfn.start_execution(stateMachineArn=arn, name="x%d" % i)["executionArn"] for i in range(5)]
    out = tmp_path / "audit.ndjson"
    r = baton("export", "--since", "%.3f" % (since - 1), "--state-machine", n, "--out", str(out), "--endpoint", server.endpoint)
    assert r.returncode == 0, r.stderr
    assert "exported 5 executions, 30 events" in r.stderr
    lines = [json.loads(l) for l in out.read_text().splitlines()]
    assert sorted(l["execution"]["executionArn"] for l in lines) == sorted(runs)
    for l in lines:
        history = sfn.get_execution_history(executionArn=l["execution"]["executionArn"], maxResults=1000)["events"]
        assert l["events"] == json.loads(json.dumps(history, default=lambda d: d.timestamp()))
        assert l["execution"]["status"] == "SUCCEEDED"
    assert not (tmp_path / "audit.ndjson.partial").exists()
    # A window that ends before these runs exports none of them.
    r = baton("export", "--until", "%.3f" % (since - 1), "--state-machine", n, "--out", str(tmp_path / "none.ndjson"), "--endpoint", server.endpoint)
    assert r.returncode == 0 and (tmp_path / "none.ndjson").read_text() == ""
    assert baton("export", "--since", "last week", "--out", "-", "--endpoint", server.endpoint).returncode != 0
