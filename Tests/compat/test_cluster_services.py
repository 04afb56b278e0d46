"""Nodes sharing one PostgreSQL database serve one set of parameters, secrets, rules and
schedules: what is written through one node is served by every node, an event put through
any node reaches the rules put through another, and a schedule fires once, on one node."""
import datetime
import json
import threading
import time

import pytest

from conftest import POSTGRES, Server, postgres_url
from test_cluster import wait_until

pytestmark = pytest.mark.skipif(POSTGRES is None, reason="BATON_TEST_POSTGRES is not set: the cluster tests did not run")

ROLE = "arn:aws:iam::000000000000:role/r"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


@pytest.fixture
def nodes(tmp_path):
    """Three nodes on one database with one secrets key, stopped after the test."""
    started = nodes_sharing_a_key(tmp_path)
    yield started
    for n in started:
        n.stop()


def nodes_sharing_a_key(tmp_path, n=3):
    url = postgres_url()
    key = str(tmp_path / "secrets.key")
    nodes = []
    for i in range(n):
        s = Server(str(tmp_path / ("n%d" % i)), database=url,
                   args=["--node-id", "n%d" % i, "--lease-seconds", "3", "--secrets-key-file", key])
        s.log = open(str(tmp_path / ("n%d.log" % i)), "w")
        nodes.append(s.start())
    return nodes


