"""Thousands of random and mutated requests: the server must answer each with an AWS-shaped
error or a result, never crash, and keep the executions it had."""
import http.client
import json
import random

from test_stepfunctions import PASS, ROLE, WAIT, name, raw

ACTIONS = ["CreateStateMachine", "DescribeStateMachine", "StartExecution", "DescribeExecution", "GetExecutionHistory",
           "ListExecutions", "StopExecution", "SendTaskSuccess", "SendTaskFailure", "CreateActivity", "GetActivityTask",
           "ValidateStateMachineDefinition", "ListStateMachines", "TagResource", "PublishStateMachineVersion",
           "CreateStateMachineAlias", "DeleteStateMachine", "UpdateStateMachine", "Nope"]


def random_value(rng, depth=0):
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 10**30, 1.5, 2**63])
    if kind in (3, 4):
        return rng.choice(["", "arn:aws:states:us-east-1:000000000000:stateMachine:x", "{", "☃" * 3, "a" * 300, "$.x", PASS])
    if kind == 5:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    return {rng.choice(["name", "definition", "roleArn", "stateMachineArn", "executionArn", "input", "taskToken",
                        "maxResults", "nextToken", "tags", "output", "x"]): random_value(rng, depth + 1)
            for _ in range(rng.randrange(5))}


def mutate(rng, data):
    b = bytearray(data)
    for _ in range(rng.randrange(1, 4)):
        if not b:
            break
        i = rng.randrange(len(b))
        op = rng.randrange(3)
        if op == 0:
            b[i] = rng.randrange(256)
        elif op == 1:
            del b[i]
        else:
            b.insert(i, rng.choice(b'{}[]",:\\'))
    return bytes(b)


def test_random_requests_never_break_the_server(server, sfn):
    arn = sfn.create_state_machine(name=name(), definition=WAIT, roleArn=ROLE)["stateMachineArn"]
    before = [sfn.start_execution(stateMachineArn=arn)["executionArn"] for _ in range(5)]
    rng = random.Random(1234)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    statuses = {}
    for i in range(3000):
        action = rng.choice(ACTIONS)
        body = json.dumps(random_value(rng)).encode()
        if rng.random() < 0.5:
            body = mutate(rng, body)
        target = "AWSStepFunctions." + action if rng.random() < 0.95 else rng.choice(["", "X.Y", "AWSStepFunctions"])
        conn.request("POST", "/", body=body, headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"})
        resp = conn.getresponse()
        payload = resp.read()
        statuses[resp.status] = statuses.get(resp.status, 0) + 1
        assert resp.status < 500, (action, body[:200], payload[:300])
        parsed = json.loads(payload)
        if resp.status >= 400:
            assert isinstance(parsed.get("__type"), str) and isinstance(parsed.get("message"), str)
    assert statuses.get(400, 0) > 1000
    # Still answering, and the executions started before are intact.
    status, _ = raw(server, "AWSStepFunctions.ListStateMachines", b"{}")
    assert status == 200
    for ex in before:
        d = sfn.describe_execution(executionArn=ex)
        assert d["status"] in ("RUNNING", "ABORTED")
        assert sfn.get_execution_history(executionArn=ex)["events"][0]["type"] == "ExecutionStarted"
