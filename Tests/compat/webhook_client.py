"""Small helpers for Baton's webhook API and for signing deliveries as senders do."""
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request


def call(endpoint, method, path, body=None, headers=None):
    """Returns (status, parsed JSON body or None)."""
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(endpoint + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read()
            return r.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, (json.loads(text) if text else None)


def stripe_header(secret, body, t=None):
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), ("%d." % t).encode() + body, hashlib.sha256).hexdigest()
    return "t=%d,v1=%s" % (t, mac)


def deliver(endpoint, name, payload, secret=None, headers=None, t=None, query=""):
    body = json.dumps(payload).encode()
    h = {"Content-Type": "application/json"}
    if secret is not None:
        h["Stripe-Signature"] = stripe_header(secret, body, t)
    h.update(headers or {})
    return call(endpoint, "POST", "/webhooks/%s%s" % (name, query), body, h)
