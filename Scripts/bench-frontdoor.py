#!/usr/bin/env python3
"""The front door's cost, for one binary: GetItem and PutItem over HTTP (wrk, 16 connections,
1 KB items, Tests/compat/bench_dynamodb_http.py's phases) and `GET /health` with the server's
CPU per request read from /proc. Run two binaries alternately to compare them:

    python3 Scripts/bench-frontdoor.py BINARY [seconds]
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Tests", "compat"))
import bench_sqs_http  # noqa: E402
import bench_dynamodb_http as dynamodb  # noqa: E402


def cpu_per_request(pid, url, seconds):
    """wrk -t2 -c16 against url: requests/s and the server's CPU µs per request."""
    def ticks():
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    hz = os.sysconf("SC_CLK_TCK")
    before = ticks()
    out = subprocess.run(["wrk", "-t2", "-c16", "-d%ds" % seconds, url], capture_output=True, text=True, check=True).stdout
    after = ticks()
    requests = int(next(l for l in out.splitlines() if "requests in" in l).split()[0])
    rate = float(next(l for l in out.splitlines() if l.startswith("Requests/sec")).split()[1])
    return rate, (after - before) / hz * 1e6 / requests


def main():
    binary = os.path.abspath(sys.argv[1])
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    bench_sqs_http.BATON = binary
    with tempfile.TemporaryDirectory() as d:
        with bench_sqs_http.server("baton", d) as (endpoint, port, pid):
            dynamodb.load(endpoint, 10000)
            for mode in ["get", "put"]:
                dynamodb.run(os.path.basename(binary), endpoint, pid, mode, seconds, 16, 10000)
            rate, cpu = cpu_per_request(pid, endpoint + "/health", 5)
            print("%s health %9.0f requests/s  %6.1f µs of server CPU a request" % (os.path.basename(binary), rate, cpu))


if __name__ == "__main__":
    main()
