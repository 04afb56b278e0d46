import os


def handler(event, context):
    return {"xray": os.environ.get("_X_AMZN_TRACE_ID"), "traceparent": os.environ.get("TRACEPARENT")}
