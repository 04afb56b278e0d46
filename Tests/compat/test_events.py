"""boto3's events client against Baton's bus: rules, targets, PutEvents delivered to state
machines (with InputPath and InputTransformer), and delivery that survives SIGKILL."""
import json
import signal
import time

import boto3
import pytest

from conftest import Server
from test_stepfunctions import ROLE, name

PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


@pytest.fixture
def events(server):
    return server.client("events")


def executions(sfn, arn, count, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = sfn.list_executions(stateMachineArn=arn)["executions"]
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError("expected %d executions of %s" % (count, arn))


def test_buses_rules_and_targets_round_trip(events):
    bus = name()
    arn = events.create_event_bus(Name=bus)["EventBusArn"]
    assert arn.endswith(":event-bus/" + bus)
    assert bus in [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    assert "default" in [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    with pytest.raises(events.exceptions.ResourceAlreadyExistsException):
        events.create_event_bus(Name=bus)
    rule = events.put_rule(Name="r1", EventBusName=bus, EventPattern=json.dumps({"source": ["shop"]}))["RuleArn"]
    assert rule.endswith(":rule/%s/r1" % bus)
    d = events.describe_rule(Name="r1", EventBusName=bus)
    assert d["State"] == "ENABLED" and d["EventBusName"] == bus and json.loads(d["EventPattern"]) == {"source": ["shop"]}
    events.disable_rule(Name="r1", EventBusName=bus)
    assert events.describe_rule(Name="r1", EventBusName=bus)["State"] == "DISABLED"
    target = {"Id": "t1", "Arn": "arn:aws:states:us-east-1:000000000000:stateMachine:nothing"}
    assert events.put_targets(Rule="r1", EventBusName=bus, Targets=[target])["FailedEntryCount"] == 0
    assert events.list_targets_by_rule(Rule="r1", EventBusName=bus)["Targets"] == [target]
    assert events.list_rule_names_by_target(TargetArn=target["Arn"], EventBusName=bus)["RuleNames"] == ["r1"]
    with pytest.raises(events.exceptions.LimitExceededException):
        events.put_targets(Rule="r1", EventBusName=bus, Targets=[{"Id": "x%d" % i, "Arn": target["Arn"]} for i in range(5)])
    with pytest.raises(events.exceptions.InvalidEventPatternException):
        events.put_rule(Name="bad", EventBusName=bus, EventPattern=json.dumps({"source": "shop"}))
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_rule(Name="nope", EventBusName=bus)
    events.remove_targets(Rule="r1", EventBusName=bus, Ids=["t1"])
    events.delete_rule(Name="r1", EventBusName=bus)
    events.delete_event_bus(Name=bus)
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_event_bus(Name=bus)


def test_put_events_reports_each_entry(events):
    r = events.put_events(Entries=[
        {"Source": "shop", "DetailType": "Order", "Detail": "{}"},
        {"DetailType": "Order", "Detail": "{}"},
        {"Source": "shop", "DetailType": "Order", "Detail": "not json"},
    ])
    assert r["FailedEntryCount"] == 2
    assert "EventId" in r["Entries"][0]
    assert r["Entries"][1]["ErrorCode"] == "InvalidArgument" and r["Entries"][2]["ErrorCode"] == "MalformedDetail"
    pattern = json.dumps({"detail": {"n": [{"numeric": [">", 1]}]}})
    ok = json.dumps({"id": "1", "source": "s", "detail-type": "d", "account": "1", "region": "us-east-1",
                     "time": "2022-07-13T13:48:01Z", "detail": {"n": 2}})
    assert events.test_event_pattern(EventPattern=pattern, Event=ok)["Result"] is True


def test_matched_events_start_state_machines_with_transformed_input(events, sfn):
    arn = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE)["stateMachineArn"]
    bus = name()
    events.create_event_bus(Name=bus)
    events.put_rule(Name="orders", EventBusName=bus, EventPattern=json.dumps({"source": ["shop"], "detail": {"total": [{"numeric": [">=", 100]}]}}))
    events.put_targets(Rule="orders", EventBusName=bus, Targets=[
        {"Id": "whole", "Arn": arn},
        {"Id": "path", "Arn": arn, "InputPath": "$.detail"},
        {"Id": "shaped", "Arn": arn, "InputTransformer": {"InputPathsMap": {"who": "$.detail.customer", "total": "$.detail.total"},
                                                          "InputTemplate": '{"message": "order of <total> by <who>", "total": <total>}'}},
    ])
    r = events.put_events(Entries=[
        {"Source": "shop", "DetailType": "Order", "EventBusName": bus, "Detail": json.dumps({"customer": "ada", "total": 120})},
        {"Source": "shop", "DetailType": "Order", "EventBusName": bus, "Detail": json.dumps({"customer": "bob", "total": 5})},
    ])
    assert r["FailedEntryCount"] == 0
    found = executions(sfn, arn, 3)
    time.sleep(0.3)
    assert len(sfn.list_executions(stateMachineArn=arn)["executions"]) == 3  # the small order matched nothing
    inputs = [json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"]) for e in found]
    whole = next(i for i in inputs if "detail-type" in i)
    assert whole["source"] == "shop" and whole["detail"] == {"customer": "ada", "total": 120} and whole["id"] == r["Entries"][0]["EventId"]
    assert {"customer": "ada", "total": 120} in inputs
    assert {"message": "order of 120 by ada", "total": 120} in inputs


def test_a_delivery_survives_sigkill_and_arrives_once(tmp_path):
    """The target does not exist yet, so the delivery waits in the durable queue for its retry;
    the server is killed, restarted, the state machine created: the event arrives, once."""
    s = Server(str(tmp_path / "data")).start()
    try:
        events = s.client("events")
        sm_name = name()
        sm_arn = "arn:aws:states:us-east-1:000000000000:stateMachine:" + sm_name
        events.put_rule(Name="late", EventPattern=json.dumps({"source": ["late"]}))
        events.put_targets(Rule="late", Targets=[{"Id": "sm", "Arn": sm_arn}])
        event_id = events.put_events(Entries=[{"Source": "late", "DetailType": "x", "Detail": "{}"}])["Entries"][0]["EventId"]
        s.stop(signal.SIGKILL)
        s.start()
        sfn = s.client()
        sfn.create_state_machine(name=sm_name, definition=PASS, roleArn=ROLE)
        found = executions(sfn, sm_arn, 1, timeout=30)
        time.sleep(1)
        found = sfn.list_executions(stateMachineArn=sm_arn)["executions"]
        assert len(found) == 1
        assert json.loads(sfn.describe_execution(executionArn=found[0]["executionArn"])["input"])["id"] == event_id
    finally:
        s.stop()


def test_a_workflow_publishes_an_event_that_starts_another(events, sfn):
    downstream = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE)["stateMachineArn"]
    source = "orders." + name()
    rule = name()
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "next", "Arn": downstream, "InputPath": "$.detail"}])
    publisher = sfn.create_state_machine(name=name(), roleArn=ROLE, definition=json.dumps({"StartAt": "Publish", "States": {"Publish": {
        "Type": "Task", "Resource": "arn:aws:states:::events:putEvents", "End": True,
        "Parameters": {"Entries": [{"Source": source, "DetailType": "OrderPlaced", "Detail": {"order.$": "$.order"}}]}}}}))["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=publisher, input=json.dumps({"order": 42}))["executionArn"]
    found = executions(sfn, downstream, 1)
    assert json.loads(sfn.describe_execution(executionArn=found[0]["executionArn"])["input"]) == {"order": 42}
    out = json.loads(sfn.describe_execution(executionArn=run)["output"])
    assert out["FailedEntryCount"] == 0 and len(out["Entries"]) == 1


def test_a_rule_reacts_to_a_failed_run(events, sfn):
    failing = sfn.create_state_machine(name=name(), roleArn=ROLE, definition=json.dumps(
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "on purpose"}}}))["stateMachineArn"]
    handler = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE)["stateMachineArn"]
    rule = name()
    events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": ["FAILED", "RUNNING"], "stateMachineArn": [failing]}}))
    events.put_targets(Rule=rule, Targets=[{"Id": "h", "Arn": handler, "InputPath": "$.detail"}])
    run = sfn.start_execution(stateMachineArn=failing, input=json.dumps({"k": 1}))["executionArn"]
    found = executions(sfn, handler, 2)
    details = sorted((json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"]) for e in found),
                     key=lambda d: d["status"] != "RUNNING")
    assert [d["status"] for d in details] == ["RUNNING", "FAILED"]
    failed = details[1]
    assert failed["executionArn"] == run and failed["error"] == "Boom" and failed["cause"] == "on purpose"
    assert failed["input"] == '{"k": 1}' and isinstance(failed["stopDate"], int) and details[0]["stopDate"] is None


def test_an_archive_replays_a_window_of_events(events, sfn):
    import datetime
    handler = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE)["stateMachineArn"]
    bus = name()
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    archive = name()
    archive_arn = events.create_archive(ArchiveName=archive, EventSourceArn=bus_arn,
                                        EventPattern=json.dumps({"source": ["kept"]}))["ArchiveArn"]
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    events.put_events(Entries=[{"Source": "kept", "DetailType": "x", "Detail": json.dumps({"n": i}), "EventBusName": bus} for i in range(3)]
                      + [{"Source": "dropped", "DetailType": "x", "Detail": "{}", "EventBusName": bus}])
    assert events.describe_archive(ArchiveName=archive)["EventCount"] == 3
    assert [a["ArchiveName"] for a in events.list_archives(EventSourceArn=bus_arn)["Archives"]] == [archive]
    # A rule added after the events: only a replay can bring them to it.
    rule = name()
    rule_arn = events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps({"source": ["kept"]}))["RuleArn"]
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "h", "Arn": handler}])
    after = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5)
    replay = name()
    started = events.start_replay(ReplayName=replay, EventSourceArn=archive_arn, EventStartTime=before, EventEndTime=after,
                                  Destination={"Arn": bus_arn, "FilterArns": [rule_arn]})
    assert started["State"] == "STARTING"
    found = executions(sfn, handler, 3)
    inputs = [json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"]) for e in found]
    assert sorted(i["detail"]["n"] for i in inputs) == [0, 1, 2] and all(i["replay-name"] == replay for i in inputs)
    deadline = time.time() + 10
    while events.describe_replay(ReplayName=replay)["State"] != "COMPLETED" and time.time() < deadline:
        time.sleep(0.05)
    assert events.describe_replay(ReplayName=replay)["State"] == "COMPLETED"
    with pytest.raises(events.exceptions.ResourceAlreadyExistsException):
        events.start_replay(ReplayName=replay, EventSourceArn=archive_arn, EventStartTime=before, EventEndTime=after,
                            Destination={"Arn": bus_arn})
    events.delete_archive(ArchiveName=archive)
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_archive(ArchiveName=archive)


def test_a_one_time_schedule_starts_a_workflow_and_deletes_itself(server, sfn):
    import datetime
    scheduler = server.client("scheduler")
    handler = sfn.create_state_machine(name=name(), definition=PASS, roleArn=ROLE)["stateMachineArn"]
    group = name()
    scheduler.create_schedule_group(Name=group)
    when = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S")
    s = name()
    arn = scheduler.create_schedule(Name=s, GroupName=group, ScheduleExpression="at(%s)" % when, FlexibleTimeWindow={"Mode": "OFF"},
                                    ActionAfterCompletion="DELETE",
                                    Target={"Arn": handler, "RoleArn": ROLE, "Input": json.dumps({"reminder": "due"})})["ScheduleArn"]
    assert arn.endswith(":schedule/%s/%s" % (group, s))
    got = scheduler.get_schedule(Name=s, GroupName=group)
    assert got["ScheduleExpression"] == "at(%s)" % when and got["State"] == "ENABLED"
    assert [x["Name"] for x in scheduler.list_schedules(GroupName=group)["Schedules"]] == [s]
    with pytest.raises(scheduler.exceptions.ConflictException):
        scheduler.create_schedule(Name=s, GroupName=group, ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
                                  Target={"Arn": handler, "RoleArn": ROLE})
    with pytest.raises(scheduler.exceptions.ValidationException):
        scheduler.create_schedule(Name=name(), ScheduleExpression="at(tomorrow)", FlexibleTimeWindow={"Mode": "OFF"},
                                  Target={"Arn": handler, "RoleArn": ROLE})
    found = executions(sfn, handler, 1, timeout=30)
    assert json.loads(sfn.describe_execution(executionArn=found[0]["executionArn"])["input"]) == {"reminder": "due"}
    deadline = time.time() + 10
    while time.time() < deadline and scheduler.list_schedules(GroupName=group)["Schedules"]:
        time.sleep(0.05)
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.get_schedule(Name=s, GroupName=group)


def test_a_schedule_with_a_universal_target_calls_an_action_of_another_service(server):
    import datetime
    scheduler, ssm = server.client("scheduler"), server.client("ssm")
    parameter = "/reminders/" + name()
    when = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S")
    scheduler.create_schedule(Name=name(), ScheduleExpression="at(%s)" % when, FlexibleTimeWindow={"Mode": "OFF"},
                              Target={"Arn": "arn:aws:scheduler:::aws-sdk:ssm:putParameter", "RoleArn": ROLE,
                                      "Input": json.dumps({"Name": parameter, "Value": "due", "Type": "String"})})
    deadline = time.time() + 30
    value = None
    while time.time() < deadline and value is None:
        try:
            value = ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            time.sleep(0.1)
    assert value == "due"


def test_schedule_groups_are_tagged(server):
    scheduler = server.client("scheduler")
    group = name()
    arn = scheduler.create_schedule_group(Name=group, Tags=[{"Key": "team", "Value": "shop"}])["ScheduleGroupArn"]
    scheduler.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "tier", "Value": "1"}])
    scheduler.untag_resource(ResourceArn=arn, TagKeys=["tier", "team"])
    assert scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert "Tags" not in scheduler.get_schedule_group(Name=group)
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.list_tags_for_resource(ResourceArn=arn.replace(group, group + "-missing"))
    scheduler.delete_schedule_group(Name=group)
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.list_tags_for_resource(ResourceArn=arn)


