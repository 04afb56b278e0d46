def handler(event, context):
    # Fails the records whose body is "poison" (a partial batch response), takes the rest.
    failures = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "poison"]
    assert all(r["eventSource"] == "aws:sqs" for r in event["Records"])
    return {"batchItemFailures": failures}
