#!/usr/bin/env python3
"""Sets up and drives the email-campaign sample against a Baton server.

    campaign.py setup   --endpoint URL --saas URL   function, users table, webhook, state machine
    campaign.py start   --endpoint URL NAME…        one execution per campaign name
    (add --jsonata to both for the JSONata definition, which keeps its data in variables)
    campaign.py show    --endpoint URL ARN          status, output and the history's events
    campaign.py users   --endpoint URL              the users table: each user's campaigns

Only boto3 (and the standard library) is needed: Baton speaks the AWS APIs.
"""
import argparse
import io
import json
import os
import urllib.error
import urllib.request
import zipfile

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFINITION = os.path.join(ROOT, "definitions", "email-campaign.asl.json")
JSONATA_DEFINITION = os.path.join(ROOT, "definitions", "email-campaign-jsonata.asl.json")
ROLE = "arn:aws:iam::000000000000:role/email-campaign"
MACHINE = "email-campaign"
JSONATA_MACHINE = "email-campaign-jsonata"
AUDIENCE = ["ana@example.com", "bo@example.com", "cy@example.com"]


def client(service, endpoint):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))


def zipped(directory):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in os.listdir(directory):
            if name.endswith(".py"):
                z.write(os.path.join(directory, name), name)
    return buf.getvalue()


def put_webhook(endpoint, config):
    """Creates the webhook, or replaces its configuration when it exists."""
    body = json.dumps(config).encode()
    for method, path in (("POST", "/baton/webhooks"), ("PUT", "/baton/webhooks/" + config["Name"])):
        req = urllib.request.Request(endpoint + path, data=body, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            if e.code != 409:
                raise RuntimeError("%s %s: %s" % (method, path, e.read().decode()))
    raise RuntimeError("unreachable")


FAILURES = "email-campaign-failures"


def failure_chain(endpoint):
    """A topic for the functions' final failures, fanned out to a queue to inspect and redrive."""
    sns, sqs = client("sns", endpoint), client("sqs", endpoint)
    topic = sns.create_topic(Name=FAILURES)["TopicArn"]
    url = sqs.create_queue(QueueName=FAILURES)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, url


USERS_TABLE = "email-campaign-users"


def users_table(endpoint):
    """The users the campaigns are recorded on: an item per email address."""
    ddb = client("dynamodb", endpoint)
    try:
        ddb.create_table(TableName=USERS_TABLE, KeySchema=[{"AttributeName": "email", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "email", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    except ddb.exceptions.ResourceInUseException:
        pass


def setup(endpoint, saas, jsonata=False):
    lam = client("lambda", endpoint)
    env = {"SAAS_URL": saas}
    topic, _ = failure_chain(endpoint)
    users_table(endpoint)
    for name, folder in (("send-campaign", "send_campaign"),):
        code = zipped(os.path.join(HERE, "functions", folder))
        try:
            lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
                                Code={"ZipFile": code}, Timeout=15, Environment={"Variables": env})
        except lam.exceptions.ResourceConflictException:
            lam.update_function_code(FunctionName=name, ZipFile=code)
            lam.update_function_configuration(FunctionName=name, Environment={"Variables": env})
        # An asynchronous call that fails for good goes to the failures topic, and from it to the queue.
        lam.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": topic})
    with open(os.path.join(HERE, "webhook.json")) as f:
        put_webhook(endpoint, json.load(f))
    sfn = client("stepfunctions", endpoint)
    name = JSONATA_MACHINE if jsonata else MACHINE
    with open(JSONATA_DEFINITION if jsonata else DEFINITION) as f:
        definition = f.read()
    for m in sfn.list_state_machines()["stateMachines"]:
        if m["name"] == name:
            sfn.update_state_machine(stateMachineArn=m["stateMachineArn"], definition=definition)
            return m["stateMachineArn"]
    return sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE)["stateMachineArn"]


def start(endpoint, machine_arn, names):
    sfn = client("stepfunctions", endpoint)
    return [sfn.start_execution(stateMachineArn=machine_arn, name=name.replace(" ", "-"),
                                input=json.dumps({"campaign": {"name": name, "template": "newsletter"}, "audience": AUDIENCE}))
            ["executionArn"] for name in names]


def events(endpoint, arn):
    """The history as the server sends it (boto3 drops detail members it does not model)."""
    req = urllib.request.Request(endpoint + "/", data=json.dumps({"executionArn": arn, "maxResults": 1000}).encode(), method="POST",
                                 headers={"X-Amz-Target": "AWSStepFunctions.GetExecutionHistory",
                                          "Content-Type": "application/x-amz-json-1.0"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())["events"]


def summary(event):
    """One line per event: its type, the state it enters, or the delivery it records."""
    details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
    if event["type"] == "WebhookDeliveryReceived":
        return "%s %s -> %s" % (event["type"], details.get("status"), details.get("outcome"))
    if event["type"].endswith("StateEntered"):
        return "%s %s" % (event["type"], details.get("name"))
    return event["type"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["setup", "start", "show", "users"])
    p.add_argument("args", nargs="*")
    p.add_argument("--endpoint", default="http://127.0.0.1:8083")
    p.add_argument("--saas", default="http://127.0.0.1:9100")
    p.add_argument("--jsonata", action="store_true", help="the JSONata definition (email-campaign-jsonata)")
    a = p.parse_intermixed_args()
    if a.command == "setup":
        print(setup(a.endpoint, a.saas, jsonata=a.jsonata))
    elif a.command == "start":
        machine = "arn:aws:states:us-east-1:000000000000:stateMachine:" + (JSONATA_MACHINE if a.jsonata else MACHINE)
        for arn in start(a.endpoint, machine, a.args or ["November newsletter"]):
            print(arn)
    elif a.command == "users":
        for item in client("dynamodb", a.endpoint).scan(TableName=USERS_TABLE)["Items"]:
            print("%s %s" % (item["email"]["S"], " ".join(sorted(item.get("campaigns", {}).get("SS", [])))))
    else:
        sfn = client("stepfunctions", a.endpoint)
        for arn in a.args:
            d = sfn.describe_execution(executionArn=arn)
            print("%s %s %s" % (arn, d["status"], d.get("output") or d.get("error", "")))
            for e in events(a.endpoint, arn):
                print("  %3d %s" % (e["id"], summary(e)))


if __name__ == "__main__":
    main()