def test_buses_are_per_region(server):
    east = server.client("events")
    west = boto3.client("events", endpoint_url=server.endpoint, region_name="us-west-1", aws_access_key_id="test",
                        aws_secret_access_key="test")
    arn = west.create_event_bus(Name="regional")["EventBusArn"]
    assert arn == "arn:aws:events:us-west-1:000000000000:event-bus/regional"
    assert [b["Name"] for b in west.list_event_buses(NamePrefix="regional")["EventBuses"]] == ["regional"]
    assert east.list_event_buses(NamePrefix="regional")["EventBuses"] == []
    # The same name in the other region is another bus.
    assert east.create_event_bus(Name="regional")["EventBusArn"] == "arn:aws:events:us-east-1:000000000000:event-bus/regional"
    assert west.describe_event_bus(Name="default")["Arn"] == "arn:aws:events:us-west-1:000000000000:event-bus/default"
    rule = west.put_rule(Name="r", EventBusName="regional", EventPattern=json.dumps({"source": ["x"]}))["RuleArn"]
    assert rule == "arn:aws:events:us-west-1:000000000000:rule/regional/r"
    west.delete_rule(Name="r", EventBusName="regional")
    west.delete_event_bus(Name="regional")
    assert [b["Name"] for b in east.list_event_buses(NamePrefix="regional")["EventBuses"]] == ["regional"]
    east.delete_event_bus(Name="regional")


