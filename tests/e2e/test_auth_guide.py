"""The founding guide end to end in `--auth enforce` mode: the guide's CLI
steps (signed with root keys), then Systems Manager — played through
ironiam's assume-role-as-service endpoint — assumes ecsAnywhereRole for an
on-premises server; with those credentials the AWS CLI sees the assumed-role
ARN and is denied an IAM write. The console's EC2 trust keeps SSM out; a
hardened trust keeps SSM for another account out. Then the authorization
endpoint for self-hosted services."""

import json
import os
import shlex
import subprocess

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest

from conftest import Server, guide_blocks

ACCOUNT = "123456789012"
ROOT_ID, ROOT_SECRET = "AKIAROOTGUIDEENFORCE", "root/Secret+Guide"
ECS_EC2 = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/ecsAnywhereRole"
INSTANCE = "mi-0123456789abcdef0"
# What the console's "EC2 Role for Elastic Container Service" use case writes.
EC2_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}, indent=4)


@pytest.fixture(scope="module")
def server():
    s = Server("--auth", "enforce", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}", in_memory=True)
    yield s
    s.stop()


def cli_env(tmp_path, profiles):
    """An environment whose AWS CLI knows only `profiles` ({name: (id, secret, token)})."""
    creds = ""
    for name, (key_id, secret, token) in profiles.items():
        creds += f"[{name}]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
        if token:
            creds += f"aws_session_token = {token}\n"
    (tmp_path / "credentials").write_text(creds)
    (tmp_path / "config").write_text("".join(f"[profile {n}]\nregion = us-east-1\n" for n in profiles))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"), AWS_CONFIG_FILE=str(tmp_path / "config"))
    return env


def aws(server, env, profile, command, cwd):
    args = shlex.split(command) + ["--endpoint-url", server.endpoint, "--profile", profile, "--output", "json"]
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def post(server, path, body):
    status, out = server.test_endpoint(path, json.dumps(body).encode(), {"content-type": "application/json"})
    return status, json.loads(out)


def ssm_assumes(server, role_arn=ROLE_ARN, source_account=ACCOUNT):
    return post(server, "/_ironiam/assume-role-as-service", {
        "service": "ssm.amazonaws.com", "role_arn": role_arn, "session_name": INSTANCE,
        "source_account": source_account,
        "source_arn": f"arn:aws:ssm:us-east-1:{source_account}:managed-instance/{INSTANCE}"})


