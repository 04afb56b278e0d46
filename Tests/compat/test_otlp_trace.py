"""OpenTelemetry traces: a server with --otlp-endpoint sends its spans (OTLP/HTTP, protobuf by default,
JSON with OTEL_EXPORTER_OTLP_PROTOCOL=http/json) to an in-process collector. One trace, given by the caller's W3C traceparent, spans the StartExecution
request, the execution, its states, the task that calls a function, the function, and the
webhook delivery that resumes the run; each span's parent is the one that caused it."""
import http.server
import json
import os
import subprocess
import threading
import time
import types
import uuid

import boto3
import pytest

from conftest import BATON, free_port
from test_lambda import create
from test_webhooks import SECRET, ensure_webhook, raw_history, wait_status
from webhook_client import call, deliver

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"


def _fields(data):
    """Protocol Buffers' wire format: (field number, value) pairs; length-delimited values as bytes."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 1:
            value, i = int.from_bytes(data[i:i + 8], "little"), i + 8
        elif wire == 2:
            n, i = _varint(data, i)
            value, i = data[i:i + n], i + n
        elif wire == 5:
            value, i = int.from_bytes(data[i:i + 4], "little"), i + 4
        else:
            raise AssertionError("wire type %d" % wire)
        yield field, value


def _varint(data, i):
    shift = value = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def _key_value(data):
    kv = dict(_fields(data))
    any_value = dict(_fields(kv[2]))
    if 1 in any_value:
        value = {"stringValue": any_value[1].decode()}
    elif 2 in any_value:
        value = {"boolValue": bool(any_value[2])}
    else:
        value = {"intValue": str(any_value[3] - (1 << 64) if any_value[3] >= 1 << 63 else any_value[3])}
    return {"key": kv[1].decode(), "value": value}


def from_protobuf(data):
    """An ExportTraceServiceRequest, decoded into OTLP/JSON's shape (ids in hex, times as strings)."""
    resource_spans = []
    for _, rs in _fields(data):
        out = {"resource": {"attributes": []}, "scopeSpans": []}
        for f, v in _fields(rs):
            if f == 1:
                out["resource"]["attributes"] = [_key_value(a) for g, a in _fields(v) if g == 1]
            elif f == 2:
                spans = []
                for g, sp in _fields(v):
                    if g != 2:
                        continue
                    span = {"attributes": []}
                    for h, w in _fields(sp):
                        if h in (1, 2, 4):
                            span[{1: "traceId", 2: "spanId", 4: "parentSpanId"}[h]] = w.hex()
                        elif h == 5:
                            span["name"] = w.decode()
                        elif h == 6:
                            span["kind"] = w
                        elif h in (7, 8):
                            span[{7: "startTimeUnixNano", 8: "endTimeUnixNano"}[h]] = str(w)
                        elif h == 9:
                            span["attributes"].append(_key_value(w))
                        elif h == 15:
                            st = dict(_fields(w))
                            span["status"] = {"code": st.get(3, 0), **({"message": st[2].decode()} if 2 in st else {})}
                    spans.append(span)
                out["scopeSpans"].append({"spans": spans})
        resource_spans.append(out)
    return {"resourceSpans": resource_spans}


@pytest.fixture
def collector():
    spans = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            kind = self.headers["Content-Type"]
            assert self.path == "/v1/traces" and kind in ("application/json", "application/x-protobuf")
            body = json.loads(raw) if kind == "application/json" else from_protobuf(raw)
            Receiver.kinds.add(kind)
            for rs in body["resourceSpans"]:
                service = {a["key"]: a["value"] for a in rs["resource"]["attributes"]}["service.name"]["stringValue"]
                for ss in rs["scopeSpans"]:
                    for s in ss["spans"]:
                        s["service"] = service
                        spans.append(s)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass
    Receiver.kinds = set()
    port = free_port()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % port, spans, Receiver.kinds
    httpd.shutdown()


def start_traced(collector, tmp_path, env=None):
    port = free_port()
    proc = subprocess.Popen([BATON, "serve", "--port", str(port), "--data-dir", str(tmp_path / "data"), "--otlp-endpoint", collector[0]],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, **(env or {})))
    server = types.SimpleNamespace(endpoint="http://127.0.0.1:%d" % port)
    deadline = time.time() + 30
    while not _up(server):
        assert time.time() < deadline, "baton serve did not start"
        time.sleep(0.1)
    return server, proc


@pytest.fixture
def traced_server(collector, tmp_path):
    server, proc = start_traced(collector, tmp_path)
    yield server
    proc.terminate()
    proc.wait(timeout=30)


