#!/usr/bin/env python3
"""Webhook deliveries through HTTP (a benchmark, not a test): N runs parked on a webhook,
then 5·N Stripe-signed deliveries sent by wrk (pending, the same pending again, a heartbeat,
archived, success per campaign, rounds in order).

    python3 Tests/compat/bench_webhooks_http.py [--campaigns 10000] [--connections 16] [--database URL [--nodes N]]

With `--database`, the servers keep their journal in that PostgreSQL database (a fresh schema),
`--nodes` of them sharing it; runs are started and deliveries sent through the first node,
which hands a delivery for a run another node owns to that node through the database.
`BENCH_LOGS=DIR` keeps the servers' logs there; `BENCH_WAIT` (300 s) bounds the wait for the
runs to end after the last delivery.

Needs `swift build -c release` and wrk. Prints wrk's latency distribution (a delivery's answer
comes after the run's next step is committed), the server's resident memory and the outcome counts.
"""
import argparse
import concurrent.futures
import datetime
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import ROOT, Server  # noqa: E402
from webhook_client import call  # noqa: E402

SECRET = "whsec_http_benchmark"
DEFINITION = {
    "StartAt": "Wait",
    "States": {
        "Wait": {"Type": "Task", "Resource": "arn:aws:states:::baton:webhook.waitForTaskToken",
                 "Parameters": {"Webhook": "campaigns", "Key.$": "$.id"}, "ResultPath": "$.last",
                 "HeartbeatSeconds": 3600, "TimeoutSeconds": 86400, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.last.status", "StringEquals": "success", "Next": "Done"}],
                  "Default": "Wait"},
        "Done": {"Type": "Pass", "End": True},
    },
}
PLAN = [("pending", 0), ("pending", 0), ("sending", 1), ("archived", 2), ("success", 3)]

LUA = r"""
-- One wrk thread: its Lua state takes the deliveries in order across all connections, and
-- stops the thread once every delivery has been answered.
local entries = {}
local index, answered = 0, 0
function init(args)
  for line in io.lines(args[1]) do
    local id, sig, body = line:match("^(%S+)\t(%S+)\t(.*)$")
    entries[#entries + 1] = {id, sig, body}
  end
end
function request()
  index = index + 1
  local e = entries[math.min(index, #entries)]
  return wrk.format("POST", "/webhooks/campaigns",
    {["Content-Type"] = "application/json", ["X-Delivery-Id"] = e[1], ["Stripe-Signature"] = e[2]}, e[3])
end
function response(status, headers, body)
  answered = answered + 1
  if answered >= #entries then wrk.thread:stop() end
end
"""


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--campaigns", type=int, default=10000)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--database", help="a PostgreSQL URL (a fresh schema of it is used)")
    p.add_argument("--nodes", type=int, default=1)
    a = p.parse_args()
    import conftest
    conftest.BATON = os.path.join(ROOT, ".build", "release", "baton")
    with tempfile.TemporaryDirectory() as d:
        url = "%s?schema=bench_%d" % (a.database, int(time.time() * 1000)) if a.database else None
        servers = []
        try:
            for i in range(a.nodes if url else 1):
                server = Server(os.path.join(d, "data%d" % i), database=url, args=["--node-id", "n%d" % i] if a.nodes > 1 else [])
                if os.environ.get("BENCH_LOGS"):
                    server.log = open(os.path.join(os.environ["BENCH_LOGS"], "node%d.log" % i), "w")
                servers.append(server.start())
            if len(servers) > 1:
                time.sleep(4)  # the nodes split the partitions between them
            run(servers[0], a, d)
        finally:
            for server in servers:
                server.stop()


