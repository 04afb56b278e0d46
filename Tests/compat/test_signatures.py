"""A server started with --require-signature, driven as a user would: unsigned calls to every
service are refused and change nothing, boto3's signed calls work (header and presigned), the
webhook receiver stays open to senders, and Baton's own client commands sign."""
import base64
import io
import json
import socket
import subprocess
import time
import urllib.request
import zipfile

import boto3
import pytest
from botocore.config import Config

from conftest import BATON, Server, free_port
from webhook_client import call, deliver

KEY, SECRET = "AKIDSIGNED", "s3cret+/key"


@pytest.fixture(scope="module")
def signed_server(tmp_path_factory):
    s = Server(str(tmp_path_factory.mktemp("signed") / "data"))
    s.proc = subprocess.Popen([BATON, "serve", "--port", str(s.port), "--data-dir", s.data_dir, "--require-signature",
                               "--access-key-id", KEY, "--secret-access-key", SECRET],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", s.port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield s
    s.stop()


def client(s, service, key=KEY, secret=SECRET):
    return boto3.client(service, endpoint_url=s.endpoint, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret,
                        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))


def shell_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.sh", "#!/bin/sh\ntouch /tmp/baton-pwned\n")
    return buf.getvalue()


def test_unsigned_function_creation_and_invocation_are_refused(signed_server):
    body = json.dumps({"FunctionName": "pwn", "Runtime": "baton.command", "Handler": "handler.sh", "Role": "arn:aws:iam::1:role/r",
                       "Code": {"ZipFile": base64.b64encode(shell_zip()).decode()}}).encode()
    status, answer = call(signed_server.endpoint, "POST", "/2015-03-31/functions", body, {"Content-Type": "application/json"})
    assert status == 403 and answer["__type"] == "MissingAuthenticationTokenException"
    status, _ = call(signed_server.endpoint, "POST", "/2015-03-31/functions/pwn/invocations", b"{}")
    assert status == 403
    for path in ["/baton/failed-invocations", "/baton/webhooks", "/2015-03-31/functions"]:
        assert call(signed_server.endpoint, "GET", path)[0] == 403, path
    # Nothing was created: the signed client sees no function.
    assert client(signed_server, "lambda").list_functions()["Functions"] == []


def test_signed_clients_work_on_every_protocol(signed_server):
    sfn = client(signed_server, "stepfunctions")
    assert "stateMachines" in sfn.list_state_machines()
    lam = client(signed_server, "lambda")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        # An ARN in the path: botocore signs it URI-encoded twice.
        lam.get_function(FunctionName="arn:aws:lambda:us-east-1:000000000000:function:nope")
    other = client(signed_server, "lambda", secret="wrong")
    with pytest.raises(other.exceptions.ClientError) as e:
        other.list_functions()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_presigned_urls_are_accepted_until_they_expire(signed_server):
    lam = client(signed_server, "lambda")
    url = lam.generate_presigned_url("list_functions", Params={"MaxItems": 5}, ExpiresIn=300)
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200 and "Functions" in json.loads(r.read())
    tampered = url.replace("MaxItems=5", "MaxItems=6")
    try:
        urllib.request.urlopen(tampered, timeout=10)
        raise AssertionError("a tampered presigned URL must be refused")
    except urllib.error.HTTPError as e:
        assert e.code == 403 and json.loads(e.read())["__type"] == "InvalidSignatureException"


def test_webhook_receiver_is_open_to_senders_and_cli_commands_sign(signed_server):
    env = {"BATON_ACCESS_KEY_ID": KEY, "BATON_SECRET_ACCESS_KEY": SECRET, "PATH": "/usr/bin:/bin"}
    config = {"Name": "signed-hooks", "KeySource": {"Body": "$.id"}, "Signature": {"Scheme": "NONE"}}
    out = subprocess.run([BATON, "webhook", "create", "--endpoint", signed_server.endpoint, "--file", "-"],
                         input=json.dumps(config), capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr
    unsigned = subprocess.run([BATON, "webhook", "list", "--endpoint", signed_server.endpoint], capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin"}, timeout=30)
    assert unsigned.returncode != 0 and "MissingAuthenticationTokenException" in unsigned.stdout
    # A sender posts without SigV4: the receiver answers (no run waits on this key).
    status, body = deliver(signed_server.endpoint, "signed-hooks", {"id": "k-1"})
    assert status == 404 and "No run waits" in body["message"], body
    sfn = client(signed_server, "stepfunctions")
    arn = sfn.create_state_machine(name="signed-history", roleArn="arn:aws:iam::1:role/r", definition=json.dumps(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    for _ in range(200):
        if sfn.describe_execution(executionArn=run)["status"] == "SUCCEEDED":
            break
        time.sleep(0.05)
    history = subprocess.run([BATON, "history", "--endpoint", signed_server.endpoint, run], capture_output=True, text=True,
                             env=env, timeout=30)
    assert history.returncode == 0, history.stdout + history.stderr
    assert json.loads(history.stdout.splitlines()[-1])["type"] == "ExecutionSucceeded"
