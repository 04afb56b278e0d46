#!/usr/bin/env python3
"""DynamoDB through HTTP, Baton beside moto in the same run (a benchmark, not a test): wrk drives
PutItem of new 1 KB items, GetItem of loaded 1 KB items, Query of a 100-item partition, and a
mix of the three, against each server in turn, with the same connections.

    python3 Tests/compat/bench_dynamodb_http.py [--seconds 10] [--connections 16] [--keys 10000] [--moto-seconds 5]

Needs `swift build -c release`, wrk, and moto (`python3 -m moto.server`). Baton runs with the
journal at synchronous FULL (its default): every write is fsynced before it is answered.
"""
import argparse
import os
import re
import subprocess

import boto3

from bench_sqs_http import HERE, rss_mb, server, side_by_side


def load(endpoint, keys):
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    ddb.create_table(TableName="bench", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
                     BillingMode="PAY_PER_REQUEST")
    items = [{"pk": {"S": "k%d" % i}, "sk": {"N": "0"}, "pad": {"S": "x" * 1000}} for i in range(keys)]
    items += [{"pk": {"S": "q"}, "sk": {"N": str(i)}, "pad": {"S": "x" * 1000}} for i in range(100)]
    for i in range(0, len(items), 25):
        ddb.batch_write_item(RequestItems={"bench": [{"PutRequest": {"Item": it}} for it in items[i:i + 25]]})


def run(name, endpoint, pid, mode, seconds, connections, keys):
    env = dict(os.environ, MODE=mode, TABLE="bench", KEYS=str(keys))
    if name == "moto":
        env["FAKE_SCOPE"] = "1"
    out = subprocess.run(["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", "%ds" % seconds, "--timeout", "30s",
                          "-s", os.path.join(HERE, "bench_dynamodb_http.lua"), endpoint], env=env, capture_output=True, text=True, check=True).stdout
    m = re.search(r"RESULT (.*)", out)
    f = dict(kv.split("=") for kv in m.group(1).split()) if m else {}
    rate = int(f.get("ok", 0)) / float(f.get("seconds", seconds))
    print("%-6s %-5s %9.0f requests/s  (%s ok, %s found, %s errors in %ss; p50 %s ms, p99 %s ms; server RSS %.0f MB)" % (
        name, mode, rate, f.get("ok"), f.get("found"), f.get("errors"), f.get("seconds"), f.get("p50_ms"), f.get("p99_ms"), rss_mb(pid)))
    return rate


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--moto-seconds", type=int, default=5)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--keys", type=int, default=10000)
    p.add_argument("--moto-keys", type=int, default=1000)
    args = p.parse_args()

    def serve(name, seconds, keys, d):
        rates = {}
        with server(name, d) as (endpoint, _, pid):
            load(endpoint, keys)
            for mode in ["put", "get", "query", "mix"]:
                rates[mode] = run(name, endpoint, pid, mode, seconds, args.connections, keys)
        return rates
    side_by_side(args, serve)


if __name__ == "__main__":
    main()
