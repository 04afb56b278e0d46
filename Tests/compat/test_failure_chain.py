"""The failure chain of an asynchronous function: its final failure goes to its dead-letter
topic, which fans it out to a queue (function -> topic -> queue), and its invocation record to
its on-failure destination; a success's record to its on-success destination."""
import json
import time

from test_lambda import create, lam  # noqa: F401 (fixture)
from test_sns import queue


def receive(sqs, url, wait=20):
    deadline = time.time() + wait
    while time.time() < deadline:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2, MessageAttributeNames=["All"])
        if got.get("Messages"):
            return got["Messages"]
    return []


def test_function_to_topic_to_queue(server, lam):  # noqa: F811
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name="chain-failures")["TopicArn"]
    dead_url, dead_arn = queue(sqs, "chain-dead-letters")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=dead_arn)
    records_url, records_arn = queue(sqs, "chain-failure-records")
    bad = create(lam, "raise_exception", DeadLetterConfig={"TargetArn": topic})
    assert lam.get_function_configuration(FunctionName=bad)["DeadLetterConfig"]["TargetArn"] == topic
    lam.put_function_event_invoke_config(FunctionName=bad, MaximumRetryAttempts=1,
                                         DestinationConfig={"OnFailure": {"Destination": records_arn}})
    assert lam.invoke(FunctionName=bad, InvocationType="Event", Payload='{"campaign": "c-1"}')["StatusCode"] == 202
    [dead] = receive(sqs, dead_url)
    envelope = json.loads(dead["Body"])
    assert envelope["TopicArn"] == topic and json.loads(envelope["Message"]) == {"campaign": "c-1"}
    assert "Some exception was raised." in envelope["MessageAttributes"]["ErrorMessage"]["Value"]
    assert envelope["MessageAttributes"]["RequestID"]["Value"]
    [record] = receive(sqs, records_url)
    r = json.loads(record["Body"])
    assert r["requestContext"]["condition"] == "RetriesExhausted" and r["requestContext"]["approximateInvokeCount"] == 2
    assert r["requestPayload"] == {"campaign": "c-1"} and r["responseContext"]["functionError"] == "Unhandled"


def test_success_record_goes_to_the_on_success_destination(server, lam):  # noqa: F811
    sqs = server.client("sqs")
    url, arn = queue(sqs, "chain-successes")
    ok = create(lam, "id_function")
    lam.put_function_event_invoke_config(FunctionName=ok, DestinationConfig={"OnSuccess": {"Destination": arn}})
    lam.invoke(FunctionName=ok, InvocationType="Event", Payload='{"n": 7}')
    [m] = receive(sqs, url)
    r = json.loads(m["Body"])
    assert r["requestContext"]["condition"] == "Success" and r["responsePayload"] == {"n": 7}
