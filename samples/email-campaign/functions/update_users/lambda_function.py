"""Step 5: records the campaign on every user of the audience (here, one JSON line per user
in USERS_FILE); returns how many were updated. Idempotent: a retry does not count twice."""
import json
import os


def handler(event, context):
    path = os.environ.get("USERS_FILE", "/tmp/email-campaign-users.jsonl")
    done = set()
    if os.path.exists(path):
        with open(path) as f:
            done = {(r["campaignId"], r["user"]) for r in map(json.loads, f)}
    with open(path, "a") as f:
        for user in event["audience"]:
            if (event["campaignId"], user) not in done:
                f.write(json.dumps({"campaignId": event["campaignId"], "user": user}) + "\n")
    return {"updated": len(event["audience"])}
