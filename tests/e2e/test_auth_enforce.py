"""`--auth verify|soft|enforce` with real clients: boto3 sessions and AWS CLI
profiles holding keys that ironiam created, AWS's errors for bad signatures,
and AccessDenied in AWS's words until a policy allows."""

import json
import os
import subprocess
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server, binary
from helpers import client, error, set_clock

ACCOUNT = "123456789012"
ROOT_ID, ROOT_SECRET = "AKIAROOTENFORCE00001", "root/Secret+Enforce"
IAM_FULL = "arn:aws:iam::aws:policy/IAMFullAccess"
IAM_READ = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}})


@pytest.fixture(scope="module")
def enforcing():
    s = Server("--auth", "enforce", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}", in_memory=True)
    yield s
    s.stop()


@pytest.fixture
def root(enforcing):
    enforcing.reset()
    return client(enforcing, "iam", ROOT_ID, ROOT_SECRET)


def user_session(root, name):
    root.create_user(UserName=name)
    key = root.create_access_key(UserName=name)["AccessKey"]
    return boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                         region_name="us-east-1"), key


def test_denied_then_allowed_then_narrowed_by_a_boundary(enforcing, root):
    session, _ = user_session(root, "alice")
    iam = session.client("iam", endpoint_url=enforcing.endpoint, config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="x", AssumeRolePolicyDocument=TRUST)
    assert error(e) == ("AccessDenied",
                        f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: iam:CreateRole on resource: "
                        f"arn:aws:iam::{ACCOUNT}:role/x because no identity-based policy allows the iam:CreateRole action", 403)

    root.attach_user_policy(UserName="alice", PolicyArn=IAM_FULL)
    assert iam.create_role(RoleName="x", AssumeRolePolicyDocument=TRUST)["Role"]["RoleName"] == "x"

    root.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=IAM_READ)
    assert iam.get_role(RoleName="x")["Role"]["RoleName"] == "x"
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="x")
    assert error(e)[1].endswith("because no permissions boundary allows the iam:DeleteRole action")

    # An explicit deny wins over every allow.
    root.delete_user_permissions_boundary(UserName="alice")
    root.put_user_policy(UserName="alice", PolicyName="no-delete", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "iam:DeleteRole", "Resource": "*"}}))
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="x")
    assert error(e)[1] == (f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: iam:DeleteRole on resource: "
                           f"arn:aws:iam::{ACCOUNT}:role/x with an explicit deny in an identity-based policy")

    # GetCallerIdentity is never denied.
    who = session.client("sts", endpoint_url=enforcing.endpoint).get_caller_identity()
    assert who["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice" and who["Account"] == ACCOUNT


def test_aws_cli_profile_with_keys_ironiam_created(enforcing, root, tmp_path):
    _, key = user_session(root, "cli-user")
    root.put_user_policy(UserName="cli-user", PolicyName="read", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}}))
    (tmp_path / "credentials").write_text(
        f"[cli-user]\naws_access_key_id = {key['AccessKeyId']}\naws_secret_access_key = {key['SecretAccessKey']}\n")
    (tmp_path / "config").write_text("[profile cli-user]\nregion = us-east-1\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"), AWS_CONFIG_FILE=str(tmp_path / "config"))

    def aws(*args):
        return subprocess.run(["aws", *args, "--profile", "cli-user", "--endpoint-url", enforcing.endpoint, "--output", "json"],
                              env=env, capture_output=True, text=True, timeout=60)

    out = aws("sts", "get-caller-identity")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/cli-user"
    out = aws("iam", "list-users")
    assert out.returncode == 0, out.stderr
    assert [u["UserName"] for u in json.loads(out.stdout)["Users"]] == ["cli-user"]
    out = aws("iam", "create-user", "--user-name", "nope")
    assert out.returncode != 0
    assert (f"An error occurred (AccessDenied) when calling the CreateUser operation: User: arn:aws:iam::{ACCOUNT}:user/cli-user "
            f"is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::{ACCOUNT}:user/nope because no "
            "identity-based policy allows the iam:CreateUser action") in out.stderr


def test_bad_credentials_each_answer_aws_error(enforcing, root):
    _, key = user_session(root, "bob")
    with pytest.raises(ClientError) as e:
        client(enforcing, "sts", key["AccessKeyId"], "not-the-secret").get_caller_identity()
    code, message, status = error(e)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert message.startswith("The request signature we calculated does not match the signature you provided.")

    with pytest.raises(ClientError) as e:
        client(enforcing, "sts", "AKIAUNKNOWN000000000", "x").get_caller_identity()
    assert error(e) == ("InvalidClientTokenId", "The security token included in the request is invalid.", 403)

    # A stale date: the server's clock runs 20 minutes ahead of the client's.
    set_clock(enforcing, 1200)
    try:
        with pytest.raises(ClientError) as e:
            client(enforcing, "sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
        code, message, status = error(e)
        assert (code, status) == ("SignatureDoesNotMatch", 403)
        assert message.startswith("Signature expired: ") and message.endswith(" - 15 min.)")
    finally:
        set_clock(enforcing, 0)

    # Unsigned.
    req = urllib.request.Request(enforcing.endpoint + "/", data=b"Action=GetCallerIdentity&Version=2011-06-15", method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req)
    assert e.value.code == 403
    assert b"<Code>MissingAuthenticationToken</Code><Message>Request is missing Authentication Token</Message>" in e.value.read()

    # An inactive key no longer works; its last use is on record.
    client(enforcing, "sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    root.update_access_key(UserName="bob", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as e:
        client(enforcing, "sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    assert error(e)[0] == "InvalidClientTokenId"
    used = root.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert used["ServiceName"] == "sts" and used["Region"] == "us-east-1" and "LastUsedDate" in used


def test_console_asks_for_sign_in_while_enforcing(enforcing):
    # Every console page sends a stranger to the sign-in page; its JSON
    # endpoints answer 401. (Signing in is driven in Chromium: tests/console.)
    with urllib.request.urlopen(enforcing.endpoint + "/console/roles") as page:
        assert page.url.endswith("/console/signin?next=%2Froles")
        body = page.read().decode()
    assert "Your authentication information" not in body and 'id="user-sign-in"' in body
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(enforcing.endpoint + "/console/api/policy?arn=x")
    assert e.value.code == 401


def test_soft_mode_logs_and_allows(tmp_path):
    log = tmp_path / "stderr.log"
    with open(log, "w") as stderr:
        proc = subprocess.Popen([binary(), "serve", "--listen", "127.0.0.1:0", "--in-memory", "--auth", "soft",
                                 "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}"],
                                stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        endpoint = proc.stdout.readline().strip().rsplit(" ", 1)[-1]

        class S:
            pass
        s = S()
        s.endpoint = endpoint
        root = client(s, "iam", ROOT_ID, ROOT_SECRET)
        session, _ = user_session(root, "carol")
        iam = session.client("iam", endpoint_url=endpoint)
        assert iam.create_user(UserName="made-by-carol")["User"]["UserName"] == "made-by-carol"
        for _ in range(50):
            if "iam:CreateUser" in log.read_text():
                break
            time.sleep(0.05)
        text = log.read_text()
        assert "soft mode" in text
        assert (f"User: arn:aws:iam::{ACCOUNT}:user/carol is not authorized to perform: iam:CreateUser on resource: "
                f"arn:aws:iam::{ACCOUNT}:user/made-by-carol because no identity-based policy allows the iam:CreateUser action") in text
    finally:
        proc.kill()
        proc.wait(timeout=10)
