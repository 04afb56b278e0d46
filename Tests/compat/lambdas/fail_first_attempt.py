def handler(event, context):
    if event.get("attempt", 0) == 0:
        raise Exception("first attempts fail")
    return event
