import json
import os


def handler(event, context):
    """Appends each stream record's keys and event name to the file SINK names; fails the whole
    batch when a record's new image has a `poison` attribute (noting the batch's keys in the file
    FAILURES names, when set)."""
    records = event["Records"]
    if any("poison" in (r["dynamodb"].get("NewImage") or {}) for r in records):
        if os.environ.get("FAILURES"):
            with open(os.environ["FAILURES"], "a") as f:
                f.write(json.dumps([r["dynamodb"]["Keys"]["id"]["S"] for r in records]) + "\n")
        raise RuntimeError("poison record")
    with open(os.environ["SINK"], "a") as f:
        for r in records:
            f.write(json.dumps({"event": r["eventName"], "keys": r["dynamodb"]["Keys"], "seq": r["dynamodb"]["SequenceNumber"],
                                "source": r["eventSourceARN"]}) + "\n")
    return {}
