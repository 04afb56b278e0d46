"""SQS through unmodified boto3 (JSON protocol) and the query protocol older SDKs send
(form-encoded requests signed with SigV4, XML answers), a Task state sending to a queue, and
acknowledged messages surviving SIGKILL."""
import json
import signal
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import Server
from test_stepfunctions import wait_done

NS = "{http://queue.amazonaws.com/doc/2012-11-05/}"


def query(endpoint, params, url=None, method="POST"):
    """A query-protocol request, signed as an old SDK signs it."""
    url = url or endpoint + "/"
    body = urllib.parse.urlencode(params)
    if method == "GET":
        req = AWSRequest(method="GET", url=url + "?" + body)
    else:
        req = AWSRequest(method="POST", url=url, data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials("test", "test"), "sqs", "us-east-1").add_auth(req)
    if method == "GET":
        r = requests.get(req.url, headers=dict(req.headers), timeout=30)
    else:
        r = requests.post(url, data=body, headers=dict(req.headers), timeout=30)
    return r.status_code, ET.fromstring(r.content)


@pytest.fixture
def sqs(server):
    return server.client("sqs")


def test_send_receive_delete_with_attributes(sqs):
    url = sqs.create_queue(QueueName="compat-basic")["QueueUrl"]
    assert url.endswith("/000000000000/compat-basic")
    sent = sqs.send_message(QueueUrl=url, MessageBody="hello",
                            MessageAttributes={"Foo": {"DataType": "String", "StringValue": "Bar"}})
    # AWS's digest of {"Foo": String "Bar"}, as recorded on AWS.
    assert sent["MD5OfMessageAttributes"] == "ae7155c6026991b6d54b11589678bf9c"
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])
    [m] = got["Messages"]
    assert m["Body"] == "hello" and m["MessageId"] == sent["MessageId"]
    assert m["Attributes"]["ApproximateReceiveCount"] == "1"
    assert m["MessageAttributes"]["Foo"]["StringValue"] == "Bar"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_errors_carry_the_query_code_sdks_show(sqs):
    with pytest.raises(ClientError) as e:
        sqs.get_queue_url(QueueName="no-such-queue")
    assert e.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    url = sqs.create_queue(QueueName="compat-errors")["QueueUrl"]
    with pytest.raises(ClientError) as e:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_batches_report_each_entry(sqs):
    url = sqs.create_queue(QueueName="compat-batch", Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    out = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "ok", "MessageBody": "a" * 1024},
        {"Id": "big", "MessageBody": "a" * 1025},
    ])
    assert [s["Id"] for s in out["Successful"]] == ["ok"]
    assert out["Failed"][0]["Id"] == "big" and out["Failed"][0]["SenderFault"] is True
    assert out["Failed"][0]["Code"] == "InvalidParameterValue"
    # On a FIFO queue a missing group id refuses the whole batch, as AWS does.
    fifo = sqs.create_queue(QueueName="compat-batch.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    with pytest.raises(ClientError) as e:
        sqs.send_message_batch(QueueUrl=fifo, Entries=[
            {"Id": "a", "MessageBody": "a", "MessageGroupId": "g", "MessageDeduplicationId": "d1"},
            {"Id": "b", "MessageBody": "b", "MessageDeduplicationId": "d2"}])
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "Messages" not in sqs.receive_message(QueueUrl=fifo)


def test_long_poll_returns_when_a_message_arrives(sqs):
    url = sqs.create_queue(QueueName="compat-poll")["QueueUrl"]
    result = {}

    def receive():
        result["r"] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)

    t = threading.Thread(target=receive)
    t.start()
    time.sleep(0.5)
    sqs.send_message(QueueUrl=url, MessageBody="arrived")
    t.join(timeout=20)
    assert not t.is_alive()
    assert [m["Body"] for m in result["r"]["Messages"]] == ["arrived"]


