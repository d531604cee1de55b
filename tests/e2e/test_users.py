"""IAM users and access keys through boto3 and the AWS CLI, with AWS's errors."""

import json
import os
import re
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import Server
from helpers import error

ACCOUNT = "123456789012"
S3_READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


def test_create_get_update_delete(iam):
    boundary = iam.create_policy(PolicyName="Boundary", PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]
    created = iam.create_user(UserName="alice", Path="/eng/", PermissionsBoundary=boundary,
                              Tags=[{"Key": "team", "Value": "platform"}])["User"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/eng/alice"
    assert re.fullmatch(r"AIDA[A-Z2-7]{17}", created["UserId"])
    got = iam.get_user(UserName="ALICE")["User"]
    assert got["UserName"] == "alice" and got["UserId"] == created["UserId"]
    assert got["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    assert got["Tags"] == [{"Key": "team", "Value": "platform"}]
    assert iam.get_policy(PolicyArn=boundary)["Policy"]["PermissionsBoundaryUsageCount"] == 1

    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="Alice")
    assert error(e) == ("EntityAlreadyExists", "User with name Alice already exists.", 409)

    iam.create_user(UserName="bob")
    with pytest.raises(ClientError) as e:
        iam.update_user(UserName="alice", NewUserName="BOB")
    assert error(e) == ("EntityAlreadyExists", "User with name BOB already exists.", 409)
    iam.update_user(UserName="alice", NewUserName="alice2", NewPath="/ops/")
    assert iam.get_user(UserName="alice2")["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/ops/alice2"
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName="alice")
    assert error(e) == ("NoSuchEntity", "The user with name alice cannot be found.", 404)

    iam.delete_user_permissions_boundary(UserName="alice2")
    assert "PermissionsBoundary" not in iam.get_user(UserName="alice2")["User"]
    iam.delete_user(UserName="alice2")
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="alice2")
    assert error(e)[0] == "NoSuchEntity"


def test_get_user_without_a_name_is_the_caller(iam):
    # With --auth off, unknown credentials act as the account's root user.
    user = iam.get_user()["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert user["UserId"] == ACCOUNT


def test_list_users_pages_and_filters_by_path(iam):
    for i in range(7):
        iam.create_user(UserName=f"user{i}", Path="/odd/" if i % 2 else "/")
    pages = list(iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 3}))
    assert len(pages) == 3
    assert [u["UserName"] for p in pages for u in p["Users"]] == [f"user{i}" for i in range(7)]
    assert "Tags" not in pages[0]["Users"][0]
    odd = iam.list_users(PathPrefix="/odd/")["Users"]
    assert [u["UserName"] for u in odd] == ["user1", "user3", "user5"]


def test_inline_and_managed_policies(iam):
    iam.create_user(UserName="u")
    iam.put_user_policy(UserName="u", PolicyName="read", PolicyDocument=json.dumps(S3_READ))
    got = iam.get_user_policy(UserName="u", PolicyName="read")
    assert got["PolicyDocument"] == S3_READ and got["UserName"] == "u"
    assert iam.list_user_policies(UserName="u")["PolicyNames"] == ["read"]
    with pytest.raises(ClientError) as e:
        iam.get_user_policy(UserName="u", PolicyName="nope")
    assert error(e) == ("NoSuchEntity", "The user policy with name nope cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName="u", PolicyName="big", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                      "Resource": f"arn:aws:s3:::{'x' * 2100}"}]}))
    assert error(e) == ("LimitExceeded", "Maximum policy size of 2048 bytes exceeded for user u", 409)

    mine = iam.create_policy(PolicyName="Mine", PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="u", PolicyArn=mine)
    iam.attach_user_policy(UserName="u", PolicyArn=SSM_CORE)
    attached = iam.list_attached_user_policies(UserName="u")["AttachedPolicies"]
    assert attached == [{"PolicyName": "Mine", "PolicyArn": mine}, {"PolicyName": "AmazonSSMManagedInstanceCore", "PolicyArn": SSM_CORE}]
    assert iam.get_policy(PolicyArn=mine)["Policy"]["AttachmentCount"] == 1
    entities = iam.list_entities_for_policy(PolicyArn=mine)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["u"] and entities["PolicyRoles"] == []
    assert iam.list_entities_for_policy(PolicyArn=mine, EntityFilter="Role")["PolicyUsers"] == []
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=mine)
    assert error(e) == ("DeleteConflict", "Cannot delete a policy attached to entities.", 409)

    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="u")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    iam.detach_user_policy(UserName="u", PolicyArn=mine)
    iam.detach_user_policy(UserName="u", PolicyArn=SSM_CORE)
    with pytest.raises(ClientError) as e:
        iam.detach_user_policy(UserName="u", PolicyArn=mine)
    assert error(e) == ("NoSuchEntity", f"Policy {mine} was not found.", 404)
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="u")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    iam.delete_user_policy(UserName="u", PolicyName="read")
    iam.delete_user(UserName="u")
    iam.delete_policy(PolicyArn=mine)


