"""The email-campaign sample end to end against the real server process: the fake SaaS, the
two functions, the webhook and the definition, with Baton killed (SIGKILL) and restarted while
the runs wait on the webhook. Every run must finish with the history the README shows."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

from conftest import BACKENDS, ROOT, Server, free_port

sys.path.insert(0, os.path.join(ROOT, "samples", "email-campaign"))
import campaign  # noqa: E402

WAIT = ["TaskStateEntered WaitForStatus", "TaskScheduled", "TaskStarted"]
DONE = ["TaskSucceeded", "TaskStateExited", "ChoiceStateEntered CheckStatus", "ChoiceStateExited"]


def expected(final, jsonata=False):
    head = (["ExecutionStarted", "TaskStateEntered SendCampaign", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited"]
            + WAIT + ["WebhookDeliveryReceived pending -> SUCCESS"] + DONE
            + WAIT + ["WebhookDeliveryReceived sending -> HEARTBEAT", "WebhookDeliveryReceived archived -> SUCCESS"] + DONE
            + WAIT + ["WebhookDeliveryReceived %s -> SUCCESS" % final] + DONE)
    if final == "failed":
        return head + ["FailStateEntered CampaignFailed", "ExecutionFailed"]
    # UpdateUsers: a Map of three dynamodb:updateItem tasks (their events interleave).
    tail = ["MapStateEntered UpdateUsers", "MapStateStarted"] + sorted(
        ["MapIterationStarted", "TaskStateEntered UpdateUser", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
         "MapIterationSucceeded"] * 3) + ["MapStateSucceeded", "MapStateExited"]
    # The JSONata definition shapes its output in UpdateUsers' Output; the JSONPath one in a Pass.
    return head + tail + ([] if jsonata else ["PassStateEntered Done", "PassStateExited"]) + ["ExecutionSucceeded"]


def in_order(got):
    """The history with the Map's iteration events sorted (they interleave), the rest as they came."""
    if "MapStateStarted" not in got:
        return got
    start, end = got.index("MapStateStarted") + 1, got.index("MapStateSucceeded")
    return got[:start] + sorted(got[start:end]) + got[end:]


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def waiting(server, arn):
    return any(e["type"] == "TaskStarted" for e in campaign.events(server.endpoint, arn)[6:])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("jsonata", [False, True], ids=["jsonpath", "jsonata"])
def test_campaigns_finish_with_the_expected_history_across_a_restart(jsonata, backend):
    with tempfile.TemporaryDirectory() as d:
        server = Server(os.path.join(d, "data"), database=backend).start()
        saas_port = free_port()
        saas = subprocess.Popen([sys.executable, os.path.join(ROOT, "samples", "email-campaign", "fake_saas.py"),
                                 "--port", str(saas_port), "--step", "0.5",
                                 "--webhook", server.endpoint + "/webhooks/campaign-status"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            saas_url = "http://127.0.0.1:%d" % saas_port
            for _ in range(100):
                try:
                    get(saas_url + "/campaigns")
                    break
                except OSError:
                    time.sleep(0.05)
            machine = campaign.setup(server.endpoint, saas_url, jsonata=jsonata)
            names = ["spring sale", "summer news", "fail fast", "autumn digest"]
            arns = campaign.start(server.endpoint, machine, names)
            deadline = time.time() + 30
            while not all(waiting(server, a) for a in arns):
                assert time.time() < deadline, "the runs never reached the webhook wait"
                time.sleep(0.05)
            # Every run is parked on the webhook: kill Baton outright, keep it down while the
            # SaaS's deliveries fail, and start it again on the same data directory and port.
            server.stop(signal.SIGKILL)
            time.sleep(1.5)
            server.start()
            sfn = server.client()
            deadline = time.time() + 60
            while any(sfn.describe_execution(executionArn=a)["status"] == "RUNNING" for a in arns):
                assert time.time() < deadline, "runs did not finish"
                time.sleep(0.1)
            for name, arn in zip(names, arns):
                d_ = sfn.describe_execution(executionArn=arn)
                final = "failed" if "fail" in name else "success"
                got = [campaign.summary(e) for e in campaign.events(server.endpoint, arn)]
                assert in_order(got) == expected(final, jsonata), "%s:\n%s" % (name, "\n".join(got))
                if final == "failed":
                    assert d_["status"] == "FAILED" and d_["error"] == "Campaign.Failed"
                else:
                    out = json.loads(d_["output"])
                    assert d_["status"] == "SUCCEEDED" and out["status"] == "success" and out["updated"] == 3
                    if jsonata:
                        # Kept in variables across the crash: the id, the audience, the poll count.
                        assert out["statusChecks"] == 3 and out["recipients"] == 3 and out["campaignId"].startswith("cmp-")
            # The SaaS's late deliveries are recorded and ignored; the duplicate never resumed twice.
            deadline = time.time() + 20
            while not all(c["done"] for c in get(saas_url + "/campaigns").values()):
                assert time.time() < deadline, "the SaaS did not finish its deliveries"
                time.sleep(0.1)
            for c_id in get(saas_url + "/campaigns"):
                log = [x["Outcome"] for x in get(server.endpoint + "/baton/webhooks/campaign-status/deliveries?key=" + c_id)["Deliveries"]]
                assert log[0] == "LATE" and "DUPLICATE" in log, (c_id, log)
                assert log.count("SUCCESS") == 3 and log.count("HEARTBEAT") == 1, (c_id, log)
            # Every user has the three successful campaigns, once each, in the users table.
            ids = {json.loads(sfn.describe_execution(executionArn=a)["output"])["campaignId"] for n, a in zip(names, arns) if "fail" not in n}
            items = server.client("dynamodb").scan(TableName=campaign.USERS_TABLE)["Items"]
            assert sorted(i["email"]["S"] for i in items) == sorted(campaign.AUDIENCE)
            assert all(set(i["campaigns"]["SS"]) == ids for i in items), items
        finally:
            saas.kill()
            server.stop(signal.SIGKILL)


def test_the_functions_final_failures_reach_the_failures_queue(server, tmp_path):
    """The sample routes its functions' final failures through a topic to a queue (function ->
    topic -> queue), where they can be read and redriven."""
    campaign.setup(server.endpoint, "http://127.0.0.1:9")
    lam, sqs = server.client("lambda"), server.client("sqs")
    url = sqs.get_queue_url(QueueName=campaign.FAILURES)["QueueUrl"]
    # A send without an audience fails every try.
    lam.invoke(FunctionName="send-campaign", InvocationType="Event", Payload=json.dumps({"campaignId": "cmp-broken"}))
    deadline = time.time() + 30
    messages = []
    while not messages and time.time() < deadline:
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2, MaxNumberOfMessages=10).get("Messages", [])
    assert messages, "the failure did not reach the queue"
    envelope = json.loads(messages[0]["Body"])
    assert json.loads(envelope["Message"]) == {"campaignId": "cmp-broken"}
    assert "campaign" in envelope["MessageAttributes"]["ErrorMessage"]["Value"]
