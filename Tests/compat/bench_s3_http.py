#!/usr/bin/env python3
"""S3 through HTTP, Baton beside moto in the same run (a benchmark, not a test).

Small objects: wrk drives PutObject of new 4 KB objects, GetObject of loaded ones, and a mix
(half each) against each server in turn with the same connections. Large objects: one 64 MB
object PUT and GET through one connection, beside the disk's own sequential write (dd with
fsync, as Baton fsyncs an object before answering) and read of a file of the same size, in
the same run.

    python3 Tests/compat/bench_s3_http.py [--seconds 8] [--connections 16] [--keys 2000] [--moto-seconds 5] [--large-mb 64]

Needs `swift build -c release`, wrk, and moto (`python3 -m moto.server`).
"""
import argparse
import http.client
import os
import re
import subprocess
import time

import boto3
from botocore.config import Config

from bench_sqs_http import HERE, rss_mb, server, side_by_side


def client(endpoint):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(s3={"addressing_style": "path"}))


def load(endpoint, keys):
    s3 = client(endpoint)
    s3.create_bucket(Bucket="bench")
    body = b"x" * 4096
    for i in range(keys):
        s3.put_object(Bucket="bench", Key="k%d" % i, Body=body)


def run(name, endpoint, port, pid, mode, seconds, connections, keys):
    env = dict(os.environ, MODE=mode, KEYS=str(keys), BUCKET="bench")
    if name == "baton":
        env["VHOST"] = "bench.s3.localhost:%d" % port
    else:
        env["FAKE_SCOPE"] = "1"
    out = subprocess.run(["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", "%ds" % seconds, "--timeout", "30s",
                          "-s", os.path.join(HERE, "bench_s3_http.lua"), endpoint], env=env, capture_output=True, text=True, check=True).stdout
    m = re.search(r"RESULT (.*)", out)
    f = dict(kv.split("=") for kv in m.group(1).split()) if m else {}
    rate = int(f.get("ok", 0)) / float(f.get("seconds", seconds))
    print("%-6s %-4s %8.0f requests/s  (%s ok, %s errors in %ss; p50 %s ms, p99 %s ms; server RSS %.0f MB)" % (
        name, mode, rate, f.get("ok"), f.get("errors"), f.get("seconds"), f.get("p50_ms"), f.get("p99_ms"), rss_mb(pid)))
    return rate


def large(port, megabytes, directory):
    """One object of `megabytes` MB up and down (Baton, virtual host), and dd on the same disk."""
    size = megabytes * 1024 * 1024
    chunk = b"y" * (1024 * 1024)
    host = "bench.s3.localhost:%d" % port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    start = time.monotonic()
    conn.putrequest("PUT", "/large.bin", skip_host=True)
    conn.putheader("Host", host)
    conn.putheader("Content-Length", str(size))
    conn.endheaders()
    for _ in range(megabytes):
        conn.send(chunk)
    r = conn.getresponse()
    r.read()
    put = time.monotonic() - start
    assert r.status == 200, r.status
    def get_once():
        start = time.monotonic()
        conn.request("GET", "/large.bin", headers={"Host": host})
        r = conn.getresponse()
        got = 0
        while True:
            b = r.read(1024 * 1024)
            if not b:
                break
            got += len(b)
        assert got == size, got
        return time.monotonic() - start

    get = get_once()
    # The disk's own read speed is of a file not in the page cache: both reads again cold,
    # when this process may drop the caches (root).
    cold = drop_caches()
    get_cold = get_once() if cold else None
    path = os.path.join(directory, "dd.bin")
    start = time.monotonic()
    subprocess.run(["dd", "if=/dev/zero", "of=" + path, "bs=1M", "count=%d" % megabytes, "conv=fsync"], check=True, capture_output=True)
    dd_write = time.monotonic() - start
    start = time.monotonic()
    subprocess.run(["dd", "if=" + path, "of=/dev/null", "bs=1M"], check=True, capture_output=True)
    dd_read = time.monotonic() - start
    dd_read_cold = None
    if cold and drop_caches():
        start = time.monotonic()
        subprocess.run(["dd", "if=" + path, "of=/dev/null", "bs=1M"], check=True, capture_output=True)
        dd_read_cold = time.monotonic() - start
    mb = float(megabytes)
    print("large %d MB: PUT %.0f MB/s (disk, dd with fsync: %.0f MB/s, ratio %.2f); GET %.0f MB/s (dd read of a file as fresh: %.0f MB/s, ratio %.2f)" % (
        megabytes, mb / put, mb / dd_write, (mb / dd_write) / (mb / put), mb / get, mb / dd_read, (mb / dd_read) / (mb / get)))
    if get_cold and dd_read_cold:
        print("large %d MB from disk (page cache dropped): GET %.0f MB/s (dd read: %.0f MB/s, ratio %.2f)" % (
            megabytes, mb / get_cold, mb / dd_read_cold, (mb / dd_read_cold) / (mb / get_cold)))


def drop_caches():
    """Empties the page cache (root only): True when it did."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=int, default=8)
    p.add_argument("--moto-seconds", type=int, default=5)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--keys", type=int, default=2000)
    p.add_argument("--moto-keys", type=int, default=500)
    p.add_argument("--large-mb", type=int, default=64)
    args = p.parse_args()

    def serve(name, seconds, keys, d):
        rates = {}
        with server(name, d) as (endpoint, port, pid):
            load(endpoint, keys)
            for mode in ["put", "get", "mix"]:
                rates[mode] = run(name, endpoint, port, pid, mode, seconds, args.connections, keys)
            if name == "baton" and args.large_mb:
                large(port, args.large_mb, d)
        return rates
    side_by_side(args, serve)


if __name__ == "__main__":
    main()