def run(server, a, d):
    config = {"Name": "campaigns", "KeySource": {"Body": "$.campaign_id"}, "StatusSource": {"Body": "$.status"},
              "Outcomes": {"pending": {"Outcome": "SUCCESS"}, "archived": {"Outcome": "SUCCESS"},
                           "success": {"Outcome": "SUCCESS"}, "sending": {"Outcome": "HEARTBEAT"}},
              "Output": {"status.$": "$.status"}, "Deduplication": {"DeliveryIdHeader": "X-Delivery-Id"},
              "Signature": {"Scheme": "STRIPE", "Secret": SECRET, "ToleranceSeconds": 3600}}
    assert call(server.endpoint, "POST", "/baton/webhooks", config)[0] == 201
    sfn = server.client()
    arn = sfn.create_state_machine(name="campaigns", definition=json.dumps(DEFINITION),
                                   roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
    base = rss_kb(server.proc.pid)
    t0 = time.time()

    def start(i):
        c = server.client()
        c.start_execution(stateMachineArn=arn, name="c%d" % i, input=json.dumps({"id": "c-%d" % i}))

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(start, range(a.campaigns)))
    time.sleep(1)
    parked = rss_kb(server.proc.pid)
    print("parked %d runs in %.1f s; server resident memory %d MB -> %d MB (growth %d MB)"
          % (a.campaigns, time.time() - t0, base // 1024, parked // 1024, (parked - base) // 1024))
    t = int(time.time())
    # One file per wrk connection share would reorder a campaign's rounds; one sequence in
    # round order, taken by all connections, keeps them apart by N requests.
    path = os.path.join(d, "deliveries.tsv")
    with open(path, "w") as f:
        for status, n in PLAN:
            for i in range(a.campaigns):
                body = json.dumps({"campaign_id": "c-%d" % i, "status": status})
                mac = hmac.new(SECRET.encode(), ("%d." % t).encode() + body.encode(), hashlib.sha256).hexdigest()
                f.write("c-%d-%d\tt=%d,v1=%s\t%s\n" % (i, n, t, mac, body))
    total = a.campaigns * len(PLAN)
    # wrk cannot stop after N requests: one thread, a duration long enough (250 deliveries/s
    # at least, the rate of three nodes on one database on these 2 cores), and the script
    # repeating the last entry (a duplicate, answered at once) once the sequence is spent.
    script = os.path.join(d, "deliver.lua")
    with open(script, "w") as f:
        f.write(LUA)
    t1 = time.time()
    # wrk waits out its duration even after the script stops its thread, so the rate comes
    # from the last delivery's receipt time; the latency distribution is wrk's.
    out = subprocess.run(["wrk", "-t1", "-c%d" % a.connections, "-d%ds" % (total // 250 + 10), "--latency", "-s", script,
                          server.endpoint, "--", path], capture_output=True, text=True).stdout
    print("\n".join(line for line in out.splitlines() if "Requests/sec" not in line and "requests in" not in line))
    last = call(server.endpoint, "GET", "/baton/webhooks/campaigns/deliveries?limit=1")[1]["Deliveries"][0]["ReceivedAt"]
    end = datetime.datetime.fromisoformat(last.replace("Z", "+00:00")).timestamp()
    print("%d deliveries in %.1f s = %.0f/s; server resident memory at the end %d MB"
          % (total, end - t1, total / (end - t1), rss_kb(server.proc.pid) // 1024))
    # A delivery's answer can come before its run's step (a node hands a delivery for a run it
    # does not own to the owner through the database): the runs are counted until all ended.
    def succeeded():
        """How many runs succeeded, and when the last of them ended."""
        count, last, token = 0, 0.0, None
        while True:
            kw = {"stateMachineArn": arn, "statusFilter": "SUCCEEDED", "maxResults": 1000}
            if token:
                kw["nextToken"] = token
            page = sfn.list_executions(**kw)
            count += len(page["executions"])
            last = max([last] + [e["stopDate"].timestamp() for e in page["executions"]])
            token = page.get("nextToken")
            if not token:
                return count, last

    done, last = succeeded()
    deadline = time.time() + float(os.environ.get("BENCH_WAIT", "300"))
    while done < a.campaigns and time.time() < deadline:
        time.sleep(0.5)
        done, last = succeeded()
    print("succeeded runs: %d of %d; the last ended %.1f s after the first delivery was sent (%.0f deliveries/s applied)"
          % (done, a.campaigns, last - t1, total / max(0.001, last - t1)))


if __name__ == "__main__":
    main()