def eventually(what, fetch, timeout=10):
    """fetch() until it returns something truthy without raising (another node's change arrives by notice)."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            value = fetch()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - not there yet
            last = e
        time.sleep(0.1)
    raise AssertionError("%s (last: %s)" % (what, last))


def test_parameters_secrets_rules_and_schedules_are_one_set_across_nodes(nodes):
    ssm = [n.client("ssm") for n in nodes]
    ssm[0].put_parameter(Name="/shop/url", Value="https://one", Type="String")
    assert eventually("node 2 never served the parameter",
                      lambda: ssm[2].get_parameter(Name="/shop/url")["Parameter"]["Value"]) == "https://one"
    ssm[1].put_parameter(Name="/shop/url", Value="https://two", Type="String", Overwrite=True)
    eventually("node 0 never served version 2",
               lambda: ssm[0].get_parameter(Name="/shop/url")["Parameter"]["Version"] == 2)
    ssm[2].put_parameter(Name="/shop/token", Value="s3cret", Type="SecureString")
    assert eventually("a SecureString sealed on node 2 did not open on node 0", lambda: ssm[0].get_parameter(
        Name="/shop/token", WithDecryption=True)["Parameter"]["Value"]) == "s3cret"

    sm = [n.client("secretsmanager") for n in nodes]
    sm[1].create_secret(Name="db", SecretString="hunter2")
    assert eventually("the secret never reached node 2", lambda: sm[2].get_secret_value(SecretId="db")["SecretString"]) == "hunter2"

    # A rule put through node 0; events put through node 2 start its state machine.
    sfn = nodes[0].client()
    target = sfn.create_state_machine(name="on-order", definition=PASS, roleArn=ROLE)["stateMachineArn"]
    events = [n.client("events") for n in nodes]
    events[0].put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))
    events[0].put_targets(Rule="orders", Targets=[{"Id": "sm", "Arn": target, "RoleArn": ROLE}])
    eventually("node 2 never listed the rule's target",
               lambda: events[2].list_targets_by_rule(Rule="orders")["Targets"])
    for i in range(3):
        events[2].put_events(Entries=[{"Source": "shop", "DetailType": "order", "Detail": json.dumps({"n": i})}])
    eventually("the events did not start three runs",
               lambda: len(sfn.list_executions(stateMachineArn=target)["executions"]) == 3, timeout=30)

    # A one-time schedule created through node 1 fires once, on one of the three nodes.
    scheduled = sfn.create_state_machine(name="scheduled", definition=PASS, roleArn=ROLE)["stateMachineArn"]
    at = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%S")
    nodes[1].client("scheduler").create_schedule(
        Name="once", ScheduleExpression="at(%s)" % at, FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": scheduled, "RoleArn": ROLE, "Input": "{}"})
    eventually("the schedule never fired", lambda: sfn.list_executions(stateMachineArn=scheduled)["executions"], timeout=30)
    time.sleep(3)  # a second firing on another node would have started by now
    assert len(sfn.list_executions(stateMachineArn=scheduled)["executions"]) == 1


def test_queues_and_topics_are_one_set_across_nodes(nodes):
    sqs = [n.client("sqs") for n in nodes]
    queue_url = sqs[0].create_queue(QueueName="work")["QueueUrl"]
    eventually("node 2 never knew the queue", lambda: sqs[2].get_queue_url(QueueName="work")["QueueUrl"])
    url_on = lambda i: sqs[i].get_queue_url(QueueName="work")["QueueUrl"]  # noqa: E731

    # A long poll on node 2 returns with a message sent through node 1 (woken by the notice).
    got = {}

    def poll():
        got["r"] = sqs[2].receive_message(QueueUrl=url_on(2), WaitTimeSeconds=15, MaxNumberOfMessages=1)

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(1)
    sent_at = time.time()
    sqs[1].send_message(QueueUrl=url_on(1), MessageBody="hello")
    poller.join(20)
    assert [m["Body"] for m in got["r"].get("Messages", [])] == ["hello"]
    print("a long poll on another node answered %.0f ms after the send" % ((time.time() - sent_at) * 1000))
    sqs[0].delete_message(QueueUrl=queue_url, ReceiptHandle=got["r"]["Messages"][0]["ReceiptHandle"])

    # Thirty messages through node 0, received by consumers on all three: each once.
    for i in range(30):
        sqs[0].send_message(QueueUrl=queue_url, MessageBody="m%d" % i)
    bodies = []
    idle = 0
    while idle < 3:
        idle += 1
        for i in range(3):
            for m in sqs[i].receive_message(QueueUrl=url_on(i), MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages", []):
                bodies.append(m["Body"])
                sqs[(i + 1) % 3].delete_message(QueueUrl=url_on((i + 1) % 3), ReceiptHandle=m["ReceiptHandle"])
                idle = 0
    assert sorted(bodies) == sorted("m%d" % i for i in range(30))

    # A topic made through node 1 with the queue subscribed; published through node 2; received through node 0.
    sns = [n.client("sns") for n in nodes]
    topic = sns[1].create_topic(Name="news")["TopicArn"]
    arn = sqs[1].get_queue_attributes(QueueUrl=url_on(1), AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns[1].subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    eventually("node 2 never listed the subscription", lambda: sns[2].list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"])
    sns[2].publish(TopicArn=topic, Message="extra")
    received = eventually("the publication never reached the queue", lambda: sqs[0].receive_message(
        QueueUrl=queue_url, WaitTimeSeconds=5).get("Messages"))
    assert [m["Body"] for m in received] == ["extra"]


def test_tables_and_streams_are_one_set_across_nodes(nodes):
    ddb = [n.client("dynamodb") for n in nodes]
    ddb[0].create_table(TableName="users", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    eventually("node 2 never knew the table", lambda: ddb[2].describe_table(TableName="users")["Table"])
    ddb[1].put_item(TableName="users", Item={"id": {"S": "u1"}, "n": {"N": "0"}})
    assert ddb[2].get_item(TableName="users", Key={"id": {"S": "u1"}})["Item"]["n"] == {"N": "0"}

    # Sixty increments through three nodes at once: each is applied once (the item is locked
    # from its read to the commit), and a condition seen on one node holds on the others.
    import concurrent.futures

    def bump(i):
        ddb[i % 3].update_item(TableName="users", Key={"id": {"S": "u1"}}, UpdateExpression="ADD n :one",
                               ExpressionAttributeValues={":one": {"N": "1"}})

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        list(pool.map(bump, range(60)))
    assert ddb[0].get_item(TableName="users", Key={"id": {"S": "u1"}})["Item"]["n"] == {"N": "60"}
    with pytest.raises(ddb[2].exceptions.ConditionalCheckFailedException):
        ddb[2].put_item(TableName="users", Item={"id": {"S": "u1"}}, ConditionExpression="attribute_not_exists(id)")
    scanned = ddb[1].scan(TableName="users")
    assert scanned["Count"] == 1

    # The table's stream, read through another node: the insert and sixty changes.
    streams = nodes[2].client("dynamodbstreams")
    arn = ddb[0].describe_table(TableName="users")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=it, Limit=1000)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT"] + ["MODIFY"] * 60

    # A Kinesis stream made through node 0, written through node 1, read through node 2.
    kin = [n.client("kinesis") for n in nodes]
    kin[0].create_stream(StreamName="clicks", ShardCount=1)
    eventually("node 1 never knew the stream", lambda: kin[1].describe_stream_summary(StreamName="clicks"))
    for i in range(5):
        kin[1].put_record(StreamName="clicks", PartitionKey="k", Data=b"c%d" % i)
    it = kin[2].get_shard_iterator(StreamName="clicks", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [r["Data"] for r in kin[2].get_records(ShardIterator=it)["Records"]] == [b"c%d" % i for i in range(5)]


def test_pipes_run_once_across_nodes(nodes):
    sqs = [n.client("sqs") for n in nodes]
    ddb = [n.client("dynamodb") for n in nodes]
    role = "arn:aws:iam::000000000000:role/r"
    urls = {name: sqs[0].create_queue(QueueName=name)["QueueUrl"] for name in ["inbox", "copied", "changes"]}
    arns = {name: sqs[0].get_queue_attributes(QueueUrl=u, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            for name, u in urls.items()}
    table = ddb[0].create_table(TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
                                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    stream = table["TableDescription"]["LatestStreamArn"]
    pipes = nodes[1].client("pipes")
    # A queue's pipe polls on every node; a stream's on its partition's owner only.
    pipes.create_pipe(Name="copy", RoleArn=role, Source=arns["inbox"], Target=arns["copied"])
    pipes.create_pipe(Name="changes", RoleArn=role, Source=stream, Target=arns["changes"],
                      SourceParameters={"DynamoDBStreamParameters": {"StartingPosition": "TRIM_HORIZON", "BatchSize": 1}})
    eventually("node 2 never listed the pipes", lambda: len(nodes[2].client("pipes").list_pipes()["Pipes"]) == 2)
    for i in range(20):
        sqs[i % 3].send_message(QueueUrl=urls["inbox"], MessageBody="m%d" % i)
        ddb[i % 3].put_item(TableName="orders", Item={"id": {"S": "o%d" % i}})

    def drain(name, count):
        bodies = []
        deadline = time.time() + 30
        while len(bodies) < count and time.time() < deadline:
            for m in sqs[2].receive_message(QueueUrl=urls[name], MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
                bodies.append(m["Body"])
                sqs[2].delete_message(QueueUrl=urls[name], ReceiptHandle=m["ReceiptHandle"])
        # A second's more: anything delivered twice would be here by now.
        time.sleep(1)
        bodies += [m["Body"] for m in sqs[2].receive_message(QueueUrl=urls[name], MaxNumberOfMessages=10).get("Messages", [])]
        return bodies

    copied = drain("copied", 20)
    assert sorted(json.loads(b)["body"] for b in copied) == sorted("m%d" % i for i in range(20))
    changes = drain("changes", 20)
    ids = [json.loads(b)["dynamodb"]["NewImage"]["id"]["S"] for b in changes]
    assert sorted(ids) == sorted("o%d" % i for i in range(20)), ids


def test_a_node_with_another_secrets_key_refuses_secrets_and_serves_the_rest(tmp_path):
    url = postgres_url()
    first = Server(str(tmp_path / "a"), database=url, args=["--node-id", "a"]).start()
    # Its own data directory makes the second node another key.
    second = Server(str(tmp_path / "b"), database=url, args=["--node-id", "b"])
    second.log = open(str(tmp_path / "b.log"), "w")
    second.start()
    try:
        first.client("ssm").put_parameter(Name="/k", Value="v", Type="SecureString")
        first.client("ssm").put_parameter(Name="/plain", Value="p", Type="String")
        ssm = second.client("ssm")
        assert eventually("node b never served the plain parameter", lambda: ssm.get_parameter(Name="/plain")["Parameter"]["Value"]) == "p"
        for attempt in [lambda: ssm.get_parameter(Name="/k", WithDecryption=True),
                        lambda: ssm.put_parameter(Name="/k2", Value="x", Type="SecureString")]:
            with pytest.raises(Exception) as refused:
                attempt()
            assert "--secrets-key-file" in str(refused.value), refused.value
        with pytest.raises(Exception):
            ssm.get_parameter(Name="/k2")  # nothing was stored
        second.log.flush()
        assert "secrets cannot be sealed or opened on this node" in open(str(tmp_path / "b.log")).read()
    finally:
        first.stop()
        second.stop()


def test_buckets_and_objects_are_one_set_across_nodes(nodes):
    """An object put through one node is read through the others (bytes in the database, not
    in a node's data directory); a multipart upload's parts go through different nodes; a
    conditional create through two nodes at once creates once; a notification is sent once."""
    s3 = [n.client("s3") for n in nodes]
    sqs = nodes[0].client("sqs")
    s3[0].create_bucket(Bucket="shared")
    # A node keeps a bucket's configurations in memory: a change through another node reaches it.
    with pytest.raises(s3[1].exceptions.ClientError):
        s3[1].get_bucket_cors(Bucket="shared")
    rules = [{"AllowedMethods": ["GET"], "AllowedOrigins": ["https://example.com"]}]
    s3[0].put_bucket_cors(Bucket="shared", CORSConfiguration={"CORSRules": rules})
    assert eventually("node 1 never saw the CORS rules", lambda: s3[1].get_bucket_cors(Bucket="shared")["CORSRules"]) == rules
    big = bytes((i * 7 + (i >> 12)) & 0xFF for i in range(3 * 1024 * 1024 + 5))
    s3[1].put_object(Bucket="shared", Key="big.bin", Body=big, ContentType="application/x-test")
    got = s3[2].get_object(Bucket="shared", Key="big.bin")
    assert got["Body"].read() == big and got["ContentType"] == "application/x-test"
    ranged = s3[0].get_object(Bucket="shared", Key="big.bin", Range="bytes=1048570-2097160")["Body"].read()
    assert ranged == big[1048570:2097161]

    # A multipart upload begun on node 0, its parts through nodes 1 and 2, completed on node 0.
    upload = s3[0].create_multipart_upload(Bucket="shared", Key="joined")["UploadId"]
    first, second = b"a" * (5 * 1024 * 1024), b"tail"
    e1 = s3[1].upload_part(Bucket="shared", Key="joined", UploadId=upload, PartNumber=1, Body=first)["ETag"]
    e2 = s3[2].upload_part(Bucket="shared", Key="joined", UploadId=upload, PartNumber=2, Body=second)["ETag"]
    assert [p["PartNumber"] for p in s3[0].list_parts(Bucket="shared", Key="joined", UploadId=upload)["Parts"]] == [1, 2]
    s3[0].complete_multipart_upload(Bucket="shared", Key="joined", UploadId=upload,
                                    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert s3[1].get_object(Bucket="shared", Key="joined")["Body"].read() == first + second

    # If-None-Match: * through three nodes at once: one create wins.
    results = []

    def create(i):
        try:
            s3[i].put_object(Bucket="shared", Key="once", Body=b"%d" % i, IfNoneMatch="*")
            results.append(i)
        except s3[i].exceptions.ClientError as e:
            results.append(e.response["Error"]["Code"])

    threads = [threading.Thread(target=create, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1 and sorted(r for r in results if not isinstance(r, int)) == ["PreconditionFailed"] * 2
    assert s3[2].get_object(Bucket="shared", Key="once")["Body"].read() == b"%d" % winners[0]

    # A notification configured through node 2, an object put through node 1: one message.
    url = sqs.create_queue(QueueName="uploads")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3[2].put_bucket_notification_configuration(Bucket="shared", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    s3[1].put_object(Bucket="shared", Key="note.txt", Body=b"n")
    bodies = []
    deadline = time.time() + 10
    while time.time() < deadline and not any("Records" in b for b in bodies):
        for m in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages", []):
            bodies.append(json.loads(m["Body"]))
    # The configuration's s3:TestEvent, then the object's record, once.
    assert [b.get("Event") for b in bodies if "Records" not in b] == ["s3:TestEvent"]
    assert [r["s3"]["object"]["key"] for b in bodies if "Records" in b for r in b["Records"]] == ["note.txt"]

    listed = [o["Key"] for o in s3[0].list_objects_v2(Bucket="shared")["Contents"]]
    assert listed == ["big.bin", "joined", "note.txt", "once"]
    s3[2].delete_objects(Bucket="shared", Delete={"Objects": [{"Key": k} for k in listed]})
    s3[1].delete_bucket(Bucket="shared")
    assert "shared" not in [b["Name"] for b in s3[0].list_buckets()["Buckets"]]

    def gone():
        try:
            s3[2].head_bucket(Bucket="shared")
            return False
        except s3[2].exceptions.ClientError as e:
            return e.response["Error"]["Code"] == "404"
    eventually("node 2 still knew the deleted bucket", gone)