def _up(server):
    try:
        call(server.endpoint, "GET", "/health")
        return True
    except OSError:
        return False


def test_one_trace_spans_a_request_a_run_a_function_and_a_webhook_delivery(traced_server, collector):
    server, spans = traced_server, collector[1]
    kw = dict(endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    sfn, lam = boto3.client("stepfunctions", **kw), boto3.client("lambda", **kw)
    fn = create(lam, "echo_function")
    ensure_webhook(server)
    arn = sfn.create_state_machine(name="traced-" + uuid.uuid4().hex[:6], roleArn="arn:aws:iam::000000000000:role/r", definition=json.dumps({
        "StartAt": "Call", "States": {
            "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": fn, "Payload.$": "$"},
                     "ResultPath": None, "Next": "Wait"},
            "Wait": {"Type": "Task", "Resource": "arn:aws:states:::baton:webhook.waitForTaskToken",
                     "Parameters": {"Webhook": "orders", "Key.$": "$.orderId"}, "TimeoutSeconds": 60, "End": True}}}))["stateMachineArn"]
    order = "ord-" + uuid.uuid4().hex[:8]
    # The caller's trace: StartExecution as an SDK sends it, with a W3C traceparent.
    status, body = call(server.endpoint, "POST", "/", {"stateMachineArn": arn, "input": json.dumps({"orderId": order})},
                        {"X-Amz-Target": "AWSStepFunctions.StartExecution", "Content-Type": "application/x-amz-json-1.0",
                         "traceparent": "00-%s-%s-01" % (TRACE_ID, CALLER_SPAN)})
    assert status == 200, body
    run = body["executionArn"]
    # The run parks in Wait (its second task); the SaaS calls back in the same trace.
    deadline = time.time() + 20
    while len([e for e in raw_history(server, run) if e["type"] == "TaskStarted"]) < 2:
        assert time.time() < deadline, "the run never reached Wait"
        time.sleep(0.05)
    status, answer = deliver(server.endpoint, "orders", {"order_id": order, "status": "paid", "amount": 1}, SECRET,
                             {"traceparent": "00-%s-%s-01" % (TRACE_ID, "00f067aa0ba902b7")})
    assert status == 200 and answer["Outcome"] == "SUCCESS", answer
    wait_status(sfn, run, "SUCCEEDED")

    def named(prefix):
        return [s for s in spans if s["name"].startswith(prefix) and s["traceId"] == TRACE_ID]
    deadline = time.time() + 20
    while time.time() < deadline and not named("execution "):
        time.sleep(0.1)
    request = named("states.StartExecution")
    execution = named("execution ")
    states = {s["attributes"][0]["value"]["stringValue"]: s for s in named("state ")}
    task = named("task arn:aws:states:::lambda:invoke")
    function = named("function ")
    delivery = named("webhooks.Deliver")
    assert len(request) == 1 and request[0]["parentSpanId"] == CALLER_SPAN and request[0]["kind"] == 2
    assert len(execution) == 1 and execution[0]["parentSpanId"] == request[0]["spanId"]
    assert execution[0]["status"]["code"] == 1
    assert set(states) >= {"Call", "Wait"} and all(s["parentSpanId"] == execution[0]["spanId"] for s in states.values())
    assert len(task) == 1 and task[0]["parentSpanId"] == states["Call"]["spanId"]
    assert len(function) == 1 and function[0]["parentSpanId"] == task[0]["spanId"] and function[0]["name"] == "function " + fn
    assert len(delivery) == 1 and delivery[0]["parentSpanId"] == "00f067aa0ba902b7"
    # Times nest: the run within nothing earlier than its request, the function within its task.
    assert int(execution[0]["startTimeUnixNano"]) >= int(request[0]["startTimeUnixNano"]) - 1_000_000
    assert int(task[0]["startTimeUnixNano"]) <= int(function[0]["startTimeUnixNano"]) <= int(function[0]["endTimeUnixNano"]) <= int(task[0]["endTimeUnixNano"])
    assert all(s["service"] == "baton" for s in spans)
    assert collector[2] == {"application/x-protobuf"}, "the default encoding"


