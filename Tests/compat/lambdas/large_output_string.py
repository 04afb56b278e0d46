def handler(event, context):
    return bytes("a" * 257 * 1024, "utf-8")
