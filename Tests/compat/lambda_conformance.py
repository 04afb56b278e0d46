"""Sets up what the conformance cases that need a service use, under the names the cases use,
then runs those cases with ../shared/conformance/sfn/run.py against a server: for
`--needs lambda` (the default) the handlers they name; for `--needs dynamodb` the tables
their inputs name (hash key `id`, a string, as the recording tests created them).

    python3 Tests/compat/lambda_conformance.py --endpoint http://127.0.0.1:8083 [--level history] [--needs dynamodb]
"""
import argparse
import glob
import io
import json
import os
import re
import subprocess
import sys
import zipfile

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "..", "..", "..", "shared", "conformance", "sfn")


def zipped(fixture):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.write(os.path.join(HERE, "lambdas", fixture), "handler.py")
    return buf.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--level", default="history")
    ap.add_argument("--cases", default=os.path.join(CASES, "cases"))
    ap.add_argument("--needs", default="lambda", choices=["lambda", "dynamodb"])
    args = ap.parse_args()
    ddb = boto3.client("dynamodb", endpoint_url=args.endpoint, region_name="us-east-1", aws_access_key_id="t",
                       aws_secret_access_key="t", config=Config(retries={"max_attempts": 1}))
    lam = boto3.client("lambda", endpoint_url=args.endpoint, region_name="us-east-1", aws_access_key_id="t",
                       aws_secret_access_key="t", config=Config(retries={"max_attempts": 1}))
    ids = []
    for f in sorted(glob.glob(os.path.join(args.cases, "*.json"))):
        case = json.load(open(f))
        if args.needs == "dynamodb":
            if "dynamodb" not in case["needs"] or not set(case["needs"]) <= {"dynamodb", "aws-sdk:dynamodb"}:
                continue
            ids.append(case["id"])
            table = json.loads(case["input"]).get("TableName", "")
            if table.startswith("sfn_test_table"):
                try:
                    ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
                except ddb.exceptions.ResourceInUseException:
                    pass
            continue
        if case["needs"] != ["lambda"]:
            continue
        ids.append(case["id"])
        for fn in case.get("lambda_functions", []):
            try:
                lam.create_function(FunctionName=fn["function_name"], Runtime="python3.12", Role="arn:aws:iam::000000000000:role/l",
                                    Handler="handler.handler", Code={"ZipFile": zipped(os.path.basename(fn["handler_file"]))},
                                    Timeout=120)
            except lam.exceptions.ResourceConflictException:
                pass
    pattern = "^(" + "|".join(re.escape(i) for i in ids) + ")$"
    cmd = [sys.executable, os.path.join(CASES, "run.py"), "--endpoint", args.endpoint, "--cases", args.cases,
           "--level", args.level, "--include-needs", "--filter", pattern, "--jobs", "8"]
    sys.exit(subprocess.call(cmd))


if __name__ == "__main__":
    main()