def test_a_bad_endpoint_is_refused_at_start(tmp_path):
    r = subprocess.run([BATON, "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "d"), "--otlp-endpoint", "collector:4318"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "--otlp-endpoint" in r.stderr
    r = subprocess.run([BATON, "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "d"), "--otlp-endpoint", "http://c:4318"],
                       capture_output=True, text=True, timeout=30, env=dict(os.environ, OTEL_EXPORTER_OTLP_PROTOCOL="grpc"))
    assert r.returncode != 0 and "OTEL_EXPORTER_OTLP_PROTOCOL" in r.stderr
    # OpenTelemetry's batch variables are checked before anything starts, the bad one named.
    r = subprocess.run([BATON, "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "d"), "--otlp-endpoint", "http://c:4318"],
                       capture_output=True, text=True, timeout=30, env=dict(os.environ, OTEL_BSP_MAX_EXPORT_BATCH_SIZE="0"))
    assert r.returncode != 0 and "OTEL_BSP_MAX_EXPORT_BATCH_SIZE must be a positive whole number, not 0" in r.stderr
    assert not (tmp_path / "d").exists()


def test_the_sampler_records_new_traces_by_ratio_and_follows_a_callers_flag(collector, tmp_path):
    """OTEL_TRACES_SAMPLER=parentbased_always_off: a request outside any trace is not recorded,
    nor what it starts; a caller's sampled trace is, whole; an unsampled one is not."""
    # And JSON, the other encoding (the main test's spans come as protobuf, the default).
    server, proc = start_traced(collector, tmp_path, {"OTEL_TRACES_SAMPLER": "parentbased_always_off",
                                                      "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"})
    spans = collector[1]
    try:
        sfn = boto3.client("stepfunctions", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
        arn = sfn.create_state_machine(name="sampled", roleArn="arn:aws:iam::000000000000:role/r",
                                       definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
        runs = {}
        for label, header in [("none", None), ("sampled", "01"), ("unsampled", "00")]:
            trace = uuid.uuid4().hex
            headers = {"X-Amz-Target": "AWSStepFunctions.StartExecution", "Content-Type": "application/x-amz-json-1.0"}
            if header:
                headers["traceparent"] = "00-%s-%s-%s" % (trace, CALLER_SPAN, header)
            status, body = call(server.endpoint, "POST", "/", {"stateMachineArn": arn, "name": label}, headers)
            assert status == 200, body
            runs[label] = (body["executionArn"], trace)
        for run, _ in runs.values():
            wait_status(sfn, run, "SUCCEEDED")
        deadline = time.time() + 20
        while time.time() < deadline and not any(s["name"].startswith("execution ") for s in spans):
            time.sleep(0.1)
        time.sleep(1)  # one more export round: nothing else may arrive
        traces = {s["traceId"] for s in spans}
        assert traces == {runs["sampled"][1]}, "only the caller's sampled trace is recorded"
        names = sorted(s["name"].split(" ")[0] for s in spans)
        assert names == ["execution", "state", "states.StartExecution"]
        assert collector[2] == {"application/json"}
    finally:
        proc.terminate()
        proc.wait(timeout=30)



def test_a_query_protocol_request_is_the_caller_of_what_it_starts(traced_server, collector):
    """SNS speaks the query protocol: its Publish request is a span, and the message it
    delivers to a queue names that span as its parent in AWSTraceHeader."""
    server, spans = traced_server, collector[1]
    kw = dict(endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    sns, sqs = boto3.client("sns", **kw), boto3.client("sqs", **kw)
    topic = sns.create_topic(Name="traced-topic")["TopicArn"]
    queue = sqs.create_queue(QueueName="traced-queue")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    trace = uuid.uuid4().hex

    def add_traceparent(request, **_):
        request.headers["traceparent"] = "00-%s-%s-01" % (trace, CALLER_SPAN)
    sns.meta.events.register("before-sign.sns.Publish", add_traceparent)
    sns.publish(TopicArn=topic, Message="hello")
    deadline = time.time() + 20
    messages = []
    while time.time() < deadline and not messages:
        messages = sqs.receive_message(QueueUrl=queue, MessageSystemAttributeNames=["AWSTraceHeader"], WaitTimeSeconds=1).get("Messages", [])
    assert messages, "the topic never delivered"
    header = messages[0]["Attributes"]["AWSTraceHeader"]
    deadline = time.time() + 20
    publish = []
    while time.time() < deadline and not publish:
        publish = [s for s in spans if s["name"] == "sns.Publish" and s["traceId"] == trace]
        if any(s["traceId"] == trace for s in spans) and not publish:
            break
        time.sleep(0.1)
    assert publish and publish[0]["parentSpanId"] == CALLER_SPAN, [s["name"] for s in spans if s["traceId"] == trace]
    assert header.startswith("Root=1-%s-%s" % (trace[:8], trace[8:])) and "Parent=%s" % publish[0]["spanId"] in header, header