def test_query_protocol_speaks_xml_on_root_and_queue_urls(server):
    status, doc = query(server.endpoint, {"Action": "CreateQueue", "Version": "2012-11-05", "QueueName": "compat-query",
                                          "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "45"})
    assert status == 200
    url = doc.find(f"{NS}CreateQueueResult/{NS}QueueUrl").text
    status, doc = query(server.endpoint, {"Action": "SendMessage", "Version": "2012-11-05", "MessageBody": "a<b&c",
                                          "MessageAttribute.1.Name": "k", "MessageAttribute.1.Value.DataType": "String",
                                          "MessageAttribute.1.Value.StringValue": "v"}, url=url)
    assert status == 200 and doc.find(f"{NS}SendMessageResult/{NS}MessageId").text
    status, doc = query(server.endpoint, {"Action": "ReceiveMessage", "Version": "2012-11-05", "QueueUrl": url,
                                          "MessageAttributeName.1": "All", "AttributeName.1": "All"})
    m = doc.find(f"{NS}ReceiveMessageResult/{NS}Message")
    assert m.find(f"{NS}Body").text == "a<b&c"
    assert m.find(f"{NS}MessageAttribute/{NS}Value/{NS}StringValue").text == "v"
    names = [a.find(f"{NS}Name").text for a in m.findall(f"{NS}Attribute")]
    assert "ApproximateReceiveCount" in names
    # A GET on the queue's URL, as the oldest SDKs send.
    status, doc = query(server.endpoint, {"Action": "GetQueueAttributes", "AttributeName.1": "VisibilityTimeout"}, url=url, method="GET")
    assert status == 200
    assert doc.find(f"{NS}GetQueueAttributesResult/{NS}Attribute/{NS}Value").text == "45"
    # Errors are AWS's XML with the query code.
    status, doc = query(server.endpoint, {"Action": "GetQueueUrl", "Version": "2012-11-05", "QueueName": "missing"})
    assert status == 400
    assert doc.find(f"{NS}Error/{NS}Code").text == "AWS.SimpleQueueService.NonExistentQueue"
    assert doc.find(f"{NS}Error/{NS}Type").text == "Sender"
    status, doc = query(server.endpoint, {"Action": "FooBar", "Version": "2012-11-05"})
    assert doc.find(f"{NS}Error/{NS}Code").text == "InvalidAction"


def test_a_task_state_sends_to_a_queue(server, sqs):
    sfn = server.client()
    url = sqs.create_queue(QueueName="compat-from-workflow")["QueueUrl"]
    definition = {"StartAt": "Send", "States": {"Send": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": url, "MessageBody": {"campaign.$": "$.campaign"}}, "End": True}}}
    arn = sfn.create_state_machine(name="compat-sqs-send", definition=json.dumps(definition),
                                   roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"campaign": "c-1"}))["executionArn"]
    d = wait_done(sfn, ex)
    assert d["status"] == "SUCCEEDED", d
    out = json.loads(d["output"])
    [m] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    assert json.loads(m["Body"]) == {"campaign": "c-1"}
    assert m["MessageId"] == out["MessageId"] and m["MD5OfBody"] == out["MD5OfMessageBody"]


def test_acknowledged_messages_survive_sigkill(tmp_path):
    """Producers and consumers run while the server is killed three times: every acknowledged
    send is received, none after its delete was acknowledged, and each FIFO group in order."""
    data = str(tmp_path / "data")
    sent, received, deleted = {}, [], set()
    received_after_delete = []
    lock = threading.Lock()
    seq = [0]
    s = Server(data).start()
    client = s.client("sqs")
    plain = client.create_queue(QueueName="crash-plain")["QueueUrl"]
    fifo = client.create_queue(QueueName="crash.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    path = {u: urllib.parse.urlparse(u).path for u in (plain, fifo)}

    def url_for(server, u):
        return server.endpoint + path[u]

    def producer(server, stop):
        c = server.client("sqs")
        while not stop.is_set():
            with lock:
                seq[0] += 1
                n = seq[0]
            body = "m-%d" % n
            for u in (plain, fifo):
                try:
                    kw = {"MessageGroupId": "g%d" % (n % 3)} if u == fifo else {}
                    r = c.send_message(QueueUrl=url_for(server, u), MessageBody=body, **kw)
                    with lock:
                        sent[(u, body)] = r["MessageId"]
                except Exception:
                    return

    def consumer(server, stop):
        c = server.client("sqs")
        while not stop.is_set():
            for u in (plain, fifo):
                try:
                    got = c.receive_message(QueueUrl=url_for(server, u), MaxNumberOfMessages=10, VisibilityTimeout=2)
                except Exception:
                    return
                for m in got.get("Messages", []):
                    with lock:
                        if (u, m["MessageId"]) in deleted:
                            received_after_delete.append(m["MessageId"])
                        received.append((u, m["Body"], m["MessageId"]))
                    try:
                        c.delete_message(QueueUrl=url_for(server, u), ReceiptHandle=m["ReceiptHandle"])
                        with lock:
                            deleted.add((u, m["MessageId"]))
                    except Exception:
                        return

    for round_ in range(3):
        stop = threading.Event()
        threads = [threading.Thread(target=producer, args=(s, stop))]
        threads += [threading.Thread(target=consumer, args=(s, stop)) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        s.stop(signal.SIGKILL)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        s = Server(data).start()
    # Drain what is left (after visibility timeouts of the killed consumers' messages).
    c = s.client("sqs")
    deadline = time.time() + 20
    while time.time() < deadline:
        empty = True
        for u in (plain, fifo):
            got = c.receive_message(QueueUrl=url_for(s, u), MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for m in got.get("Messages", []):
                empty = False
                if (u, m["MessageId"]) in deleted:
                    received_after_delete.append(m["MessageId"])
                received.append((u, m["Body"], m["MessageId"]))
                c.delete_message(QueueUrl=url_for(s, u), ReceiptHandle=m["ReceiptHandle"])
                deleted.add((u, m["MessageId"]))
        if empty and time.time() > deadline - 15:
            break
    s.stop()
    assert sent, "nothing was sent"
    got = {(u, b) for u, b, _ in received}
    missing = [k for k in sent if k not in got]
    assert not missing, "acknowledged but never received: %s" % missing[:5]
    assert not received_after_delete, "received after its delete was acknowledged: %s" % received_after_delete[:5]
    # FIFO: within a group, first deliveries follow the order of acknowledged sends.
    first = []
    for u, b, _ in received:
        if u == fifo and b not in first:
            first.append(b)
    for g in range(3):
        order = [int(b[2:]) for b in first if int(b[2:]) % 3 == g]
        acked = [n for n in order if (fifo, "m-%d" % n) in sent]
        assert acked == sorted(acked), "group g%d out of order" % g
