import os


def handler(event, context):
    print("hello from", context.function_name)
    return {"name": context.function_name, "request": context.aws_request_id, "remaining": context.get_remaining_time_in_millis() > 0,
            "env": os.environ.get("GREETING"), "event": event}
