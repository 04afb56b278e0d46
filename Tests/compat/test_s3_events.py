"""Object events through boto3: a presigned upload whose EventBridge event starts a workflow,
bucket notifications to a queue and to a topic with AWS's record shape and filters, AWS's
validation errors, and a notification that outlives a kill -9 of the server."""
import json
import os
import signal
import tempfile
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config

from conftest import Server

KW = dict(region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")


def clients(endpoint, *names, **config):
    return [boto3.client(n, endpoint_url=endpoint, config=Config(**config) if config else None, **KW) for n in names]


def wait_for(check, seconds=20):
    deadline = time.time() + seconds
    while True:
        value = check()
        if value or time.time() > deadline:
            return value
        time.sleep(0.1)


def drain(sqs, url, want, seconds=20):
    """S3 records received from a queue (the configuration's s3:TestEvent skipped) until `want` arrived."""
    records, tests = [], []

    def more():
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            body = json.loads(m["Body"])
            if "TopicArn" in body:  # through a topic
                body = json.loads(body["Message"])
            (tests if body.get("Event") == "s3:TestEvent" else records).extend([body] if "Records" not in body else body["Records"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return len(records) >= want
    wait_for(more, seconds)
    return records, tests


@pytest.mark.parametrize("signature", ["s3", "s3v4"])
def test_a_presigned_upload_starts_the_workflow_that_receives_its_key(server, signature):
    """The browser flow: a presigned PUT (boto3's default signature version 2, and SigV4),
    S3's "Object Created" event on the default bus, a rule, and the run it starts."""
    s3, events, sfn = clients(server.endpoint, "s3", "events", "stepfunctions", signature_version=signature)
    bucket = "compat-uploads-" + signature
    machine = sfn.create_state_machine(
        name="on-upload-" + signature, roleArn="arn:aws:iam::000000000000:role/r",
        definition=json.dumps({"StartAt": "Key", "States": {"Key": {"Type": "Pass", "InputPath": "$.detail.object", "End": True}}}),
    )["stateMachineArn"]
    events.put_rule(Name="uploads-" + signature, EventPattern=json.dumps(
        {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": [bucket]}}}))
    events.put_targets(Rule="uploads-" + signature, Targets=[{"Id": "run", "Arn": machine}])
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
    assert "EventBridgeConfiguration" in s3.get_bucket_notification_configuration(Bucket=bucket)
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "photos/cat 1.jpg"}, ExpiresIn=300)
    assert urllib.request.urlopen(urllib.request.Request(url, data=b"not really a jpeg", method="PUT")).status == 200

    runs = wait_for(lambda: sfn.list_executions(stateMachineArn=machine)["executions"])
    assert len(runs) == 1
    done = wait_for(lambda: (lambda d: d if d["status"] != "RUNNING" else None)(sfn.describe_execution(executionArn=runs[0]["executionArn"])))
    assert done["status"] == "SUCCEEDED"
    obj = json.loads(done["output"])
    assert obj["key"] == "photos/cat 1.jpg" and obj["size"] == len(b"not really a jpeg")
    event = json.loads(done["input"])
    assert event["source"] == "aws.s3" and event["resources"] == ["arn:aws:s3:::" + bucket]
    assert event["detail"]["reason"] == "PutObject" and event["detail"]["bucket"] == {"name": bucket}


def test_notifications_reach_a_queue_for_the_keys_and_events_configured(server):
    s3, sqs = clients(server.endpoint, "s3", "sqs")
    url = sqs.create_queue(QueueName="compat-s3-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.create_bucket(Bucket="compat-notified")
    s3.put_bucket_notification_configuration(Bucket="compat-notified", NotificationConfiguration={"QueueConfigurations": [
        {"Id": "created", "QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}, {"Name": "Suffix", "Value": ".csv"}]}}},
        {"Id": "removed", "QueueArn": arn, "Events": ["s3:ObjectRemoved:*", "s3:ObjectTagging:Put"]},
    ]})
    rules = s3.get_bucket_notification_configuration(Bucket="compat-notified")["QueueConfigurations"]
    assert [r["Id"] for r in rules] == ["created", "removed"]
    assert rules[0]["Filter"]["Key"]["FilterRules"] == [{"Name": "Prefix", "Value": "in/"}, {"Name": "Suffix", "Value": ".csv"}]

    s3.put_object(Bucket="compat-notified", Key="in/day 1.csv", Body=b"a,b\n1,2\n")
    s3.put_object(Bucket="compat-notified", Key="in/skip.txt", Body=b"no")
    s3.copy_object(Bucket="compat-notified", Key="in/copy.csv", CopySource={"Bucket": "compat-notified", "Key": "in/day 1.csv"})
    upload = s3.create_multipart_upload(Bucket="compat-notified", Key="in/big.csv")["UploadId"]
    part = s3.upload_part(Bucket="compat-notified", Key="in/big.csv", UploadId=upload, PartNumber=1, Body=b"x" * 10)
    s3.complete_multipart_upload(Bucket="compat-notified", Key="in/big.csv", UploadId=upload,
                                 MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]})
    s3.put_object_tagging(Bucket="compat-notified", Key="in/skip.txt", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.delete_object(Bucket="compat-notified", Key="in/skip.txt")
    s3.delete_object(Bucket="compat-notified", Key="never-there")

    records, tests = drain(sqs, url, 5)
    assert tests and tests[0]["Event"] == "s3:TestEvent" and tests[0]["Bucket"] == "compat-notified"
    seen = sorted((r["eventName"], r["s3"]["object"]["key"], r["s3"]["configurationId"]) for r in records)
    assert seen == [
        ("ObjectCreated:CompleteMultipartUpload", "in/big.csv", "created"),
        ("ObjectCreated:Copy", "in/copy.csv", "created"),
        ("ObjectCreated:Put", "in/day+1.csv", "created"),
        ("ObjectRemoved:Delete", "in/skip.txt", "removed"),
        ("ObjectTagging:Put", "in/skip.txt", "removed"),
    ], seen
    put = next(r for r in records if r["eventName"] == "ObjectCreated:Put")
    assert put["eventSource"] == "aws:s3" and put["eventVersion"] == "2.1" and put["awsRegion"] == "us-east-1"
    assert put["s3"]["object"]["size"] == 8 and put["s3"]["object"]["eTag"] and put["s3"]["bucket"]["arn"] == "arn:aws:s3:::compat-notified"
    deleted = next(r for r in records if r["eventName"] == "ObjectRemoved:Delete")
    assert "size" not in deleted["s3"]["object"] and deleted["s3"]["object"]["sequencer"]

    # An empty configuration ends them.
    s3.put_bucket_notification_configuration(Bucket="compat-notified", NotificationConfiguration={})
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket="compat-notified")


def test_a_topic_is_told_with_s3s_subject_and_bad_destinations_are_refused(server):
    s3, sns, sqs = clients(server.endpoint, "s3", "sns", "sqs")
    topic = sns.create_topic(Name="compat-s3-topic")["TopicArn"]
    url = sqs.create_queue(QueueName="compat-s3-topic-queue")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "false"})
    s3.create_bucket(Bucket="compat-topic")
    s3.put_bucket_notification_configuration(Bucket="compat-topic", NotificationConfiguration={"TopicConfigurations": [
        {"Id": "t", "TopicArn": topic, "Events": ["s3:ObjectCreated:Put"]}]})
    s3.put_object(Bucket="compat-topic", Key="report.pdf", Body=b"%PDF")
    records, _ = drain(sqs, url, 1)
    assert [r["eventName"] for r in records] == ["ObjectCreated:Put"]
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])
    assert not got

    def refused(configuration, skip=False):
        with pytest.raises(s3.exceptions.ClientError) as e:
            s3.put_bucket_notification_configuration(Bucket="compat-topic", NotificationConfiguration=configuration,
                                                     SkipDestinationValidation=skip)
        return e.value.response["Error"]

    missing = "arn:aws:sns:us-east-1:000000000000:no-such-topic"
    error = refused({"TopicConfigurations": [{"TopicArn": missing, "Events": ["s3:ObjectCreated:*"]}]})
    assert error["Code"] == "InvalidArgument" and error["Message"] == "Unable to validate the following destination configurations"
    assert error["ArgumentName1"] == missing and error["ArgumentValue1"] == "The destination topic does not exist"
    error = refused({"QueueConfigurations": [{"QueueArn": "not-an-arn", "Events": ["s3:ObjectCreated:*"]}]}, skip=True)
    assert (error["Code"], error["Message"], error["ArgumentName"]) == ("InvalidArgument", "The ARN could not be parsed", "Queue")
    # The refused configurations changed nothing.
    kept = s3.get_bucket_notification_configuration(Bucket="compat-topic")
    assert [c["TopicArn"] for c in kept["TopicConfigurations"]] == [topic]
    # Skipping validation keeps a destination that does not exist (yet).
    s3.put_bucket_notification_configuration(Bucket="compat-topic", SkipDestinationValidation=True, NotificationConfiguration={
        "TopicConfigurations": [{"Id": "later", "TopicArn": missing, "Events": ["s3:ObjectCreated:*"]}]})
    assert s3.get_bucket_notification_configuration(Bucket="compat-topic")["TopicConfigurations"][0]["TopicArn"] == missing