def test_an_event_forwarded_to_another_regions_bus_reaches_its_stream_and_queue(server):
    """A bus target in another region: the event arrives there with an id of its own and its
    original region (as AWS's recorded cross-region deliveries show), and the rules of that bus
    deliver it to a Kinesis stream (partitioned by `PartitionKeyPath`) and to a queue."""
    east = server.client("events")
    west = boto3.client("events", endpoint_url=server.endpoint, region_name="us-west-2", aws_access_key_id="test",
                        aws_secret_access_key="test")
    kinesis = boto3.client("kinesis", endpoint_url=server.endpoint, region_name="us-west-2", aws_access_key_id="test",
                           aws_secret_access_key="test")
    sqs = server.client("sqs")
    west_bus = west.create_event_bus(Name="forwarded")["EventBusArn"]
    east.put_rule(Name="forward", EventPattern=json.dumps({"source": ["shop"]}))
    east.put_targets(Rule="forward", Targets=[{"Id": "west", "Arn": west_bus,
                                               "RoleArn": "arn:aws:iam::000000000000:role/r"}])
    kinesis.create_stream(StreamName="orders-stream", ShardCount=1)
    stream = kinesis.describe_stream(StreamName="orders-stream")["StreamDescription"]["StreamARN"]
    queue = sqs.create_queue(QueueName="forwarded-orders")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    west.put_rule(Name="keep", EventBusName="forwarded", EventPattern=json.dumps({"source": ["shop"]}))
    west.put_targets(Rule="keep", EventBusName="forwarded", Targets=[
        {"Id": "stream", "Arn": stream, "KinesisParameters": {"PartitionKeyPath": "$.detail-type"}},
        {"Id": "queue", "Arn": queue_arn}])
    sent = east.put_events(Entries=[{"Source": "shop", "DetailType": "OrderPlaced", "Detail": json.dumps({"n": 1})}])
    original = sent["Entries"][0]["EventId"]

    messages = []
    deadline = time.time() + 20
    while not messages and time.time() < deadline:
        messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
    assert len(messages) == 1
    event = json.loads(messages[0]["Body"])
    assert event["source"] == "shop" and event["detail"] == {"n": 1}
    assert event["region"] == "us-east-1", "the event keeps the region it was put in"
    assert event["id"] != original, "the other region's bus gives the event an id of its own"

    shard = kinesis.describe_stream(StreamName="orders-stream")["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName="orders-stream", ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert len(records) == 1
    assert records[0]["PartitionKey"] == "OrderPlaced"
    assert json.loads(records[0]["Data"]) == event


def test_a_rule_with_a_pattern_and_an_empty_schedule_is_a_pattern_rule(server):
    """LocalStack's and others' helpers send ScheduleExpression="" beside a pattern; AWS takes it as absent."""
    events = server.client("events")
    events.put_rule(Name="compat-empty-schedule", EventPattern=json.dumps({"source": ["aws.s3"]}), ScheduleExpression="")
    described = events.describe_rule(Name="compat-empty-schedule")
    assert json.loads(described["EventPattern"]) == {"source": ["aws.s3"]} and "ScheduleExpression" not in described
    with pytest.raises(events.exceptions.ClientError):
        events.put_rule(Name="compat-nothing", EventPattern="", ScheduleExpression="")
