"""Parameters and secrets through boto3, unchanged, and from a Task state: the email
campaign's SaaS key kept as a SecureString and a secret, read by a workflow."""
import json
import os
import time
import uuid

import pytest

ROLE = "arn:aws:iam::000000000000:role/r"


@pytest.fixture
def ssm(server):
    return server.client("ssm")


@pytest.fixture
def secrets(server):
    return server.client("secretsmanager")


def test_parameter_versions_labels_and_paths(ssm):
    base = "/campaign-%s" % uuid.uuid4().hex[:8]
    assert ssm.put_parameter(Name=base + "/saas/url", Value="https://v1", Type="String")["Version"] == 1
    with pytest.raises(ssm.exceptions.ParameterAlreadyExists):
        ssm.put_parameter(Name=base + "/saas/url", Value="https://v2", Type="String")
    assert ssm.put_parameter(Name=base + "/saas/url", Value="https://v2", Overwrite=True)["Version"] == 2
    ssm.label_parameter_version(Name=base + "/saas/url", ParameterVersion=1, Labels=["stable"])
    assert ssm.get_parameter(Name=base + "/saas/url:stable")["Parameter"]["Value"] == "https://v1"
    assert ssm.get_parameter(Name=base + "/saas/url")["Parameter"]["Value"] == "https://v2"
    ssm.put_parameter(Name=base + "/saas/key", Value="k-123", Type="SecureString")
    ssm.put_parameter(Name=base + "/other", Value="a,b", Type="StringList")
    direct = ssm.get_parameters_by_path(Path=base)["Parameters"]
    assert [p["Name"] for p in direct] == [base + "/other"]
    everything = ssm.get_parameters_by_path(Path=base, Recursive=True, WithDecryption=True)["Parameters"]
    assert {p["Name"]: p["Value"] for p in everything}[base + "/saas/key"] == "k-123"
    hidden = ssm.get_parameter(Name=base + "/saas/key")["Parameter"]["Value"]
    assert hidden != "k-123"
    got = ssm.get_parameters(Names=[base + "/other", base + "/missing"])
    assert [p["Name"] for p in got["Parameters"]] == [base + "/other"] and got["InvalidParameters"] == [base + "/missing"]
    assert len(ssm.get_parameter_history(Name=base + "/saas/url")["Parameters"]) == 2
    ssm.delete_parameter(Name=base + "/other")
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(Name=base + "/other")


def test_secret_stages_and_recovery_window(secrets):
    name = "saas-key-%s" % uuid.uuid4().hex[:8]
    arn = secrets.create_secret(Name=name, SecretString="v1")["ARN"]
    v2 = secrets.put_secret_value(SecretId=name, SecretString="v2")["VersionId"]
    assert secrets.get_secret_value(SecretId=arn)["SecretString"] == "v2"
    assert secrets.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "v1"
    stages = secrets.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages[v2] == ["AWSCURRENT"]
    secrets.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    with pytest.raises(secrets.exceptions.InvalidRequestException):
        secrets.get_secret_value(SecretId=name)
    secrets.restore_secret(SecretId=name)
    assert secrets.get_secret_value(SecretId=name)["SecretString"] == "v2"
    secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    with pytest.raises(secrets.exceptions.ResourceNotFoundException):
        secrets.get_secret_value(SecretId=name)


def test_values_are_encrypted_at_rest_and_readable_from_task_states(server, ssm, secrets, sfn):
    marker = "plaintext-%s" % uuid.uuid4().hex
    ssm.put_parameter(Name="/campaign/api-key", Value=marker, Type="SecureString", Overwrite=True)
    secrets.create_secret(Name="campaign-token-%s" % marker[-6:], SecretString=marker + "-secret")
    data = server.data_dir
    key = os.path.join(data, "secrets.key")
    assert oct(os.stat(key).st_mode & 0o777) == "0o600"
    for f in os.listdir(data):
        if f.startswith("baton.sqlite3"):
            with open(os.path.join(data, f), "rb") as fh:
                assert marker.encode() not in fh.read(), f
    definition = {"StartAt": "Key", "States": {
        "Key": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ssm:getParameter",
                "Parameters": {"Name": "/campaign/api-key", "WithDecryption": True},
                "ResultSelector": {"key.$": "$.Parameter.Value"}, "ResultPath": "$.ssm", "Next": "Token"},
        "Token": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:secretsmanager:getSecretValue",
                  "Parameters": {"SecretId": "campaign-token-%s" % marker[-6:]},
                  "ResultSelector": {"token.$": "$.SecretString"}, "ResultPath": "$.secret", "Next": "Missing"},
        "Missing": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ssm:getParameter",
                    "Parameters": {"Name": "/campaign/nope"},
                    "Catch": [{"ErrorEquals": ["Ssm.ParameterNotFoundException"], "ResultPath": "$.caught", "Next": "Done"}],
                    "End": True},
        "Done": {"Type": "Pass", "End": True}}}
    arn = sfn.create_state_machine(name="params-%s" % marker[-6:], definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    for _ in range(200):
        d = sfn.describe_execution(executionArn=run)
        if d["status"] != "RUNNING":
            break
        time.sleep(0.05)
    assert d["status"] == "SUCCEEDED", d
    out = json.loads(d["output"])
    assert out["ssm"] == {"key": marker} and out["secret"] == {"token": marker + "-secret"}
    assert out["caught"]["Error"] == "Ssm.ParameterNotFoundException"
