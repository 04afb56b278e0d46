"""One trace followed across services: a webhook delivery resumes a run, the run puts an
event on the bus, a rule starts a second run, and that run calls a function. The trace id the
sender gave in its W3C `traceparent` is in every run's history, in DescribeExecution's
`traceHeader` and in the function's `_X_AMZN_TRACE_ID`."""
import json
import time
import uuid

from test_lambda import create
from test_webhooks import SECRET, ensure_webhook, machine, raw_history, start, wait_event, wait_status
from webhook_client import deliver

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = "00-%s-00f067aa0ba902b7-01" % TRACE_ID
XRAY_ROOT = "Root=1-%s-%s" % (TRACE_ID[:8], TRACE_ID[8:])


def test_a_trace_flows_from_a_webhook_delivery_through_the_bus_into_a_second_run_and_a_function(server, sfn):
    lam = server.client("lambda")
    events = server.client("events")
    fn = create(lam, "trace_env")
    tag = uuid.uuid4().hex[:8]
    second = machine(sfn, {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": fn, "Payload.$": "$"}, "OutputPath": "$.Payload", "End": True}}})
    events.put_rule(Name="traced-" + tag, EventPattern=json.dumps({"source": ["trace." + tag]}))
    events.put_targets(Rule="traced-" + tag, Targets=[{"Id": "second", "Arn": second}])
    first = machine(sfn, {"StartAt": "Wait", "States": {
        "Wait": {"Type": "Task", "Resource": "arn:aws:states:::baton:webhook.waitForTaskToken",
                 "Parameters": {"Webhook": "orders", "Key.$": "$.orderId"}, "TimeoutSeconds": 120, "Next": "Publish"},
        "Publish": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
                    "Parameters": {"Entries": [{"Source": "trace." + tag, "DetailType": "Paid", "Detail": {"order.$": "$.order"}}]},
                    "End": True}}})
    ensure_webhook(server)
    order = "ord-" + uuid.uuid4().hex[:8]
    run = start(sfn, first, order)
    wait_event(server, run, "TaskStarted")
    # The first run was started with no trace: what the delivery resumes runs in the sender's.
    assert "traceHeader" not in sfn.describe_execution(executionArn=run)
    status, body = deliver(server.endpoint, "orders", {"order_id": order, "status": "paid", "amount": 1}, SECRET,
                           {"traceparent": TRACEPARENT})
    assert status == 200 and body["Outcome"] == "SUCCESS", body
    wait_status(sfn, run, "SUCCEEDED")
    received = [e for e in raw_history(server, run) if e["type"] == "WebhookDeliveryReceived"]
    assert received[0]["webhookDeliveryReceivedEventDetails"]["traceHeader"].startswith(XRAY_ROOT)

    started = None
    for _ in range(400):
        runs = sfn.list_executions(stateMachineArn=second)["executions"]
        if runs and runs[0]["status"] != "RUNNING":
            started = runs[0]["executionArn"]
            break
        time.sleep(0.05)
    assert started, "the rule never started the second run"
    d = wait_status(sfn, started, "SUCCEEDED")
    assert d["traceHeader"].startswith(XRAY_ROOT), d
    first_event = raw_history(server, started)[0]
    assert first_event["executionStartedEventDetails"]["traceHeader"].startswith(XRAY_ROOT)
    seen = json.loads(d["output"])
    assert seen["xray"].startswith(XRAY_ROOT), seen
    assert seen["traceparent"].startswith("00-%s-" % TRACE_ID), seen


def test_start_execution_keeps_the_trace_header_it_was_given(server, sfn):
    arn = machine(sfn, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    header = XRAY_ROOT + ";Parent=53995c3f42cd8ad8;Sampled=1"
    run = sfn.start_execution(stateMachineArn=arn, input="{}", traceHeader=header)["executionArn"]
    assert wait_status(sfn, run, "SUCCEEDED")["traceHeader"] == header
