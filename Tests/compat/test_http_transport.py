"""The endpoint's HTTP/1.1 as clients use it, byte by byte: keep-alive, pipelining, `Expect:
100-continue`, HEAD, bodies past a route's limit, HTTP/1.0, malformed requests, and file bodies
sent from disk (whole and by range)."""
import hashlib
import os
import socket

SFN_LIST = (b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.0\r\n"
            b"X-Amz-Target: AWSStepFunctions.ListStateMachines\r\nContent-Length: 2\r\n\r\n{}")


def connect(server):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return s, s.makefile("rb")


def read_response(f, head=False):
    """(status, headers, body) of one response; the body by Content-Length or chunks."""
    status_line = f.readline()
    assert status_line, "the connection closed"
    status = int(status_line.split()[1])
    headers = {}
    while True:
        line = f.readline().rstrip(b"\r\n")
        if not line:
            break
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    if head or status == 100 or status == 204 or status == 304:
        return status, headers, b""
    if "content-length" in headers:
        return status, headers, f.read(int(headers["content-length"]))
    body = b""
    assert headers.get("transfer-encoding") == "chunked", headers
    while True:
        size = int(f.readline().strip(), 16)
        if size == 0:
            f.readline()
            return status, headers, body
        body += f.read(size)
        f.readline()


def presigned(s3, method, bucket, key):
    """The request target of a presigned URL: S3 takes an unsigned path only on its own host names."""
    url = s3.generate_presigned_url(method, Params={"Bucket": bucket, "Key": key})
    return url.split("/", 3)[3].encode()


def closed(s, f):
    try:
        return f.read(1) == b""
    except (ConnectionResetError, socket.timeout):
        return False


def test_keep_alive_and_pipelining_answer_in_order(server):
    s, f = connect(server)
    with s:
        # Three requests in one write: the answers come back in the order asked.
        s.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n" + SFN_LIST
                  + b"GET /no/such/route HTTP/1.1\r\nHost: localhost\r\n\r\n")
        status, headers, body = read_response(f)
        assert status == 200 and b"ok" in body.lower()
        assert headers["server"] == "Baton" and headers["date"].endswith(" GMT")
        status, _, body = read_response(f)
        assert status == 200 and b"stateMachines" in body
        status, _, body = read_response(f)
        assert status == 404 and b"UnknownOperationException" in body
        # The connection is still open for the next one.
        s.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert read_response(f)[0] == 200


def test_expect_100_continue_is_answered_before_the_body(server):
    s, f = connect(server)
    with s:
        head, _, body = SFN_LIST.partition(b"\r\n\r\n")
        s.sendall(head + b"\r\nExpect: 100-continue\r\n\r\n")
        # The interim answer comes before the body is sent (boto3 waits a second for it).
        status, _, _ = read_response(f)
        assert status == 100
        s.sendall(body)
        status, _, body = read_response(f)
        assert status == 200 and b"stateMachines" in body


def test_head_gives_the_length_without_a_body_and_keeps_the_connection(server):
    s3 = server.client("s3")
    s3.create_bucket(Bucket="transport-head")
    s3.put_object(Bucket="transport-head", Key="k", Body=b"x" * 1000)
    s, f = connect(server)
    with s:
        s.sendall(b"HEAD /%s HTTP/1.1\r\nHost: localhost\r\n\r\n" % presigned(s3, "head_object", "transport-head", "k"))
        status, headers, _ = read_response(f, head=True)
        assert status == 200 and headers["content-length"] == "1000"
        # Had a body followed the HEAD answer, this would read its bytes as a status line.
        s.sendall(b"GET /%s HTTP/1.1\r\nHost: localhost\r\n\r\n" % presigned(s3, "get_object", "transport-head", "k"))
        status, _, body = read_response(f)
        assert status == 200 and body == b"x" * 1000


def test_a_file_body_is_sent_whole_and_by_range(server):
    s3 = server.client("s3")
    s3.create_bucket(Bucket="transport-file")
    data = os.urandom(5 * 1024 * 1024 + 123)
    s3.put_object(Bucket="transport-file", Key="big", Body=data)
    got = s3.get_object(Bucket="transport-file", Key="big")["Body"].read()
    assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
    part = s3.get_object(Bucket="transport-file", Key="big", Range="bytes=1048570-2097160")["Body"].read()
    assert part == data[1048570:2097161]
    # Two file bodies back to back on one connection, the second by range.
    s, f = connect(server)
    with s:
        target = presigned(s3, "get_object", "transport-file", "big")
        s.sendall(b"GET /%s HTTP/1.1\r\nHost: localhost\r\n\r\n" % target
                  + b"GET /%s HTTP/1.1\r\nHost: localhost\r\nRange: bytes=-10\r\n\r\n" % target)
        status, _, body = read_response(f)
        assert status == 200 and body == data
        status, _, body = read_response(f)
        assert status == 206 and body == data[-10:]


