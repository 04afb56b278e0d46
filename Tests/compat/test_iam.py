"""IAM roles and policies through boto3 (the query protocol): stored, not enforced, so that
scripts which create a role before what uses it run unchanged."""
import json

import pytest
from botocore.exceptions import ClientError

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}


def test_roles_and_policies_round_trip(server):
    iam = server.client("iam")
    role = iam.create_role(RoleName="compat-role", AssumeRolePolicyDocument=json.dumps(TRUST), Description="runs workflows")["Role"]
    assert role["Arn"] == "arn:aws:iam::000000000000:role/compat-role" and role["AssumeRolePolicyDocument"] == TRUST
    policy = iam.create_policy(PolicyName="compat-all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))["Policy"]
    iam.attach_role_policy(RoleName="compat-role", PolicyArn=policy["Arn"])
    iam.put_role_policy(RoleName="compat-role", PolicyName="inline", PolicyDocument=json.dumps(TRUST))
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="compat-role")["AttachedPolicies"]] == [policy["Arn"]]
    assert iam.get_role_policy(RoleName="compat-role", PolicyName="inline")["PolicyDocument"] == TRUST
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="compat-role")
    assert e.value.response["Error"]["Code"] == "DeleteConflict"
    iam.detach_role_policy(RoleName="compat-role", PolicyArn=policy["Arn"])
    iam.delete_role_policy(RoleName="compat-role", PolicyName="inline")
    iam.delete_role(RoleName="compat-role")
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName="compat-role")
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="bad", AssumeRolePolicyDocument="not json")
    assert e.value.response["Error"]["Code"] == "MalformedPolicyDocument"
