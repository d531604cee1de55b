"""GetRole's RoleLastUsed through the real binary with boto3, in `--auth
enforce` mode on a data directory: AssumeRole and requests signed with the
session's credentials count as use, in their region; it survives a restart;
a role deleted and re-created under the same name starts with none."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from conftest import Server
from helpers import client, doc, set_clock

ACCOUNT = "123456789012"
ROOT_ID, ROOT_SECRET = "AKIAROOTLASTUSED0001", "root/Secret+LastUsed"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/worker"


def trust(principal):
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


def post(server, path, body=b""):
    status, out = server.test_endpoint(path, body, {"content-type": "application/json"})
    assert status == 200, out
    return out


def last_used(root, name="worker"):
    return root.get_role(RoleName=name)["Role"].get("RoleLastUsed", {})


@pytest.fixture(scope="module")
def server():
    s = Server("--auth", "enforce", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}")
    yield s
    s.stop()


@pytest.fixture
def root(server):
    server.reset()
    set_clock(server, 0)
    return client(server, "iam", ROOT_ID, ROOT_SECRET)


def test_role_last_used_follows_assume_role_session_use_and_restart(server, root):
    root.create_user(UserName="alice")
    root.put_user_policy(UserName="alice", PolicyName="p",
                         PolicyDocument=doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    key = root.create_access_key(UserName="alice")["AccessKey"]
    root.create_role(RoleName="worker", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    assert "LastUsedDate" not in last_used(root)

    # AssumeRole is a use, in the region of the STS request.
    sts = client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"], region="eu-west-1")
    before = datetime.now(timezone.utc).replace(microsecond=0)
    creds = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="build")["Credentials"]
    assumed = last_used(root)
    assert assumed["Region"] == "eu-west-1"
    assert before - timedelta(seconds=2) <= assumed["LastUsedDate"] <= datetime.now(timezone.utc) + timedelta(seconds=2)
    # ListRoles does not carry it, as in AWS.
    assert all("RoleLastUsed" not in r for r in root.list_roles()["Roles"])

    # Two minutes later, a request signed with the session's credentials moves it forward.
    set_clock(server, 120)
    session = client(server, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], region="ap-southeast-2")
    assert session.get_caller_identity()["Arn"].endswith("assumed-role/worker/build")
    used = last_used(root)
    assert used["Region"] == "ap-southeast-2"
    assert used["LastUsedDate"] >= assumed["LastUsedDate"] + timedelta(seconds=110)

    # kill -9 and start again on the same data directory (on a new port).
    server.restart()
    root = client(server, "iam", ROOT_ID, ROOT_SECRET)
    session = client(server, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], region="ap-southeast-2")
    assert last_used(root) == used

    # A role deleted and re-created under the same name is a new role with no history,
    # even when a session of the old one is used again.
    root.delete_role(RoleName="worker")
    root.create_role(RoleName="worker", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    assert "LastUsedDate" not in last_used(root)
    session.get_caller_identity()
    assert "LastUsedDate" not in last_used(root)
    server.restart()
    assert "LastUsedDate" not in last_used(client(server, "iam", ROOT_ID, ROOT_SECRET))


def test_assume_role_as_service_records_its_region(server, root):
    root.create_role(RoleName="ssm-role", AssumeRolePolicyDocument=trust({"Service": "ssm.amazonaws.com"}))
    body = json.dumps({"service": "ssm.amazonaws.com", "role_arn": f"arn:aws:iam::{ACCOUNT}:role/ssm-role",
                       "region": "eu-central-1"}).encode()
    post(server, "/_ironiam/assume-role-as-service", body)
    assert last_used(root, "ssm-role")["Region"] == "eu-central-1"


def test_a_clean_stop_keeps_the_last_use_the_journal_interval_held_back(server, root):
    # Uses within a minute of the last journaled one live in memory only;
    # SIGTERM journals them before the process exits.
    root.create_role(RoleName="ssm-role", AssumeRolePolicyDocument=trust({"Service": "ssm.amazonaws.com"}))
    for offset, region in [(0, "eu-central-1"), (10, "us-west-2")]:
        set_clock(server, offset)
        body = json.dumps({"service": "ssm.amazonaws.com", "role_arn": f"arn:aws:iam::{ACCOUNT}:role/ssm-role",
                           "region": region}).encode()
        post(server, "/_ironiam/assume-role-as-service", body)
    held_back = last_used(root, "ssm-role")
    assert held_back["Region"] == "us-west-2"
    assert server.terminate() == 0
    server.start()
    assert last_used(client(server, "iam", ROOT_ID, ROOT_SECRET), "ssm-role") == held_back
