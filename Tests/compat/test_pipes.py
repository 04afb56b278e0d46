"""EventBridge Pipes with a queue as the source: filtered records reach a state machine (one
execution per batch), the filtered-out ones are deleted; a pipe created stopped stays so;
Describe/List/Stop/Delete as the pipes client expects."""
import json
import time

from test_sns import queue


def test_a_pipe_feeds_a_state_machine_and_a_queue(server):
    pipes, sqs, sfn = server.client("pipes"), server.client("sqs"), server.client()
    src_url, src_arn = queue(sqs, "pipe-source")
    out_url, out_arn = queue(sqs, "pipe-sink")
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    sm = sfn.create_state_machine(name="pipe-target", definition=json.dumps(definition),
                                  roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
    filters = {"Filters": [{"Pattern": json.dumps({"body": {"kind": ["order"]}})}]}
    created = pipes.create_pipe(Name="orders", RoleArn="arn:aws:iam::000000000000:role/r", Source=src_arn, Target=sm,
                                SourceParameters={"FilterCriteria": filters, "SqsQueueParameters": {"BatchSize": 10}})
    assert created["Arn"].endswith(":pipe/orders") and created["DesiredState"] == "RUNNING"
    pipes.create_pipe(Name="copy", RoleArn="arn:aws:iam::000000000000:role/r", Source=out_arn, Target=src_arn,
                      DesiredState="STOPPED")
    sqs.send_message(QueueUrl=src_url, MessageBody=json.dumps({"kind": "order", "id": 1}))
    sqs.send_message(QueueUrl=src_url, MessageBody=json.dumps({"kind": "noise"}))
    deadline = time.time() + 20
    runs = []
    while time.time() < deadline and not runs:
        runs = sfn.list_executions(stateMachineArn=sm)["executions"]
        time.sleep(0.2)
    assert len(runs) == 1
    detail = sfn.describe_execution(executionArn=runs[0]["executionArn"])
    records = json.loads(detail["input"])
    assert [json.loads(r["body"])["kind"] for r in records] == ["order"] and records[0]["eventSource"] == "aws:sqs"
    # The filtered-out record is gone too: the source is empty.
    while time.time() < deadline:
        a = sqs.get_queue_attributes(QueueUrl=src_url, AttributeNames=["All"])["Attributes"]
        if a["ApproximateNumberOfMessages"] == "0" and a["ApproximateNumberOfMessagesNotVisible"] == "0":
            break
        time.sleep(0.2)
    assert a["ApproximateNumberOfMessages"] == "0" and a["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert pipes.describe_pipe(Name="copy")["CurrentState"] == "STOPPED"
    # The server is the whole suite's: other tests' pipes may be listed too.
    assert {"copy", "orders"} <= {p["Name"] for p in pipes.list_pipes()["Pipes"]}
    pipes.stop_pipe(Name="orders")
    assert pipes.describe_pipe(Name="orders")["DesiredState"] == "STOPPED"
    pipes.delete_pipe(Name="orders")
    pipes.delete_pipe(Name="copy")
    assert pipes.list_pipes()["Pipes"] == []


def test_a_pipe_transforms_each_event_with_its_input_template(server):
    pipes, sqs = server.client("pipes"), server.client("sqs")
    src_url, src_arn = queue(sqs, "template-source")
    out_url, out_arn = queue(sqs, "template-sink")
    pipes.create_pipe(Name="shaped", RoleArn="arn:aws:iam::000000000000:role/r", Source=src_arn, Target=out_arn,
                      TargetParameters={"InputTemplate": '{"order": <$.body.id>, "note": "order <$.body.id> via <aws.pipes.pipe-name>", '
                                                         '"missing": <$.body.nothing>}'})
    sqs.send_message(QueueUrl=src_url, MessageBody=json.dumps({"id": 7}))
    deadline = time.time() + 20
    got = []
    while time.time() < deadline and not got:
        got = sqs.receive_message(QueueUrl=out_url, WaitTimeSeconds=1).get("Messages", [])
    assert got, "nothing reached the target"
    assert json.loads(got[0]["Body"]) == {"order": 7, "note": "order 7 via shaped", "missing": ""}
    pipes.delete_pipe(Name="shaped")


def test_an_express_target_with_request_response_fails_the_batch_it_fails(server):
    pipes, sqs, sfn = server.client("pipes"), server.client("sqs"), server.client()
    dlq_url, dlq_arn = queue(sqs, "express-dead")
    src_url, src_arn = queue(sqs, "express-source", VisibilityTimeout="1",
                             RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}))
    definition = {"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$[0].body", "StringEquals": "bad", "Next": "No"}], "Default": "Yes"},
        "No": {"Type": "Fail", "Error": "Bad"}, "Yes": {"Type": "Succeed"}}}
    sm = sfn.create_state_machine(name="express-target", definition=json.dumps(definition), type="EXPRESS",
                                  roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
    pipes.create_pipe(Name="express", RoleArn="arn:aws:iam::000000000000:role/r", Source=src_arn, Target=sm,
                      SourceParameters={"SqsQueueParameters": {"BatchSize": 1}},
                      TargetParameters={"StepFunctionStateMachineParameters": {"InvocationType": "REQUEST_RESPONSE"}})
    sqs.send_message(QueueUrl=src_url, MessageBody="good")
    sqs.send_message(QueueUrl=src_url, MessageBody="bad")
    deadline = time.time() + 30
    dead = []
    while time.time() < deadline and not dead:
        dead = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages", [])
    assert [m["Body"] for m in dead] == ["bad"]
    a = sqs.get_queue_attributes(QueueUrl=src_url, AttributeNames=["All"])["Attributes"]
    assert a["ApproximateNumberOfMessages"] == "0" and a["ApproximateNumberOfMessagesNotVisible"] == "0"
    pipes.delete_pipe(Name="express")
