"""Step 1: asks the SaaS to send the campaign; returns its id."""
import json
import os
import urllib.request


class SaaSUnavailable(Exception):
    """The SaaS did not answer: the state's Retry tries again."""


def handler(event, context):
    body = json.dumps({"name": event["campaign"]["name"], "template": event["campaign"].get("template"),
                       "audience": event["audience"]}).encode()
    req = urllib.request.Request(os.environ["SAAS_URL"] + "/campaigns", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            answer = json.loads(r.read())
    except OSError as e:
        raise SaaSUnavailable(str(e))
    print("campaign %s accepted as %s" % (event["campaign"]["name"], answer["campaign_id"]))
    return {"campaignId": answer["campaign_id"]}
