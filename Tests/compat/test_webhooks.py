"""Webhooks through the real server: configuration, signatures, correlation, repeated and
late deliveries, heartbeats and timeouts, and what the run's history records."""
import base64
import hashlib
import hmac
import json
import subprocess
import time
import uuid

from conftest import BATON
from webhook_client import call, deliver

SECRET = "whsec_test_0123456789"

WAIT = {
    "StartAt": "Wait",
    "States": {
        "Wait": {
            "Type": "Task",
            "Resource": "arn:aws:states:::baton:webhook.waitForTaskToken",
            "Parameters": {"Webhook": "orders", "Key.$": "$.orderId"},
            "HeartbeatSeconds": 30,
            "TimeoutSeconds": 120,
            "Next": "Done",
        },
        "Done": {"Type": "Pass", "End": True},
    },
}

CONFIG = {
    "Name": "orders",
    "KeySource": {"Body": "$.order_id"},
    "StatusSource": {"Body": "$.status"},
    "Outcomes": {
        "paid": {"Outcome": "SUCCESS"},
        "declined": {"Outcome": "FAILURE", "Error": "Order.Declined", "Cause.$": "$.body.reason"},
        "processing": {"Outcome": "HEARTBEAT"},
    },
    "DefaultOutcome": {"Outcome": "IGNORE"},
    "Output": {"order.$": "$.key", "status.$": "$.status", "amount.$": "$.body.amount"},
    "Signature": {"Scheme": "STRIPE", "Secret": SECRET},
    "Deduplication": {"DeliveryIdHeader": "X-Delivery-Id"},
}


def machine(sfn, definition, name=None):
    return sfn.create_state_machine(name=name or "wh-" + uuid.uuid4().hex[:8], definition=json.dumps(definition),
                                    roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]


def wait_status(sfn, arn, status, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] == status:
            return d
        time.sleep(0.05)
    raise AssertionError("%s never became %s (is %s)" % (arn, status, d["status"]))


