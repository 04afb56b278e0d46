"""SNS through unmodified boto3 (the query protocol): a topic fanning out to queues (AWS's
envelope, raw delivery, filter policies), an HTTP subscriber that confirms through the
SubscribeURL and verifies each notification's signature against the served certificate, the
email outbox, FIFO topics, and sns:publish from a Task state."""
import base64
import http.server
import json
import threading
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from test_stepfunctions import wait_done


@pytest.fixture
def sns(server):
    return server.client("sns")


@pytest.fixture
def sqs(server):
    return server.client("sqs")


def queue(sqs, name, **attrs):
    url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def string_to_sign(m):
    keys = (["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"] if m["Type"] == "Notification"
            else ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"])
    return "".join("%s\n%s\n" % (k, m[k]) for k in keys if k in m).encode()


def verify(m):
    """What an SNS receiver does: fetch the certificate, check the signature."""
    pem = urllib.request.urlopen(m["SigningCertURL"]).read()
    cert = x509.load_pem_x509_certificate(pem)
    algorithm = hashes.SHA256() if m["SignatureVersion"] == "2" else hashes.SHA1()
    cert.public_key().verify(base64.b64decode(m["Signature"]), string_to_sign(m), padding.PKCS1v15(), algorithm)


def test_fan_out_to_queues_with_filters_and_raw_delivery(sns, sqs):
    topic = sns.create_topic(Name="compat-orders")["TopicArn"]
    all_url, all_arn = queue(sqs, "compat-all")
    big_url, big_arn = queue(sqs, "compat-big")
    raw_url, raw_arn = queue(sqs, "compat-raw")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=all_arn)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=big_arn,
                  Attributes={"FilterPolicy": json.dumps({"total": [{"numeric": [">", 100]}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn, Attributes={"RawMessageDelivery": "true"})
    for total in (50, 500):
        sns.publish(TopicArn=topic, Message="order %d" % total, Subject="order",
                    MessageAttributes={"total": {"DataType": "Number", "StringValue": str(total)}})
    got = sqs.receive_message(QueueUrl=all_url, MaxNumberOfMessages=10, WaitTimeSeconds=5)["Messages"]
    bodies = sorted(json.loads(m["Body"])["Message"] for m in got)
    assert bodies == ["order 50", "order 500"]
    envelope = json.loads(got[0]["Body"])
    assert envelope["Type"] == "Notification" and envelope["TopicArn"] == topic and envelope["Subject"] == "order"
    assert envelope["MessageAttributes"]["total"]["Type"] == "Number"
    verify(envelope)
    big = sqs.receive_message(QueueUrl=big_url, MaxNumberOfMessages=10, WaitTimeSeconds=5)["Messages"]
    assert [json.loads(m["Body"])["Message"] for m in big] == ["order 500"]
    raw = sqs.receive_message(QueueUrl=raw_url, MaxNumberOfMessages=10, WaitTimeSeconds=5, MessageAttributeNames=["All"])["Messages"]
    assert sorted(m["Body"] for m in raw) == ["order 50", "order 500"]
    assert raw[0]["MessageAttributes"]["total"]["DataType"] == "Number"


def test_errors_are_aws_shaped(sns):
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn="arn:aws:sns:us-east-1:000000000000:missing", Message="x")
    assert e.value.response["Error"]["Code"] == "NotFound"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    topic = sns.create_topic(Name="compat-errors")["TopicArn"]
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:000000000000:q",
                      Attributes={"FilterPolicy": "not json"})
    assert e.value.response["Error"]["Code"] == "InvalidParameter"
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


class Receiver(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((self.headers["x-amz-sns-message-type"], json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_http_subscriber_confirms_and_verifies_signatures(sns):
    Receiver.received = []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        topic = sns.create_topic(Name="compat-http", Attributes={"SignatureVersion": "2"})["TopicArn"]
        endpoint = "http://127.0.0.1:%d/hook" % httpd.server_port
        assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint)["SubscriptionArn"] == "pending confirmation"
        deadline = time.time() + 10
        while not Receiver.received and time.time() < deadline:
            time.sleep(0.05)
        kind, confirmation = Receiver.received[0]
        assert kind == "SubscriptionConfirmation"
        verify(confirmation)
        # Visiting the SubscribeURL confirms, as a browser or an SDK helper would.
        urllib.request.urlopen(confirmation["SubscribeURL"]).read()
        [sub] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert sub["SubscriptionArn"].startswith(topic + ":")
        sns.publish(TopicArn=topic, Message="hello over http")
        while len(Receiver.received) < 2 and time.time() < deadline:
            time.sleep(0.05)
        kind, note = Receiver.received[1]
        assert kind == "Notification" and note["Message"] == "hello over http" and note["SignatureVersion"] == "2"
        verify(note)
    finally:
        httpd.shutdown()


def test_email_json_goes_to_the_outbox(server, sns):
    topic = sns.create_topic(Name="compat-email")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email-json", Endpoint="ops@example.com")
    outbox = json.loads(urllib.request.urlopen(server.endpoint + "/baton/sns/email-outbox").read())["Deliveries"]
    confirmation = json.loads([d for d in outbox if d["Endpoint"] == "ops@example.com"][0]["Body"])
    sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])
    sns.publish(TopicArn=topic, Message="page me")
    deadline = time.time() + 10
    while time.time() < deadline:
        outbox = json.loads(urllib.request.urlopen(server.endpoint + "/baton/sns/email-outbox").read())["Deliveries"]
        notes = [json.loads(d["Body"]) for d in outbox if d["Endpoint"] == "ops@example.com"]
        if any(n.get("Message") == "page me" for n in notes):
            break
        time.sleep(0.05)
    assert any(n.get("Type") == "Notification" and n.get("Message") == "page me" for n in notes)


def test_fifo_topic_keeps_order_and_deduplicates(sns, sqs):
    topic = sns.create_topic(Name="compat-ledger.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    url, arn = queue(sqs, "compat-ledger.fifo", FifoQueue="true")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    first = sns.publish(TopicArn=topic, Message="m1", MessageGroupId="acct")
    again = sns.publish(TopicArn=topic, Message="m1", MessageGroupId="acct")
    assert first["MessageId"] == again["MessageId"] and first["SequenceNumber"] == again["SequenceNumber"]
    sns.publish(TopicArn=topic, Message="m2", MessageGroupId="acct")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=5)["Messages"]
    assert [m["Body"] for m in got] == ["m1", "m2"]


def test_a_task_state_publishes(server, sns, sqs):
    sfn = server.client()
    topic = sns.create_topic(Name="compat-from-workflow")["TopicArn"]
    url, arn = queue(sqs, "compat-topic-sink")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    definition = {"StartAt": "Announce", "States": {"Announce": {
        "Type": "Task", "Resource": "arn:aws:states:::sns:publish",
        "Parameters": {"TopicArn": topic, "Message": {"campaign.$": "$.campaign"}}, "End": True}}}
    sm = sfn.create_state_machine(name="compat-sns-publish", definition=json.dumps(definition),
                                  roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=sm, input=json.dumps({"campaign": "c-9"}))["executionArn"]
    d = wait_done(sfn, ex)
    assert d["status"] == "SUCCEEDED", d
    assert "MessageId" in json.loads(d["output"])
    [m] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    assert json.loads(m["Body"]) == {"campaign": "c-9"}


def test_mobile_push_and_sms_are_validated_as_aws_does(sns):
    with pytest.raises(ClientError) as e:
        sns.create_platform_application(Name="bad@name", Platform="GCM", Attributes={"PlatformCredential": "key"})
    assert e.value.response["Error"]["Message"].endswith("must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', '_', '-', and '.'")
    app = sns.create_platform_application(Name="compat-app", Platform="GCM", Attributes={"PlatformCredential": "key"})["PlatformApplicationArn"]
    endpoint = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1", CustomUserData="hello")["EndpointArn"]
    assert sns.get_endpoint_attributes(EndpointArn=endpoint)["Attributes"]["CustomUserData"] == "hello"
    # The same token with other attributes is refused; with the same ones it answers the endpoint.
    assert sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1", CustomUserData="hello")["EndpointArn"] == endpoint
    with pytest.raises(ClientError) as e:
        sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1", CustomUserData="other")
    assert e.value.response["Error"]["Code"] == "InvalidParameter"
    with pytest.raises(ClientError) as e:
        sns.get_endpoint_attributes(EndpointArn=app.replace(":app/", ":endpoint/") + "/missing")
    assert e.value.response["Error"]["Code"] == "NotFound"
    sns.set_sms_attributes(attributes={"DefaultSMSType": "Transactional"})
    assert sns.get_sms_attributes()["attributes"]["DefaultSMSType"] == "Transactional"
    with pytest.raises(ClientError) as e:
        sns.set_sms_attributes(attributes={"DefaultSMSType": "Loud"})
    assert e.value.response["Error"]["Message"] == "DefaultSMSType is invalid"
    with pytest.raises(ClientError) as e:
        sns.publish(PhoneNumber="+1a234", Message="hi")
    assert "is not valid to publish to" in e.value.response["Error"]["Message"]
    assert sns.publish(PhoneNumber="+15551234567", Message="hi")["MessageId"]
