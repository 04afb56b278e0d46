#!/usr/bin/env python3
"""A Distributed Map over many items, each a child execution (a benchmark, not a test): a
JSON Lines object of N items in a bucket, a Map Run reading it with MaxConcurrency C, a Pass
state per child; reports the time to the parent's end, children per second and the server's
peak resident memory (VmHWM), and checks DescribeMapRun's counts.

    python3 Tests/compat/bench_map_run.py [--items 100000] [--concurrency 1000]

Needs `swift build -c release`. Baton runs with the journal at synchronous FULL (its default).
"""
import argparse
import json
import os
import tempfile
import time

import boto3

from bench_sqs_http import BATON, rss_mb, server

ROLE = "arn:aws:iam::000000000000:role/r"


def peak_mb(pid):
    return rss_mb(pid, "VmHWM")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--items", type=int, default=100000)
    p.add_argument("--concurrency", type=int, default=1000)
    args = p.parse_args()
    if not os.path.exists(BATON):
        raise SystemExit("build first: swift build -c release --product baton")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as d, server("baton", d) as (endpoint, _, pid):
        kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        s3, sfn = boto3.client("s3", **kw), boto3.client("stepfunctions", **kw)
        s3.create_bucket(Bucket="items")
        s3.put_object(Bucket="items", Key="items.jsonl", Body="\n".join(json.dumps({"n": i}) for i in range(args.items)).encode())
        definition = {"StartAt": "M", "States": {"M": {
            "Type": "Map", "MaxConcurrency": args.concurrency, "ResultPath": None, "End": True,
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL"},
                           "Parameters": {"Bucket": "items", "Key": "items.jsonl"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}}
        arn = sfn.create_state_machine(name="many", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
        before = peak_mb(pid)
        t0 = time.monotonic()
        execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
        while True:
            status = sfn.describe_execution(executionArn=execution)["status"]
            if status != "RUNNING":
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - t0
        run = sfn.list_map_runs(executionArn=execution)["mapRuns"][0]["mapRunArn"]
        counts = sfn.describe_map_run(mapRunArn=run)["executionCounts"]
        print("%d items, MaxConcurrency %d: parent %s in %.1f s = %.0f child executions/s; children succeeded %d of %d; "
              "server peak RSS %.0f MB (%.0f MB before the run)" % (
                  args.items, args.concurrency, status, elapsed, counts["succeeded"] / elapsed, counts["succeeded"], counts["total"],
                  peak_mb(pid), before))


if __name__ == "__main__":
    main()
