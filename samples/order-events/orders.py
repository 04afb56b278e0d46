#!/usr/bin/env python3
"""The order sample: a workflow publishes events that start other workflows through rules.

    python3 samples/order-events/orders.py setup            # state machines, rules, targets
    python3 samples/order-events/orders.py place ORDER AMOUNT
    python3 samples/order-events/orders.py show             # every execution of the three workflows

Point it elsewhere with --endpoint (default http://127.0.0.1:8083).
"""
import argparse
import json
import time

import boto3
from botocore.config import Config

ROLE = "arn:aws:iam::000000000000:role/orders"
ACCOUNT = "000000000000"

PLACE = {
    "Comment": "Takes an order and announces it on the bus.",
    "StartAt": "Price",
    "States": {
        "Price": {"Type": "Pass", "Parameters": {"order.$": "$.order", "amount.$": "$.amount"},
                  "Next": "Announce"},
        "Announce": {
            "Type": "Task", "Resource": "arn:aws:states:::events:putEvents", "ResultPath": "$.announced",
            "Parameters": {"Entries": [{"Source": "shop.orders", "DetailType": "OrderPlaced",
                                        "Detail": {"order.$": "$.order", "amount.$": "$.amount"}}]},
            "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}], "End": True},
    },
}

SHIP = {
    "Comment": "Started by the OrderPlaced rule, with the event reshaped by an InputTransformer.",
    "StartAt": "Ship",
    "States": {"Ship": {"Type": "Pass", "Parameters": {"shipping.$": "$.order", "note.$": "$.note"}, "End": True}},
}

AUDIT = {
    "Comment": "Started by a schedule and by large orders (a numeric pattern).",
    "StartAt": "Record",
    "States": {"Record": {"Type": "Pass", "End": True}},
}


def clients(endpoint):
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
              config=Config(inject_host_prefix=False))
    return boto3.client("stepfunctions", **kw), boto3.client("events", **kw)


def arn(name):
    return "arn:aws:states:us-east-1:%s:stateMachine:%s" % (ACCOUNT, name)


def setup(sfn, events):
    for name, definition in [("place-order", PLACE), ("ship-order", SHIP), ("audit", AUDIT)]:
        try:
            sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)
        except sfn.exceptions.StateMachineAlreadyExists:
            sfn.update_state_machine(stateMachineArn=arn(name), definition=json.dumps(definition))
    events.put_rule(Name="order-placed", EventPattern=json.dumps({"source": ["shop.orders"], "detail-type": ["OrderPlaced"]}))
    events.put_targets(Rule="order-placed", Targets=[{
        "Id": "ship", "Arn": arn("ship-order"),
        "InputTransformer": {"InputPathsMap": {"order": "$.detail.order", "amount": "$.detail.amount"},
                             "InputTemplate": '{"order": <order>, "note": "ship order <order> worth <amount>"}'}}])
    events.put_rule(Name="large-orders", EventPattern=json.dumps(
        {"source": ["shop.orders"], "detail": {"amount": [{"numeric": [">=", 1000]}]}}))
    events.put_targets(Rule="large-orders", Targets=[{"Id": "audit", "Arn": arn("audit"), "InputPath": "$.detail"}])
    events.put_rule(Name="hourly-audit", ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule="hourly-audit", Targets=[{"Id": "audit", "Arn": arn("audit"), "Input": json.dumps({"scheduled": True})}])
    print(arn("place-order"))


def place(sfn, order, amount):
    r = sfn.start_execution(stateMachineArn=arn("place-order"), name=order, input=json.dumps({"order": order, "amount": amount}))
    print(r["executionArn"])


def show(sfn):
    for name in ["place-order", "ship-order", "audit"]:
        for e in sfn.list_executions(stateMachineArn=arn(name))["executions"]:
            d = sfn.describe_execution(executionArn=e["executionArn"])
            print(name, d["status"], d["input"])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", default="http://127.0.0.1:8083")
    p.add_argument("command", choices=["setup", "place", "show"])
    p.add_argument("args", nargs="*")
    a = p.parse_args()
    sfn, events = clients(a.endpoint)
    if a.command == "setup":
        setup(sfn, events)
    elif a.command == "place":
        place(sfn, a.args[0], int(a.args[1]))
    else:
        show(sfn)


if __name__ == "__main__":
    main()