def wait_event(server, arn, event_type, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        events = raw_history(server, arn)
        if any(e["type"] == event_type for e in events):
            return events
        time.sleep(0.05)
    raise AssertionError("no %s in %s" % (event_type, arn))


def raw_history(server, arn):
    """The history as the server sends it (boto3 drops detail members it does not model)."""
    status, body = call(server.endpoint, "POST", "/", {"executionArn": arn},
                        {"X-Amz-Target": "AWSStepFunctions.GetExecutionHistory", "Content-Type": "application/x-amz-json-1.0"})
    assert status == 200, body
    return body["events"]


def ensure_webhook(server):
    status, body = call(server.endpoint, "GET", "/baton/webhooks/orders")
    if status == 404:
        status, body = call(server.endpoint, "POST", "/baton/webhooks", CONFIG)
        assert status == 201, body
    return body


def waiting_order(server, sfn):
    """A run of WAIT parked on a fresh order id."""
    ensure_webhook(server)
    order = "ord-" + uuid.uuid4().hex[:8]
    run = start(sfn, machine(sfn, WAIT), order)
    wait_event(server, run, "TaskStarted")
    return order, run


def start(sfn, arn, order):
    return sfn.start_execution(stateMachineArn=arn, input=json.dumps({"orderId": order}))["executionArn"]


def test_secret_is_write_only_and_config_is_validated(server):
    created = ensure_webhook(server)
    assert "Secret" not in created["Signature"] and created["Signature"]["SecretConfigured"] is True
    assert SECRET not in json.dumps(call(server.endpoint, "GET", "/baton/webhooks")[1])
    # An update without the secret keeps it.
    status, updated = call(server.endpoint, "PUT", "/baton/webhooks/orders",
                           dict(CONFIG, Signature={"Scheme": "STRIPE"}))
    assert status == 200 and updated["Signature"]["SecretConfigured"] is True
    for bad in [{"Name": "x y", "KeySource": {"Body": "$.a"}},
                {"Name": "ok", "KeySource": {"Cookie": "a"}},
                {"Name": "ok", "KeySource": {"Body": "$.a"}, "Signature": {"Scheme": "STRIPE"}},
                {"Name": "ok", "KeySource": {"Body": "$.a"}, "Outcomes": {"x": {"Outcome": "MAYBE"}}}]:
        status, body = call(server.endpoint, "POST", "/baton/webhooks", bad)
        assert status == 400 and body["__type"] == "ValidationException", (bad, body)
    status, body = call(server.endpoint, "POST", "/baton/webhooks", CONFIG)
    assert status == 409 and body["__type"] == "ResourceConflictException"
    assert call(server.endpoint, "GET", "/baton/webhooks/nope")[0] == 404


def test_delivery_resumes_the_waiting_run_once(server, sfn):
    order, run = waiting_order(server, sfn)
    payload = {"order_id": order, "status": "paid", "amount": 42}
    status, body = deliver(server.endpoint, "orders", payload, SECRET, {"X-Delivery-Id": "d-1"})
    assert status == 200 and body["Outcome"] == "SUCCESS" and body["ExecutionArns"] == [run], body
    d = wait_status(sfn, run, "SUCCEEDED")
    assert json.loads(d["output"]) == {"order": order, "status": "paid", "amount": 42}
    # The same delivery again is recognised and changes nothing.
    status, body = deliver(server.endpoint, "orders", payload, SECRET, {"X-Delivery-Id": "d-1"})
    assert status == 200 and body["Outcome"] == "DUPLICATE"
    # A different delivery for the finished run is late: recorded, ignored.
    status, body = deliver(server.endpoint, "orders", dict(payload, status="refunded"), SECRET, {"X-Delivery-Id": "d-2"})
    assert status == 200 and body["Outcome"] == "LATE"
    events = raw_history(server, run)
    received = [e for e in events if e["type"] == "WebhookDeliveryReceived"]
    assert len(received) == 1
    details = received[0]["webhookDeliveryReceivedEventDetails"]
    assert details["webhook"] == "orders" and details["key"] == order and details["outcome"] == "SUCCESS"
    assert details["bodySha256"] == hashlib.sha256(json.dumps(payload).encode()).hexdigest()
    assert details["deliveryId"] == "d-1" and details["status"] == "paid"
    assert SECRET not in json.dumps(events)
    assert [e["type"] for e in events].count("TaskSucceeded") == 1
    log = call(server.endpoint, "GET", "/baton/webhooks/orders/deliveries?key=" + order)[1]["Deliveries"]
    assert [x["Outcome"] for x in log] == ["LATE", "DUPLICATE", "SUCCESS"]
    # The CLI shows the details the aws CLI drops, and the same delivery log.
    lines = subprocess.run([BATON, "history", "--endpoint", server.endpoint, run], capture_output=True, text=True, check=True).stdout
    shown = [json.loads(x) for x in lines.splitlines()]
    assert [e["type"] for e in shown] == [e["type"] for e in events]
    assert any(e.get("webhookDeliveryReceivedEventDetails", {}).get("key") == order for e in shown)
    cli = subprocess.run([BATON, "webhook", "deliveries", "orders", "--endpoint", server.endpoint, "--key", order],
                         capture_output=True, text=True, check=True).stdout
    assert [x["Outcome"] for x in json.loads(cli)["Deliveries"]] == ["LATE", "DUPLICATE", "SUCCESS"]


def test_bad_or_stale_signature_is_refused_and_changes_nothing(server, sfn):
    order, run = waiting_order(server, sfn)
    payload = {"order_id": order, "status": "paid", "amount": 1}
    assert deliver(server.endpoint, "orders", payload, "wrong-secret-123")[0] == 401
    assert deliver(server.endpoint, "orders", payload, SECRET, t=int(time.time()) - 3600)[0] == 401
    assert deliver(server.endpoint, "orders", payload)[0] == 401
    status, body = deliver(server.endpoint, "orders", payload, SECRET, {"Stripe-Signature": "t=1,v1=00"})
    assert status == 401 and body["__type"] == "InvalidSignatureException"
    assert sfn.describe_execution(executionArn=run)["status"] == "RUNNING"
    assert not [e for e in raw_history(server, run) if e["type"] == "WebhookDeliveryReceived"]
    sfn.stop_execution(executionArn=run)


def test_unknown_key_answers_404_and_is_recorded(server):
    ensure_webhook(server)
    key = "nobody-" + uuid.uuid4().hex[:6]
    status, body = deliver(server.endpoint, "orders", {"order_id": key, "status": "paid"}, SECRET)
    assert status == 404 and body["__type"] == "ResourceNotFoundException"
    log = call(server.endpoint, "GET", "/baton/webhooks/orders/deliveries?key=" + key)[1]["Deliveries"]
    assert [x["Outcome"] for x in log] == ["UNKNOWN_KEY"]
    assert deliver(server.endpoint, "nowebhook", {"order_id": key}, SECRET)[0] == 404


def test_failure_heartbeat_and_ignored_statuses(server, sfn):
    order, run = waiting_order(server, sfn)
    assert deliver(server.endpoint, "orders", {"order_id": order, "status": "processing"}, SECRET)[1]["Outcome"] == "HEARTBEAT"
    assert deliver(server.endpoint, "orders", {"order_id": order, "status": "viewed"}, SECRET)[1]["Outcome"] == "IGNORE"
    assert sfn.describe_execution(executionArn=run)["status"] == "RUNNING"
    status, body = deliver(server.endpoint, "orders", {"order_id": order, "status": "declined", "reason": "card expired"}, SECRET)
    assert body["Outcome"] == "FAILURE"
    d = wait_status(sfn, run, "FAILED")
    assert d["error"] == "Order.Declined" and d["cause"] == "card expired"
    outcomes = [e["webhookDeliveryReceivedEventDetails"]["outcome"] for e in raw_history(server, run)
                if e["type"] == "WebhookDeliveryReceived"]
    assert outcomes == ["HEARTBEAT", "IGNORE", "FAILURE"]


def test_header_and_query_keys_with_hex_and_base64_signatures(server, sfn):
    secret = "hex-secret-0001"
    for scheme, enc in [("HMAC_SHA256_HEX", lambda m: "sha256=" + m.hexdigest()),
                        ("HMAC_SHA256_BASE64", lambda m: base64.b64encode(m.digest()).decode())]:
        name = "wh-" + scheme.lower().replace("_", "-")
        sig = {"Scheme": scheme, "Secret": secret, "Header": "X-Hub-Signature-256"}
        if scheme.endswith("HEX"):
            sig["Prefix"] = "sha256="
        source = {"Header": "X-Order"} if scheme.endswith("HEX") else {"Query": "order"}
        assert call(server.endpoint, "POST", "/baton/webhooks", {"Name": name, "KeySource": source, "Signature": sig})[0] == 201
        definition = json.loads(json.dumps(WAIT))
        definition["States"]["Wait"]["Parameters"]["Webhook"] = name
        run = start(sfn, machine(sfn, definition), "k-" + scheme)
        wait_event(server, run, "TaskStarted")
        body = json.dumps({"anything": True}).encode()
        mac = hmac.new(secret.encode(), body, hashlib.sha256)
        headers = {"X-Hub-Signature-256": enc(mac), "X-Order": "k-" + scheme}
        query = "" if scheme.endswith("HEX") else "?order=k-" + scheme
        assert call(server.endpoint, "POST", "/webhooks/%s%s" % (name, query), body,
                    dict(headers, **{"X-Hub-Signature-256": enc(hmac.new(b"other-secret", body, hashlib.sha256))}))[0] == 401
        status, answer = call(server.endpoint, "POST", "/webhooks/%s%s" % (name, query), body, headers)
        assert status == 200 and answer["Outcome"] == "SUCCESS", answer
        assert json.loads(wait_status(sfn, run, "SUCCEEDED")["output"]) == {"anything": True}


def test_heartbeat_timeout_ends_a_forgotten_run(server, sfn):
    ensure_webhook(server)
    definition = json.loads(json.dumps(WAIT))
    definition["States"]["Wait"]["HeartbeatSeconds"] = 1
    definition["States"]["Wait"]["TimeoutSeconds"] = 2
    run = start(sfn, machine(sfn, definition), "forgotten-" + uuid.uuid4().hex[:6])
    d = wait_status(sfn, run, "FAILED", timeout=10)
    assert d["error"] == "States.HeartbeatTimeout"


def test_the_aws_way_still_works_send_task_success_with_the_token(server, sfn):
    ensure_webhook(server)
    definition = json.loads(json.dumps(WAIT))
    definition["States"]["Wait"]["Parameters"]["Token.$"] = "$$.Task.Token"
    run = start(sfn, machine(sfn, definition), "tok-" + uuid.uuid4().hex[:6])
    events = wait_event(server, run, "TaskScheduled")
    token = json.loads(events[2]["taskScheduledEventDetails"]["parameters"])["Token"]
    sfn.send_task_success(taskToken=token, output='{"via": "token"}')
    assert json.loads(wait_status(sfn, run, "SUCCEEDED")["output"]) == {"via": "token"}


def test_a_missing_webhook_fails_the_task_at_once(server, sfn):
    definition = json.loads(json.dumps(WAIT))
    definition["States"]["Wait"]["Parameters"]["Webhook"] = "does-not-exist"
    run = start(sfn, machine(sfn, definition), "x")
    assert wait_status(sfn, run, "FAILED")["error"] == "Baton.WebhookNotFound"


def test_the_cli_creates_updates_lists_and_deletes_webhooks(server, tmp_path):
    config = tmp_path / "hook.json"
    config.write_text(json.dumps({"Name": "cli-hook", "KeySource": {"Query": "id"},
                                  "Signature": {"Scheme": "HMAC_SHA256_HEX", "Secret": "cli-secret-123"}}))

    def baton(*args, check=True):
        return subprocess.run([BATON, "webhook", *args, "--endpoint", server.endpoint], capture_output=True, text=True, check=check)

    created = json.loads(baton("create", "--file", str(config)).stdout)
    assert created["Url"] == "/webhooks/cli-hook" and created["Signature"]["SecretConfigured"] is True
    assert "cli-secret-123" not in baton("get", "cli-hook").stdout
    # a second create is refused, and the CLI says so with a non-zero exit
    again = baton("create", "--file", str(config), check=False)
    assert again.returncode != 0 and "ResourceConflictException" in again.stdout
    config.write_text(json.dumps({"Name": "cli-hook", "KeySource": {"Header": "X-Id"}}))
    updated = json.loads(baton("update", "cli-hook", "--file", str(config)).stdout)
    # leaving Signature out of an update keeps verification as it was
    assert updated["KeySource"] == {"Header": "X-Id"} and updated["Signature"]["Scheme"] == "HMAC_SHA256_HEX"
    assert updated["Signature"]["SecretConfigured"] is True
    assert "cli-hook" in [w["Name"] for w in json.loads(baton("list").stdout)["Webhooks"]]
    baton("delete", "cli-hook")
    assert baton("get", "cli-hook", check=False).returncode != 0
