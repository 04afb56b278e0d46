"""Kinesis Data Streams through boto3 and the aws CLI: streams and shards, records placed by
their partition key's MD5 and read back in order, and a table streaming its changes into a
Kinesis stream (DynamoDB's Kinesis streaming destination), surviving kill -9."""
import base64
import hashlib
import json
import os
import signal
import subprocess
import tempfile

import pytest
from botocore.exceptions import ClientError

from conftest import Server


def shard_for(key, shards):
    h = int(hashlib.md5(key.encode()).hexdigest(), 16)
    return next(s["ShardId"] for s in shards
                if int(s["HashKeyRange"]["StartingHashKey"]) <= h <= int(s["HashKeyRange"]["EndingHashKey"]))


def read_all(kinesis, name, shard_id):
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    out = []
    while True:
        r = kinesis.get_records(ShardIterator=it, Limit=100)
        out += r["Records"]
        if not r["Records"]:
            return out
        it = r["NextShardIterator"]


def test_records_land_on_the_shard_their_key_hashes_to_in_order(server):
    kinesis = server.client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=4)
    kinesis.get_waiter("stream_exists").wait(StreamName="clicks", WaiterConfig={"Delay": 0.1})
    shards = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["Shards"]
    assert [s["ShardId"] for s in shards] == ["shardId-%012d" % i for i in range(4)]
    sent = {}
    for batch in range(3):
        entries = [{"PartitionKey": "user-%d" % (i % 9), "Data": ("click %d-%d" % (batch, i)).encode()} for i in range(50)]
        r = kinesis.put_records(StreamName="clicks", Records=entries)
        assert r["FailedRecordCount"] == 0
        for e, placed in zip(entries, r["Records"]):
            assert placed["ShardId"] == shard_for(e["PartitionKey"], shards)
            sent.setdefault(placed["ShardId"], []).append(e["Data"])
    for s in shards:
        assert [r["Data"] for r in read_all(kinesis, "clicks", s["ShardId"])] == sent.get(s["ShardId"], [])
    with pytest.raises(ClientError) as e:
        kinesis.create_stream(StreamName="clicks", ShardCount=1)
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"
    with pytest.raises(ClientError) as e:
        kinesis.describe_stream(StreamName="nope")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_the_cli_puts_and_gets_a_record(server):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    cli = ["aws", "--endpoint-url", server.endpoint, "kinesis"]
    subprocess.run(cli + ["create-stream", "--stream-name", "cli-stream", "--shard-count", "1"], check=True, env=env)
    subprocess.run(cli + ["put-record", "--stream-name", "cli-stream", "--partition-key", "k",
                          "--data", "hello"], check=True, env=env, capture_output=True)
    it = json.loads(subprocess.run(cli + ["get-shard-iterator", "--stream-name", "cli-stream", "--shard-id", "shardId-000000000000",
                                          "--shard-iterator-type", "TRIM_HORIZON"], check=True, env=env, capture_output=True).stdout)
    got = json.loads(subprocess.run(cli + ["get-records", "--shard-iterator", it["ShardIterator"]], check=True, env=env,
                                    capture_output=True).stdout)
    assert base64.b64decode(got["Records"][0]["Data"]) == b"hello"


def test_a_tables_changes_reach_its_kinesis_destination_across_kill_9():
    with tempfile.TemporaryDirectory() as d:
        s = Server(os.path.join(d, "data")).start()
        try:
            kinesis, ddb = s.client("kinesis"), s.client("dynamodb")
            kinesis.create_stream(StreamName="changes", ShardCount=2)
            arn = kinesis.describe_stream_summary(StreamName="changes")["StreamDescriptionSummary"]["StreamARN"]
            ddb.create_table(TableName="users", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
            assert ddb.enable_kinesis_streaming_destination(TableName="users", StreamArn=arn)["DestinationStatus"] == "ENABLING"
            acknowledged = []
            for i in range(40):
                ddb.put_item(TableName="users", Item={"id": {"S": "u%d" % (i % 10)}, "n": {"N": str(i)}})
                acknowledged.append(("u%d" % (i % 10), i))
            s.stop(signal.SIGKILL)
            s.start()
            kinesis = s.client("kinesis")
            shards = kinesis.describe_stream(StreamName="changes")["StreamDescription"]["Shards"]
            by_item = {}
            for sh in shards:
                for r in read_all(kinesis, "changes", sh["ShardId"]):
                    change = json.loads(r["Data"])
                    assert change["tableName"] == "users" and len(r["PartitionKey"]) == 32
                    key = change["dynamodb"]["Keys"]["id"]["S"]
                    by_item.setdefault(key, []).append(int(change["dynamodb"]["NewImage"]["n"]["N"]))
            # Every acknowledged write is there, each item's changes in the order they were made.
            for key in {k for k, _ in acknowledged}:
                assert by_item[key] == [n for k, n in acknowledged if k == key]
        finally:
            s.stop()
