"""Connections and API destinations: credentials kept in a Secrets Manager secret and never
shown, and a rule whose target is an HTTP endpoint called with them."""
import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest


class Recorder(BaseHTTPRequestHandler):
    calls = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Recorder.calls.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
        if self.path == "/token":
            # An OAuth client-credentials grant for client "app", secret "s3cret" only.
            granted = self.headers.get("Authorization") == "Basic " + base64.b64encode(b"app:s3cret").decode() \
                and body == b"grant_type=client_credentials"
            answer = json.dumps({"access_token": "tok-granted", "token_type": "Bearer"} if granted else {"error": "invalid_client"}).encode()
            self.send_response(200 if granted else 401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            return
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    httpd = HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % httpd.server_address[1]
    httpd.shutdown()


def test_an_api_destination_is_called_with_its_connections_key(server, endpoint):
    events, secrets = server.client("events"), server.client("secretsmanager")
    tag = uuid.uuid4().hex[:8]
    conn = events.create_connection(Name="hooks-" + tag, AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "key-" + tag},
        "InvocationHttpParameters": {"HeaderParameters": [{"Key": "X-Team", "Value": "shop", "IsValueSecret": False}]}})
    assert conn["ConnectionState"] == "AUTHORIZED"
    described = events.describe_connection(Name="hooks-" + tag)
    assert described["AuthParameters"]["ApiKeyAuthParameters"] == {"ApiKeyName": "x-api-key"}
    assert "key-" + tag not in json.dumps(described, default=str)
    stored = json.loads(secrets.get_secret_value(SecretId=described["SecretArn"])["SecretString"])
    assert stored["api_key_name"] == "x-api-key" and stored["api_key_value"] == "key-" + tag
    dest = events.create_api_destination(Name="hook-" + tag, ConnectionArn=conn["ConnectionArn"],
                                         InvocationEndpoint=endpoint + "/hook/*", HttpMethod="POST")
    assert dest["ApiDestinationState"] == "ACTIVE"
    with pytest.raises(events.exceptions.ClientError) as e:
        events.create_api_destination(Name="bad-" + tag, ConnectionArn="not-an-arn", InvocationEndpoint=endpoint, HttpMethod="FETCH")
    assert e.value.response["Error"]["Code"] == "ValidationException" and "2 validation errors" in e.value.response["Error"]["Message"]

    events.put_rule(Name="to-hook-" + tag, EventPattern=json.dumps({"source": ["shop." + tag]}))
    events.put_targets(Rule="to-hook-" + tag, Targets=[{"Id": "hook", "Arn": dest["ApiDestinationArn"],
                                                         "HttpParameters": {"PathParameterValues": ["orders"]}}])
    events.put_events(Entries=[{"Source": "shop." + tag, "DetailType": "Order", "Detail": json.dumps({"id": 7})}])
    deadline = time.time() + 20
    while time.time() < deadline and not any(c["path"] == "/hook/orders" for c in Recorder.calls):
        time.sleep(0.05)
    call = next(c for c in Recorder.calls if c["path"] == "/hook/orders")
    assert call["headers"]["x-api-key"] == "key-" + tag and call["headers"]["x-team"] == "shop"
    sent = json.loads(call["body"])
    assert sent["source"] == "shop." + tag and sent["detail"] == {"id": 7}

    # The connection's secret goes with it.
    assert events.delete_connection(Name="hooks-" + tag)["ConnectionState"] == "DELETING"
    with pytest.raises(secrets.exceptions.ResourceNotFoundException):
        secrets.describe_secret(SecretId=described["SecretArn"])
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_connection(Name="hooks-" + tag)


def test_an_oauth_connection_fetches_its_token_and_sends_it(server, endpoint):
    """OAUTH_CLIENT_CREDENTIALS: the token endpoint is asked with the client's Basic credentials
    and `grant_type=client_credentials`; the destination is called with the granted bearer token."""
    events = server.client("events")
    tag = uuid.uuid4().hex[:8]
    conn = events.create_connection(Name="oauth-" + tag, AuthorizationType="OAUTH_CLIENT_CREDENTIALS", AuthParameters={
        "OAuthParameters": {"ClientParameters": {"ClientID": "app", "ClientSecret": "s3cret"},
                            "AuthorizationEndpoint": endpoint + "/token", "HttpMethod": "POST"}})
    dest = events.create_api_destination(Name="oauth-" + tag, ConnectionArn=conn["ConnectionArn"],
                                         InvocationEndpoint=endpoint + "/secured-" + tag, HttpMethod="POST")
    events.put_rule(Name="to-oauth-" + tag, EventPattern=json.dumps({"source": ["shop." + tag]}))
    events.put_targets(Rule="to-oauth-" + tag, Targets=[{"Id": "hook", "Arn": dest["ApiDestinationArn"]}])
    events.put_events(Entries=[{"Source": "shop." + tag, "DetailType": "Order", "Detail": json.dumps({"id": 8})}])
    deadline = time.time() + 20
    while time.time() < deadline and not any(c["path"] == "/secured-" + tag for c in Recorder.calls):
        time.sleep(0.05)
    call = next(c for c in Recorder.calls if c["path"] == "/secured-" + tag)
    assert call["headers"]["authorization"] == "Bearer tok-granted"
    assert json.loads(call["body"])["detail"] == {"id": 8}