def test_attach_quota_and_missing_policy(iam):
    iam.create_user(UserName="u")
    with pytest.raises(ClientError) as e:
        iam.attach_user_policy(UserName="u", PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/Missing")
    assert error(e) == ("NoSuchEntity", f"Policy arn:aws:iam::{ACCOUNT}:policy/Missing does not exist or is not attachable.", 404)
    arns = [p["Arn"] for p in iam.list_policies(Scope="AWS", MaxItems=11)["Policies"] if p["IsAttachable"]][:11]
    for arn in arns[:10]:
        iam.attach_user_policy(UserName="u", PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.attach_user_policy(UserName="u", PolicyArn=arns[10])
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for PoliciesPerUser: 10", 409)


def test_user_tags(iam):
    iam.create_user(UserName="u", Tags=[{"Key": "a", "Value": "1"}])
    iam.tag_user(UserName="u", Tags=[{"Key": "A", "Value": "2"}, {"Key": "b", "Value": ""}])
    assert iam.list_user_tags(UserName="u")["Tags"] == [{"Key": "A", "Value": "2"}, {"Key": "b", "Value": ""}]
    iam.untag_user(UserName="u", TagKeys=["b", "absent"])
    assert iam.list_user_tags(UserName="u")["Tags"] == [{"Key": "A", "Value": "2"}]
    with pytest.raises(ClientError) as e:
        iam.tag_user(UserName="u", Tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)])
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for TagsPerUser: 50", 409)


def test_access_keys(iam):
    iam.create_user(UserName="u")
    first = iam.create_access_key(UserName="u")["AccessKey"]
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", first["AccessKeyId"])
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", first["SecretAccessKey"])
    assert first["Status"] == "Active" and first["UserName"] == "u"
    second = iam.create_access_key(UserName="u")["AccessKey"]
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName="u")
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)

    listed = iam.list_access_keys(UserName="u")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [first["AccessKeyId"], second["AccessKeyId"]]
    assert all("SecretAccessKey" not in k for k in listed)
    iam.update_access_key(UserName="u", AccessKeyId=second["AccessKeyId"], Status="Inactive")
    assert [k["Status"] for k in iam.list_access_keys(UserName="u")["AccessKeyMetadata"]] == ["Active", "Inactive"]

    last = iam.get_access_key_last_used(AccessKeyId=first["AccessKeyId"])
    assert last["UserName"] == "u"
    assert last["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}

    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="u")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must delete access keys first.", 409)
    with pytest.raises(ClientError) as e:
        iam.delete_access_key(UserName="u", AccessKeyId="AKIAAAAAAAAAAAAAAAAA")
    assert error(e) == ("NoSuchEntity", "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.", 404)
    for k in (first, second):
        iam.delete_access_key(UserName="u", AccessKeyId=k["AccessKeyId"])
    assert iam.list_access_keys(UserName="u")["AccessKeyMetadata"] == []
    iam.delete_user(UserName="u")


def test_access_keys_with_the_cli(server, tmp_path):
    server.reset()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "x",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp_path / "config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials")}

    def aws(*args):
        out = subprocess.run(["aws", *args, "--endpoint-url", server.endpoint, "--output", "json"],
                             env=env, capture_output=True, text=True, check=True)
        return json.loads(out.stdout) if out.stdout.strip() else None

    aws("iam", "create-user", "--user-name", "cli-user")
    key = aws("iam", "create-access-key", "--user-name", "cli-user")["AccessKey"]
    assert key["UserName"] == "cli-user" and len(key["SecretAccessKey"]) == 40
    listed = aws("iam", "list-access-keys", "--user-name", "cli-user")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]


def test_secrets_are_sealed_at_rest_and_survive_restart():
    server = Server()
    try:
        iam = server.client("iam")
        iam.create_user(UserName="durable")
        key = iam.create_access_key(UserName="durable")["AccessKey"]
        server.restart()
        iam = server.client("iam")
        assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="durable")["AccessKeyMetadata"]] == [key["AccessKeyId"]]
        key_file = Path(server.data_dir) / "server.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        # The database holds the key id but never the secret in the clear.
        db = sqlite3.connect(Path(server.data_dir) / "ironiam.sqlite3")
        dump = "\n".join(db.iterdump())
        db.close()
        assert key["AccessKeyId"] in dump
        assert key["SecretAccessKey"] not in dump
        for path in Path(server.data_dir).iterdir():
            assert key["SecretAccessKey"].encode() not in path.read_bytes(), path
    finally:
        server.stop()