def test_a_body_past_the_limit_is_refused_and_the_connection_closed(server):
    s, f = connect(server)
    with s:
        size = 1024 * 1024 + 512 * 1024 + 1
        s.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.0\r\n"
                  b"X-Amz-Target: AWSStepFunctions.ListStateMachines\r\nContent-Length: %d\r\n\r\n" % size)
        try:
            s.sendall(b"{" + b" " * (size - 2) + b"}")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may close before taking all of it
        status, headers, body = read_response(f)
        assert status == 413 and b"RequestEntityTooLargeException" in body
        assert headers.get("connection") == "close"
        assert closed(s, f)
    # The server still answers.
    assert server.client().list_state_machines()["stateMachines"] is not None


def test_http_1_0_closes_after_the_answer_unless_kept_alive(server):
    s, f = connect(server)
    with s:
        s.sendall(b"GET /health HTTP/1.0\r\n\r\n")
        status, headers, _ = read_response(f)
        assert status == 200 and headers.get("connection") == "close"
        assert closed(s, f)
    s, f = connect(server)
    with s:
        s.sendall(b"GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        status, headers, _ = read_response(f)
        assert status == 200 and headers.get("connection") == "keep-alive"
        s.sendall(b"GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        assert read_response(f)[0] == 200


def test_connection_close_is_honoured(server):
    s, f = connect(server)
    with s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        status, headers, _ = read_response(f)
        assert status == 200 and headers.get("connection") == "close"
        assert closed(s, f)


def test_a_malformed_request_gets_400_and_the_server_goes_on(server):
    s, f = connect(server)
    with s:
        s.sendall(b"GARBAGE\x00 / HTTP/9\r\n\r\n")
        status, _, _ = read_response(f)
        assert status == 400
        assert closed(s, f)
    s, f = connect(server)
    with s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert read_response(f)[0] == 200


def chunked(data, size=1000):
    """`data` in the chunked transfer coding, `size` bytes a chunk."""
    out = b""
    for i in range(0, len(data), size):
        piece = data[i:i + size]
        out += b"%x\r\n%s\r\n" % (len(piece), piece)
    return out + b"0\r\n\r\n"


def test_a_chunked_request_body_is_read_whole_and_streamed(server):
    s3 = server.client("s3")
    s3.create_bucket(Bucket="transport-chunked")
    data = os.urandom(300 * 1024 + 7)
    s, f = connect(server)
    with s:
        # A body read whole before the service sees it (a JSON API)...
        body = b'{"name": "transport-chunked-machine"}'
        s.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.0\r\n"
                  b"X-Amz-Target: AWSStepFunctions.CreateActivity\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body, 7))
        status, _, answer = read_response(f)
        assert status == 200 and b"activityArn" in answer
        # ...and one streamed to disk as it arrives (an object), on the same connection.
        s.sendall(b"PUT /%s HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                  % presigned(s3, "put_object", "transport-chunked", "k") + chunked(data, 64 * 1024 + 3))
        status, _, _ = read_response(f)
        assert status == 200
    assert s3.get_object(Bucket="transport-chunked", Key="k")["Body"].read() == data
    assert any(a["name"] == "transport-chunked-machine" for a in server.client().list_activities()["activities"])


def test_a_client_gone_mid_request_or_mid_answer_changes_nothing(server):
    s3 = server.client("s3")
    s3.create_bucket(Bucket="transport-gone")
    data = os.urandom(8 * 1024 * 1024)
    s3.put_object(Bucket="transport-gone", Key="big", Body=data)
    # A body cut short: a JSON request, and an object upload (streamed), each closed mid-body.
    s, f = connect(server)
    with s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.0\r\n"
                  b"X-Amz-Target: AWSStepFunctions.CreateActivity\r\nContent-Length: 1000\r\n\r\n{\"name\": \"cut")
    s, f = connect(server)
    with s:
        s.sendall(b"PUT /%s HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n"
                  % presigned(s3, "put_object", "transport-gone", "partial") + b"x" * 50000)
    # A download left after its first bytes.
    s, f = connect(server)
    with s:
        s.sendall(b"GET /%s HTTP/1.1\r\nHost: localhost\r\n\r\n" % presigned(s3, "get_object", "transport-gone", "big"))
        assert f.read(100)
    # A long poll whose caller went away.
    sfn = server.client()
    arn = sfn.create_activity(name="transport-gone-poll")["activityArn"]
    s, f = connect(server)
    with s:
        poll = b'{"activityArn": "%s"}' % arn.encode()
        s.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.0\r\n"
                  b"X-Amz-Target: AWSStepFunctions.GetActivityTask\r\nContent-Length: %d\r\n\r\n%s" % (len(poll), poll))
    # Nothing was made of the cut requests, the object is whole, and the server answers.
    names = [a["name"] for a in sfn.list_activities()["activities"]]
    assert not any(n.startswith("cut") for n in names)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="transport-gone").get("Contents", [])]
    assert keys == ["big"]
    assert s3.get_object(Bucket="transport-gone", Key="big")["Body"].read() == data
    s, f = connect(server)
    with s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert read_response(f)[0] == 200
