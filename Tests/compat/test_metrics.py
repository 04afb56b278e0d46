"""GET /metrics in Prometheus's text format: AWS's Step Functions metric names per state
machine, the engine's and the journal's own, HTTP requests and webhook deliveries. Scraped
before and after some work, the counters move by what the work did."""
import json
import re
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import boto3

from conftest import BATON, free_port
from test_webhooks import SECRET, ensure_webhook
from webhook_client import deliver

LINE = re.compile(r'^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})? (\S+)$')


def scrape(endpoint, headers=None):
    req = urllib.request.Request(endpoint + "/metrics", headers=headers or {})
    with urllib.request.urlopen(req) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode()
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        assert m, "a line Prometheus can parse: %r" % line
        labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or "")))
        samples[(m.group(1), labels)] = float(m.group(4))
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_counters_move_with_the_work(server, sfn):
    name = "metrics-" + uuid.uuid4().hex[:6]
    passes = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "C"}, "C": {"Type": "Pass", "End": True}}}
    arn = sfn.create_state_machine(name=name, definition=json.dumps(passes), roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
    failing = sfn.create_state_machine(name=name + "-f", definition=json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}),
                                       roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
    before = scrape(server.endpoint)
    for i in range(4):
        sfn.start_execution(stateMachineArn=arn, name="r%d" % i)
    sfn.start_execution(stateMachineArn=failing, name="f")
    ensure_webhook(server)
    assert deliver(server.endpoint, "orders", {"order_id": "nobody-" + uuid.uuid4().hex[:6], "status": "paid"}, SECRET)[0] == 404
    deadline = time.time() + 20
    while time.time() < deadline:
        after = scrape(server.endpoint)
        if value(after, "ExecutionsSucceeded", StateMachineArn=arn) == 4 and value(after, "ExecutionsFailed", StateMachineArn=failing) == 1:
            break
        time.sleep(0.1)
    assert value(after, "ExecutionsStarted", StateMachineArn=arn) == 4
    assert value(after, "ExecutionsSucceeded", StateMachineArn=arn) == 4
    assert value(after, "ExecutionsFailed", StateMachineArn=arn) == 0
    assert value(after, "ExecutionsFailed", StateMachineArn=failing) == 1
    assert value(after, "ExecutionTime_count", StateMachineArn=arn) == 4
    # ExecutionTime is a histogram: its buckets are cumulative and the last holds every run.
    buckets = sorted((float(dict(k[1])["le"].replace("+Inf", "inf")), v) for k, v in after.items()
                     if k[0] == "ExecutionTime_bucket" and dict(k[1]).get("StateMachineArn") == arn)
    assert buckets and buckets[-1][1] == 4 and all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:]))
    # Three states entered per passing run, one per failing run: at least 13 more transitions
    # (other tests may run meanwhile, never fewer).
    assert value(after, "baton_state_transitions_total") - value(before, "baton_state_transitions_total") >= 13
    started = value(after, "baton_http_requests_total", service="states", action="StartExecution", status="200") \
        - value(before, "baton_http_requests_total", service="states", action="StartExecution", status="200")
    assert started >= 5
    assert value(after, "baton_http_request_duration_seconds_count", service="states", action="StartExecution") >= 5
    # A query-protocol request (SNS's) is named by the service and action it resolved to.
    server.client("sns").list_topics()
    assert value(scrape(server.endpoint), "baton_http_requests_total", service="sns", action="ListTopics", status="200") >= 1
    assert value(after, "baton_webhook_deliveries_total", webhook="orders", outcome="UNKNOWN_KEY") \
        - value(before, "baton_webhook_deliveries_total", webhook="orders", outcome="UNKNOWN_KEY") >= 1
    assert value(after, "baton_journal_commit_seconds_count") > value(before, "baton_journal_commit_seconds_count")
    assert value(after, "baton_journal_fsync_seconds_count") > value(before, "baton_journal_fsync_seconds_count")
    assert value(after, "baton_journal_commit_steps_sum") >= value(after, "baton_journal_commit_steps_count") > 0


def test_activities_are_counted_under_awss_names(server, sfn):
    activity = sfn.create_activity(name="metrics-" + uuid.uuid4().hex[:6])["activityArn"]
    arn = sfn.create_state_machine(name="metrics-act-" + uuid.uuid4().hex[:6], roleArn="arn:aws:iam::000000000000:role/r",
                                   definition=json.dumps({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": activity, "End": True}}}))["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="w")
    sfn.send_task_failure(taskToken=task["taskToken"], error="Boom")
    deadline = time.time() + 20
    while time.time() < deadline and sfn.describe_execution(executionArn=run)["status"] == "RUNNING":
        time.sleep(0.05)
    s = scrape(server.endpoint)
    assert [value(s, n, StateMachineArn=arn) for n in ["ActivitiesScheduled", "ActivitiesStarted", "ActivitiesFailed", "ActivitiesSucceeded"]] == [1, 1, 1, 0]
    assert value(s, "ExecutionsFailed", StateMachineArn=arn) == 1


def test_a_signed_endpoint_opens_its_metrics_to_the_token_only(tmp_path):
    port = free_port()
    proc = subprocess.Popen([BATON, "serve", "--port", str(port), "--data-dir", str(tmp_path / "data"), "--require-signature",
                             "--access-key-id", "AKIDM", "--secret-access-key", "s", "--metrics-token", "scrape-me"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = "http://127.0.0.1:%d" % port
    try:
        client = boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="AKIDM", aws_secret_access_key="s")
        deadline = time.time() + 30
        while True:
            try:
                client.list_state_machines()
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        for headers in [{}, {"Authorization": "Bearer wrong"}]:
            try:
                scrape(endpoint, headers)
                raise AssertionError("scraped without the token")
            except urllib.error.HTTPError as e:
                assert e.code == 403
        s = scrape(endpoint, {"Authorization": "Bearer scrape-me"})
        assert value(s, "baton_http_requests_total", service="states", action="ListStateMachines", status="200") >= 1
    finally:
        proc.terminate()
        proc.wait(timeout=30)
