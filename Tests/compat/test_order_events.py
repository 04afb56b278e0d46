"""The order sample (samples/order-events), as its README runs it."""
import json
import os
import subprocess
import sys
import time

from conftest import ROOT

SAMPLE = os.path.join(ROOT, "samples", "order-events", "orders.py")


def run(server, *args):
    r = subprocess.run([sys.executable, SAMPLE, "--endpoint", server.endpoint, *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_orders_start_shipping_and_audits_through_rules(server, sfn):
    run(server, "setup")
    run(server, "place", "order-1", "250")
    run(server, "place", "order-2", "4000")
    deadline = time.time() + 20
    lines = []
    while time.time() < deadline:
        lines = run(server, "show").splitlines()
        if sum(l.startswith("ship-order SUCCEEDED") for l in lines) == 2 and sum(l.startswith("audit SUCCEEDED") for l in lines) == 1:
            break
        time.sleep(0.1)
    ships = [json.loads(l.split(" ", 2)[2]) for l in lines if l.startswith("ship-order")]
    assert sorted(s["note"] for s in ships) == ["ship order order-1 worth 250", "ship order order-2 worth 4000"]
    audits = [json.loads(l.split(" ", 2)[2]) for l in lines if l.startswith("audit")]
    assert audits == [{"order": "order-2", "amount": 4000}]
    assert sum(l.startswith("place-order SUCCEEDED") for l in lines) == 2
