#!/usr/bin/env python3
"""SQS through HTTP, Baton beside moto in the same run (a benchmark, not a test): wrk drives
send + receive + delete in batches of 10 (SQS's JSON protocol) against each server in turn;
messages/s counts messages deleted, i.e. that went the whole way.

    python3 Tests/compat/bench_sqs_http.py [--seconds 20] [--connections 32] [--body 100] [--moto-seconds 10]

Needs `swift build -c release`, wrk, and moto (`python3 -m moto.server`). Baton runs with the
journal at synchronous FULL (its default): every send is fsynced before it is answered.
"""
import argparse
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

import boto3

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BATON = os.environ.get("BATON_BIN") or os.path.join(ROOT, ".build", "release", "baton")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("port %d did not open" % port)


@contextlib.contextmanager
def server(name, data_dir):
    """Baton's release build (its data in `data_dir`) or moto's server, on a free port, for
    the length of the block: yields (endpoint, port, pid)."""
    port = free_port()
    if name == "baton":
        cmd = [BATON, "serve", "--port", str(port), "--data-dir", os.path.join(data_dir, "data"), "--log-level", "error"]
    else:
        cmd = [sys.executable, "-m", "moto.server", "-p", str(port)]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        yield "http://127.0.0.1:%d" % port, port, p.pid
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)


def side_by_side(args, serve):
    """`serve(name, seconds, keys, data_dir)` for Baton, then for moto, and their ratios per workload."""
    if not os.path.exists(BATON):
        sys.exit("build first: swift build -c release")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as d:
        ours = serve("baton", args.seconds, args.keys, d)
    theirs = serve("moto", args.moto_seconds, args.moto_keys, None)
    for mode in ours:
        if theirs.get(mode):
            print("baton/moto %-5s: %.0f×" % (mode, ours[mode] / theirs[mode]))


def rss_mb(pid, field="VmRSS"):
    """The process's resident memory now (VmRSS) or at its peak (VmHWM), in MB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def run(name, endpoint, pid, seconds, connections, body):
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    url = sqs.create_queue(QueueName="bench-%d" % int(time.time() * 1000))["QueueUrl"]
    env = dict(os.environ, QUEUE_URL=url, BODY_BYTES=str(body))
    if name == "moto":
        env["FAKE_SCOPE"] = "1"
    threads = min(2, connections)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", "%ds" % seconds, "--timeout", "30s",
                          "-s", os.path.join(HERE, "bench_sqs_http.lua"), endpoint],
                         env=env, capture_output=True, text=True, check=True).stdout
    m = re.search(r"RESULT (.*)", out)
    fields = dict(kv.split("=") for kv in m.group(1).split()) if m else {}
    deleted = int(fields.get("deleted", 0))
    rate = deleted / float(fields.get("seconds", seconds))
    print("%-6s %9.0f messages/s  (sent %s, received %s, deleted %s in %ss; %s requests, %s errors; "
          "request p50 %s ms, p99 %s ms; server RSS %.0f MB)" % (
              name, rate, fields.get("sent"), fields.get("received"), deleted, fields.get("seconds"), fields.get("requests"),
              fields.get("errors"), fields.get("p50_ms"), fields.get("p99_ms"), rss_mb(pid)))
    return rate


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=int, default=20)
    p.add_argument("--moto-seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--body", type=int, default=100)
    args = p.parse_args()
    if not os.path.exists(BATON):
        sys.exit("build first: swift build -c release")
    with tempfile.TemporaryDirectory() as d:
        port = free_port()
        baton = subprocess.Popen([BATON, "serve", "--port", str(port), "--data-dir", os.path.join(d, "data"), "--log-level", "error"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(port)
            ours = run("baton", "http://127.0.0.1:%d" % port, baton.pid, args.seconds, args.connections, args.body)
        finally:
            baton.send_signal(signal.SIGTERM)
            baton.wait(timeout=30)
    mport = free_port()
    moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-p", str(mport)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(mport)
        theirs = run("moto", "http://127.0.0.1:%d" % mport, moto.pid, args.moto_seconds, args.connections, args.body)
    finally:
        moto.send_signal(signal.SIGTERM)
        moto.wait(timeout=30)
    if theirs > 0:
        print("baton/moto: %.0f×" % (ours / theirs))


if __name__ == "__main__":
    main()
