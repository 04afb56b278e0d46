"""Sets up what the conformance cases that need a service use, under the names the cases use,
then runs those cases with ../shared/conformance/sfn/run.py against a server: for
`--needs lambda` (the default) the handlers they name; for `--needs dynamodb` the tables
their inputs name (hash key `id`, a string, as the recording tests created them); for
`--needs s3` the buckets their inputs name, holding the objects the recording tests put
there (the cases keep only their names: the contents below are rebuilt from the recorded
items, one file per kind of test, as LocalStack's test fixtures hold them).

    python3 Tests/compat/lambda_conformance.py --endpoint http://127.0.0.1:8083 [--level history] [--needs dynamodb|s3]
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


STATEMENTS = [{"verdict": "true", "statement_date": "6/11/2008", "statement_source": "speech"},
              {"verdict": "false", "statement_date": "6/7/2022", "statement_source": "television"},
              {"verdict": "mostly-true", "statement_date": "5/18/2016", "statement_source": "news"},
              {"verdict": "false", "statement_date": "5/18/2024", "statement_source": "x"}]
ROWS = "Value1,Value2,Value3\nValue4,Value5,Value6\n,,\ntrue,1,'HelloWorld'\nNull,None,\n   ,,\n"
# Test name fragment -> the object the recording test put under the input's Key.
S3_OBJECTS = {
    "map_item_reader_base_json_with_items_path": json.dumps([["from-bucket-item-0"]]),
    "map_item_reader_base_json#": json.dumps(STATEMENTS[:3]),
    "map_item_reader_base_json_max_items_jsonata": json.dumps(STATEMENTS[:3]),
    "map_item_batching_base_json_max_per_batch_jsonata": json.dumps(STATEMENTS[:3]),
    "test_reference_in_map_state_max_items_path": json.dumps(STATEMENTS),
    "map_item_reader_base_csv_headers_first_line": "Col1,Col2,Col3\n" + ROWS,
    "map_item_reader_base_csv_headers_decl": ROWS,
    "map_item_reader_csv_headers_decl_duplicate_headers": ROWS,
    "map_item_reader_csv_headers_decl_extra_fields": ROWS,
    "map_item_reader_csv_headers_first_row_typed_headers": "0,True,{}\n" + ROWS.split("\n", 1)[1],
    "map_item_reader_csv_max_items": "Col1,Col2\nValue1,Value2\nValue3,Value4\nValue5,Value6\nValue7,Value8\n",
    "test_s3_get_object[str]": "text data",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--level", default="history")
    ap.add_argument("--cases", default=os.path.join(CASES, "cases"))
    ap.add_argument("--needs", default="lambda", choices=["lambda", "dynamodb", "s3"])
    args = ap.parse_args()
    ddb = boto3.client("dynamodb", endpoint_url=args.endpoint, region_name="us-east-1", aws_access_key_id="t",
                       aws_secret_access_key="t", config=Config(retries={"max_attempts": 1}))
    lam = boto3.client("lambda", endpoint_url=args.endpoint, region_name="us-east-1", aws_access_key_id="t",
                       aws_secret_access_key="t", config=Config(retries={"max_attempts": 1}))
    s3 = boto3.client("s3", endpoint_url=args.endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t",
                      config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))
    ids = []
    for f in sorted(glob.glob(os.path.join(args.cases, "*.json"))):
        case = json.load(open(f))
        if args.needs == "s3":
            if not set(case["needs"]) & {"s3", "aws-sdk:s3"} or not set(case["needs"]) <= {"s3", "aws-sdk:s3"}:
                continue
            ids.append(case["id"])
            given = json.loads(case["input"])
            bucket = given.get("Bucket", "")
            if bucket.startswith("bucket-"):
                s3.create_bucket(Bucket=bucket)
                body = S3_OBJECTS.get(next((k for k in S3_OBJECTS if k in case["id"]), ""))
                if body is not None:
                    s3.put_object(Bucket=bucket, Key=given["Key"], Body=body.encode())
            continue
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
