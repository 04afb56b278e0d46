#!/usr/bin/env python3
"""A fake email SaaS for the email-campaign sample.

POST /campaigns {"name": …, "audience": [...]} answers {"campaign_id": "cmp-…"} at once, then,
in the background, calls the webhook with the campaign's statuses the way real senders do:
signed Stripe-style (`Stripe-Signature: t=…,v1=…`), a delivery id per event
(`X-SaaS-Delivery`), retried with backoff while the receiver is down or answers 5xx/404,
one event at a time per campaign. The sequence, one status every --step seconds:

    pending, pending again (the same delivery, as a sender whose ack got lost resends it),
    sending (a heartbeat), archived, success, and later a late "pending" with a new delivery id.

A campaign whose name contains "fail" ends with "failed" instead of "success".

GET /campaigns/{id} shows what was sent so far and the receiver's answers.
"""
import argparse
import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTER = itertools.count(1)
CAMPAIGNS = {}
LOCK = threading.Lock()


def sign(secret, body, t):
    mac = hmac.new(secret.encode(), ("%d." % t).encode() + body, hashlib.sha256).hexdigest()
    return "t=%d,v1=%s" % (t, mac)


def post(args, campaign_id, event):
    """Delivers one event until the receiver takes it (2xx, or 4xx other than 404)."""
    body = json.dumps(event["payload"]).encode()
    delay = 0.2
    while True:
        req = urllib.request.Request(args.webhook, data=body, method="POST", headers={
            "Content-Type": "application/json",
            "X-SaaS-Delivery": event["delivery_id"],
            # Signed at each attempt: a resend carries a fresh timestamp, as real senders do.
            "Stripe-Signature": sign(args.secret, body, int(time.time())),
        })
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                answer = (r.status, json.loads(r.read() or b"null"))
        except urllib.error.HTTPError as e:
            answer = (e.code, json.loads(e.read() or b"null"))
        except OSError as e:  # connection refused or reset: the receiver is down or restarting
            answer = (0, str(e))
        with LOCK:
            CAMPAIGNS[campaign_id]["answers"].append([event["payload"]["status"], answer[0]])
        if 200 <= answer[0] < 300 or (400 <= answer[0] < 500 and answer[0] != 404):
            return
        time.sleep(delay)
        delay = min(delay * 2, 2.0)


def run_campaign(args, campaign_id, fails):
    final = "failed" if fails else "success"
    ids = ["%s-evt-%d" % (campaign_id, i) for i in range(6)]
    plan = [("pending", ids[0]), ("pending", ids[0]), ("sending", ids[2]), ("archived", ids[3]), (final, ids[4])]
    time.sleep(args.step)
    for n, (status, delivery_id) in enumerate(plan):
        payload = {"campaign_id": campaign_id, "status": status, "sequence": ids.index(delivery_id),
                   "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        if n == 1:
            payload = CAMPAIGNS[campaign_id]["sent"][0]  # the same event, byte for byte
        post(args, campaign_id, {"payload": payload, "delivery_id": delivery_id})
        with LOCK:
            CAMPAIGNS[campaign_id]["sent"].append(payload)
        time.sleep(args.step)
    time.sleep(args.step)
    late = {"campaign_id": campaign_id, "status": "pending", "sequence": 5, "occurred_at": "late"}
    post(args, campaign_id, {"payload": late, "delivery_id": ids[5]})
    with LOCK:
        CAMPAIGNS[campaign_id]["sent"].append(late)
        CAMPAIGNS[campaign_id]["done"] = True


def handler(args):
    class Handler(BaseHTTPRequestHandler):
        def reply(self, status, value):
            body = json.dumps(value).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            if self.path != "/campaigns":
                return self.reply(404, {"error": "not found"})
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            campaign_id = "cmp-%04d" % next(COUNTER)
            with LOCK:
                CAMPAIGNS[campaign_id] = {"request": request, "sent": [], "answers": [], "done": False}
            fails = "fail" in str(request.get("name", ""))
            threading.Thread(target=run_campaign, args=(args, campaign_id, fails), daemon=True).start()
            self.reply(200, {"campaign_id": campaign_id})

        def do_GET(self):
            with LOCK:
                if self.path == "/campaigns":
                    return self.reply(200, CAMPAIGNS)
                c = CAMPAIGNS.get(self.path.rsplit("/", 1)[-1])
                return self.reply(200, c) if c else self.reply(404, {"error": "no such campaign"})

        def log_message(self, *a):
            pass

    return Handler


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=9100)
    p.add_argument("--webhook", default="http://127.0.0.1:8083/webhooks/campaign-status")
    p.add_argument("--secret", default="whsec_email_campaign_sample")
    p.add_argument("--step", type=float, default=1.0, help="seconds between two statuses of a campaign")
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler(args))
    print("fake SaaS on http://127.0.0.1:%d, calling %s" % (args.port, args.webhook), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