def test_the_guide_in_enforce_mode(server, tmp_path):
    server.reset()
    env = cli_env(tmp_path, {"admin": (ROOT_ID, ROOT_SECRET, None)})
    blocks = guide_blocks()
    (tmp_path / "ssm-trust-policy.json").write_text(next(b for b in blocks if '"Statement": {' in b) + "\n")
    out = aws(server, env, "admin", next(b for b in blocks if b.startswith("aws iam create-role")), tmp_path)
    assert out.returncode == 0, out.stderr
    attach = next(b for b in blocks if b.startswith("aws iam attach-role-policy")).splitlines()
    for line in (attach[0], attach[1] + " " + ECS_EC2):
        out = aws(server, env, "admin", line, tmp_path)
        assert out.returncode == 0, out.stderr

    # An unsigned request gets nowhere.
    unsigned = subprocess.run(["aws", "iam", "get-role", "--role-name", "ecsAnywhereRole", "--no-sign-request",
                               "--endpoint-url", server.endpoint], env=env, capture_output=True, text=True, timeout=60)
    assert "MissingAuthenticationToken" in unsigned.stderr

    # Systems Manager registers an on-premises server and assumes the role for it.
    status, issued = ssm_assumes(server)
    assert status == 200, issued
    creds = issued["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert issued["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/ecsAnywhereRole/{INSTANCE}"

    # On the server, the AWS CLI with those credentials.
    env = cli_env(tmp_path, {"admin": (ROOT_ID, ROOT_SECRET, None),
                             "onprem": (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])})
    out = aws(server, env, "onprem", "aws sts get-caller-identity", tmp_path)
    assert out.returncode == 0, out.stderr
    who = json.loads(out.stdout)
    role_id = json.loads(aws(server, env, "admin", "aws iam get-role --role-name ecsAnywhereRole", tmp_path).stdout)["Role"]["RoleId"]
    assert who == {"UserId": f"{role_id}:{INSTANCE}", "Account": ACCOUNT,
                   "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/ecsAnywhereRole/{INSTANCE}"}
    out = aws(server, env, "onprem", "aws iam create-user --user-name intruder", tmp_path)
    assert out.returncode != 0
    assert (f"An error occurred (AccessDenied) when calling the CreateUser operation: User: arn:aws:sts::{ACCOUNT}:"
            f"assumed-role/ecsAnywhereRole/{INSTANCE} is not authorized to perform: iam:CreateUser on resource: "
            f"arn:aws:iam::{ACCOUNT}:user/intruder because no identity-based policy allows the iam:CreateUser action") in out.stderr
    out = aws(server, env, "onprem", "aws iam attach-role-policy --role-name ecsAnywhereRole "
                                     "--policy-arn arn:aws:iam::aws:policy/AdministratorAccess", tmp_path)
    assert out.returncode != 0 and "AccessDenied" in out.stderr

    # The console's EC2 trust does not let SSM in.
    out = aws(server, env, "admin", f"aws iam create-role --role-name consoleRole --assume-role-policy-document '{EC2_TRUST}'", tmp_path)
    assert out.returncode == 0, out.stderr
    status, refused = ssm_assumes(server, role_arn=f"arn:aws:iam::{ACCOUNT}:role/consoleRole")
    assert status == 403
    assert refused["error"] == {"code": "AccessDenied", "message":
                                f"Service: ssm.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: "
                                f"arn:aws:iam::{ACCOUNT}:role/consoleRole because no resource-based policy allows the sts:AssumeRole action"}

    # Hardened as AWS advises: SSM acting for this account only.
    hardened = json.dumps({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"},
                           "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}})
    out = aws(server, env, "admin", f"aws iam update-assume-role-policy --role-name ecsAnywhereRole --policy-document '{hardened}'", tmp_path)
    assert out.returncode == 0, out.stderr
    assert ssm_assumes(server)[0] == 200
    status, refused = ssm_assumes(server, source_account="111122223333")
    assert status == 403 and refused["error"]["code"] == "AccessDenied"


def test_authorize_endpoint_for_self_hosted_services(server):
    server.reset()
    root = boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=ROOT_ID, aws_secret_access_key=ROOT_SECRET)
    root.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "reports"}])
    root.put_user_policy(UserName="alice", PolicyName="reports", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "reports:Get*", "Resource": "arn:aws:reports:::report/${aws:username}/*"},
        {"Effect": "Allow", "Action": "reports:Publish", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}))
    alice = f"arn:aws:iam::{ACCOUNT}:user/alice"

    status, out = post(server, "/_ironiam/authorize", {"principal": alice, "action": "reports:GetReport",
                                                      "resource": "arn:aws:reports:::report/alice/q1"})
    assert status == 200, out
    assert out["allowed"] is True and out["decision"] == "allowed" and out["message"] is None
    assert out["matched_statements"] == [{"policy_type": "identity-based policy", "policy_id": "reports",
                                          "statement_index": 0, "sid": None, "effect": "Allow"}]

    status, out = post(server, "/_ironiam/authorize", {"principal": alice, "action": "reports:GetReport",
                                                      "resource": "arn:aws:reports:::report/bob/q1"})
    assert out["decision"] == "implicitDeny" and out["denied_by"] == "identity-based policy"
    assert out["message"] == (f"User: {alice} is not authorized to perform: reports:GetReport on resource: "
                              "arn:aws:reports:::report/bob/q1 because no identity-based policy allows the reports:GetReport action")

    status, out = post(server, "/_ironiam/authorize", {"principal": alice, "action": "reports:Publish"})
    assert out["decision"] == "implicitDeny" and out["missing_context_keys"] == ["aws:SourceIp"]
    status, out = post(server, "/_ironiam/authorize", {"principal": alice, "action": "reports:Publish",
                                                      "context": {"aws:SourceIp": "10.1.2.3"}})
    assert out["allowed"] is True

    # The same question from a SigV4-signed request, which ironiam verifies.
    key = root.create_access_key(UserName="alice")["AccessKey"]

    def signed(secret):
        request = botocore.awsrequest.AWSRequest(method="GET", url="https://reports.internal/report/alice/q1",
                                                 headers={"host": "reports.internal"})
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(key["AccessKeyId"], secret), "reports", "us-east-1").add_auth(request)
        return {"method": "GET", "path": "/report/alice/q1", "query": "", "body": "",
                "headers": {k.lower(): v for k, v in request.headers.items()}}

    status, out = post(server, "/_ironiam/authorize", {"signed_request": signed(key["SecretAccessKey"]),
                                                      "action": "reports:GetReport", "resource": "arn:aws:reports:::report/alice/q1"})
    assert status == 200, out
    assert out["principal"]["arn"] == alice and out["allowed"] is True
    status, out = post(server, "/_ironiam/authorize", {"signed_request": signed("wrong"), "action": "reports:GetReport"})
    assert status == 403 and out["error"]["code"] == "SignatureDoesNotMatch"

    status, out = post(server, "/_ironiam/authorize", {"principal": f"arn:aws:iam::{ACCOUNT}:user/nobody", "action": "x:Y"})
    assert status == 404 and out["error"]["code"] == "NoSuchEntity"
