"""SIGTERM ends long polls: a server shutting down answers its parked GetActivityTask and
ReceiveMessage calls (empty, as at their timeouts) instead of waiting up to a minute for
pollers that may have gone."""
import re
import signal
import tempfile
import threading
import time
import urllib.request

import boto3
from botocore.config import Config

from conftest import Server

def in_flight(server):
    """The server's `baton_http_requests_in_flight` by service."""
    text = urllib.request.urlopen(server.endpoint + "/metrics").read().decode()
    found = {}
    for m in re.finditer(r'^baton_http_requests_in_flight\{service="([^"]+)"\} ([0-9.]+)$', text, re.M):
        found[m.group(1)] = float(m.group(2))
    return found


def test_sigterm_answers_parked_long_polls_and_exits():
    with tempfile.TemporaryDirectory() as d:
        server = Server(d).start()
        try:
            slow = Config(read_timeout=90, retries={"max_attempts": 0})
            sfn = server.client()
            act = sfn.create_activity(name="shutdown-worker")["activityArn"]
            sqs = server.client("sqs")
            queue = sqs.create_queue(QueueName="shutdown-queue")["QueueUrl"]
            answers = {}

            def client(service):
                # Clients of their own: a long poll outlasts botocore's default read timeout.
                return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1",
                                    aws_access_key_id="test", aws_secret_access_key="test", config=slow)

            def poll_activity():
                answers["activity"] = client("stepfunctions").get_activity_task(activityArn=act, workerName="w")

            def poll_queue():
                answers["queue"] = client("sqs").receive_message(QueueUrl=queue, WaitTimeSeconds=20)

            threads = [threading.Thread(target=poll_activity), threading.Thread(target=poll_queue)]
            for t in threads:
                t.start()
            # Both polls parked on the server: its in-flight gauge says so.
            deadline = time.time() + 30
            while time.time() < deadline:
                f = in_flight(server)
                if f.get("states", 0) >= 1 and f.get("sqs", 0) >= 1:
                    break
                time.sleep(0.05)
            else:
                raise AssertionError("the long polls never parked: %s" % in_flight(server))
            # The process ends well before either poll's own end (60 s and 20 s): the shutdown
            # answered them. (Before, it waited for them: a minute for the activity's.)
            server.proc.send_signal(signal.SIGTERM)
            assert server.proc.wait(timeout=15) == 0
            for t in threads:
                t.join(timeout=30)
            assert "taskToken" not in answers["activity"]
            assert "Messages" not in answers["queue"]
        finally:
            server.stop(signal.SIGKILL)
