"""A queue drives a function (Lambda's event source mappings): batches go to the function,
what it takes is deleted, what it reports failed comes back and, after maxReceiveCount, lands
in the queue's dead-letter queue; FilterCriteria drops what does not match."""
import json
import time

from test_lambda import create, lam  # noqa: F401 (fixture)
from test_sns import queue


def count(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


def test_a_queue_drives_a_function_with_partial_batch_failures(server, lam):  # noqa: F811
    sqs = server.client("sqs")
    dlq_url, dlq_arn = queue(sqs, "esm-dead")
    url, arn = queue(sqs, "esm-work", VisibilityTimeout="1",
                     RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}))
    fn = create(lam, "sqs_batch")
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=fn, BatchSize=10,
                                              FunctionResponseTypes=["ReportBatchItemFailures"],
                                              FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": {"skip": [{"exists": False}]}})},
                                                                          {"Pattern": json.dumps({"body": ["ok", "poison"]})}]})
    assert mapping["State"] == "Enabled" and mapping["EventSourceArn"] == arn
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["FunctionArn"].endswith(":function:" + fn)
    assert [m["UUID"] for m in lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]] == [mapping["UUID"]]
    for body in ["ok", "ok", "poison", json.dumps({"skip": True})]:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    deadline = time.time() + 30
    while time.time() < deadline and (count(sqs, url) > 0 or count(sqs, dlq_url) == 0):
        time.sleep(0.2)
    assert count(sqs, url) == 0
    dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=2)["Messages"]
    assert [m["Body"] for m in dead] == ["poison"]
    lam.delete_event_source_mapping(UUID=mapping["UUID"])
    assert lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"] == []