def test_a_queued_notification_outlives_kill_9_and_reaches_a_queue_created_later():
    """The notification is committed with the object; its destination does not exist yet,
    so it waits, through a kill -9, until the queue is created."""
    with tempfile.TemporaryDirectory() as d:
        s = Server(os.path.join(d, "data")).start()
        try:
            s3, = clients(s.endpoint, "s3")
            s3.create_bucket(Bucket="compat-durable")
            later = "arn:aws:sqs:us-east-1:000000000000:compat-created-later"
            s3.put_bucket_notification_configuration(Bucket="compat-durable", SkipDestinationValidation=True, NotificationConfiguration={
                "QueueConfigurations": [{"QueueArn": later, "Events": ["s3:ObjectCreated:*"]}]})
            s3.put_object(Bucket="compat-durable", Key="kept.txt", Body=b"kept")
            assert s.stop(signal.SIGKILL) == -signal.SIGKILL
            s.start()
            s3, sqs = clients(s.endpoint, "s3", "sqs")
            assert s3.get_object(Bucket="compat-durable", Key="kept.txt")["Body"].read() == b"kept"
            url = sqs.create_queue(QueueName="compat-created-later")["QueueUrl"]
            records, _ = drain(sqs, url, 1, seconds=90)
            assert [(r["eventName"], r["s3"]["object"]["key"]) for r in records] == [("ObjectCreated:Put", "kept.txt")]
        finally:
            s.stop()


def test_a_distributed_map_reads_its_items_from_a_bucket_and_writes_its_results_back(server):
    """ItemReader over a CSV object, ItemBatcher, and ResultWriter's manifest and results,
    through the server's own S3; and aws-sdk:s3 from a Task."""
    s3, sfn = clients(server.endpoint, "s3", "stepfunctions")
    s3.create_bucket(Bucket="compat-map")
    s3.put_object(Bucket="compat-map", Key="in/users.csv", Body=b"id,email\n1,ana@example.com\n2,bo@example.com\n3,cy@example.com\n")
    definition = {"StartAt": "Users", "States": {
        "Users": {"Type": "Map", "MaxConcurrency": 2,
                  "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "compat-map", "Key.$": "$.key"},
                                 "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}},
                  "ItemBatcher": {"MaxItemsPerBatch": 2},
                  "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Count",
                                    "States": {"Count": {"Type": "Pass", "Parameters": {"n.$": "States.ArrayLength($.Items)"}, "End": True}}},
                  "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "compat-map", "Prefix": "out"}},
                  "Next": "Manifest"},
        "Manifest": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                     "Parameters": {"Bucket.$": "$.ResultWriterDetails.Bucket", "Key.$": "$.ResultWriterDetails.Key"},
                     "ResultSelector": {"manifest.$": "States.StringToJson($.Body)"}, "End": True}}}
    machine = sfn.create_state_machine(name="compat-map-users", definition=json.dumps(definition),
                                       roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"key": "in/users.csv"}))["executionArn"]
    done = wait_for(lambda: (lambda d: d if d["status"] != "RUNNING" else None)(sfn.describe_execution(executionArn=run)))
    assert done["status"] == "SUCCEEDED", done
    manifest = json.loads(done["output"])["manifest"]
    assert manifest["DestinationBucket"] == "compat-map" and ":mapRun:" in manifest["MapRunArn"]
    key = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
    assert key.startswith("out/") and key.endswith("/SUCCEEDED_0.json")
    results = json.loads(s3.get_object(Bucket="compat-map", Key=key)["Body"].read())
    assert [json.loads(r["Output"]) for r in results] == [{"n": 2}, {"n": 1}]
    assert json.loads(results[0]["Input"])["Items"] == [{"id": "1", "email": "ana@example.com"}, {"id": "2", "email": "bo@example.com"}]
    types = [e["type"] for e in sfn.get_execution_history(executionArn=run)["events"]]
    assert types[:6] == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted", "MapRunSucceeded", "MapStateSucceeded"]


def test_a_distributed_map_reads_an_s3_inventory_report_through_its_manifest(server):
    """ItemReader with InputType MANIFEST: the manifest names gzipped CSV files in the report's
    destination bucket; every row, under the manifest's fileSchema, is an item."""
    import gzip
    s3, sfn = clients(server.endpoint, "s3", "stepfunctions")
    s3.create_bucket(Bucket="compat-inventory")
    rows = [f'"photos","img/{i}.jpg","{100 + i}"\n' for i in range(5)]
    s3.put_object(Bucket="compat-inventory", Key="report/data/a.csv.gz", Body=gzip.compress("".join(rows[:3]).encode()))
    s3.put_object(Bucket="compat-inventory", Key="report/data/b.csv.gz", Body=gzip.compress("".join(rows[3:]).encode()))
    manifest = {"sourceBucket": "photos", "destinationBucket": "arn:aws:s3:::compat-inventory", "version": "2016-11-30",
                "fileFormat": "CSV", "fileSchema": "Bucket, Key, Size",
                "files": [{"key": "report/data/a.csv.gz", "size": 1, "MD5checksum": "x"},
                          {"key": "report/data/b.csv.gz", "size": 1, "MD5checksum": "x"}]}
    s3.put_object(Bucket="compat-inventory", Key="report/manifest.json", Body=json.dumps(manifest).encode())
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": True,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "MANIFEST", "MaxItems": 4},
                       "Parameters": {"Bucket": "compat-inventory", "Key": "report/manifest.json"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Key",
                          "States": {"Key": {"Type": "Pass", "Parameters": {"key.$": "$.Key", "size.$": "$.Size"}, "End": True}}}}}}
    machine = sfn.create_state_machine(name="compat-map-inventory", definition=json.dumps(definition),
                                       roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    done = wait_for(lambda: (lambda d: d if d["status"] != "RUNNING" else None)(sfn.describe_execution(executionArn=run)))
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == [{"key": f"img/{i}.jpg", "size": str(100 + i)} for i in range(4)], "MaxItems across the files"
