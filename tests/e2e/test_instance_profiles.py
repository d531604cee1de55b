"""Instance profiles against the real binary (issue 11 item 5): every
operation through boto3, AWS's errors, messages and quotas, pagination,
enforcement in `--auth enforce` (AddRoleToInstanceProfile also needs
iam:PassRole on the role), kill -9 durability, and the AWS CLI's common path.

AWS's messages asserted here were seen in AWS's own answers; the two that
are not (TagsPerInstanceProfile, removing a role a profile does not hold)
say so where they are asserted."""

import json
import os
import re
import shlex
import subprocess
import threading
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import Server
from helpers import client, doc, error

ACCOUNT = "123456789012"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
REMOVE_FIRST = "Cannot delete entity, must remove roles from instance profile first."
ONE_ROLE = "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"


def fails(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return error(e)


def test_create_get_and_the_shape_aws_documents(iam):
    created = iam.create_instance_profile(InstanceProfileName="Webserver", Path="/app/")["InstanceProfile"]
    assert created["InstanceProfileName"] == "Webserver"
    assert created["Path"] == "/app/"
    assert re.fullmatch(r"AIPA[A-Z2-7]{17}", created["InstanceProfileId"])
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/app/Webserver"
    assert created["Roles"] == []
    assert "Tags" not in created
    got = iam.get_instance_profile(InstanceProfileName="WEBSERVER")["InstanceProfile"]
    assert got == created

    iam.create_role(RoleName="S3Access", Path="/app/", AssumeRolePolicyDocument=TRUST, Description="d")
    iam.add_role_to_instance_profile(InstanceProfileName="webserver", RoleName="s3access")
    role = iam.get_instance_profile(InstanceProfileName="Webserver")["InstanceProfile"]["Roles"][0]
    assert role["RoleName"] == "S3Access"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/app/S3Access"
    assert role["RoleId"].startswith("AROA")
    assert json.loads(json.dumps(role["AssumeRolePolicyDocument"])) == json.loads(TRUST)
    # AWS's example response shows a profile's roles without RoleLastUsed or tags.
    assert "RoleLastUsed" not in role and "Tags" not in role


def test_raw_xml_members_in_the_models_order(server, iam):
    iam.create_role(RoleName="R", AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "k", "Value": "v"}])
    iam.create_instance_profile(InstanceProfileName="P", Tags=[{"Key": "team", "Value": "web"}])
    iam.add_role_to_instance_profile(InstanceProfileName="P", RoleName="R")
    body = urllib.request.urlopen(urllib.request.Request(
        server.endpoint + "/?Action=GetInstanceProfile&Version=2010-05-08&InstanceProfileName=P")).read().decode()
    profile = body[body.index("<InstanceProfile>"):body.index("</InstanceProfile>")]
    order = [m for m in re.findall(r"<(\w+)>", profile) if m in
             ("Path", "InstanceProfileName", "InstanceProfileId", "Arn", "CreateDate", "Roles", "Tags")]
    # The role's own Path and Arn appear inside Roles.
    assert order[:6] == ["Path", "InstanceProfileName", "InstanceProfileId", "Arn", "CreateDate", "Roles"]
    assert order[-1] == "Tags"
    assert "RoleLastUsed" not in body
    listing = urllib.request.urlopen(urllib.request.Request(
        server.endpoint + "/?Action=ListInstanceProfiles&Version=2010-05-08")).read().decode()
    # Listings leave tags out, as AWS's do (of the profile and of its role).
    assert "<Tags>" not in listing and "<RoleName>R</RoleName>" in listing


def test_errors_and_messages(iam):
    iam.create_instance_profile(InstanceProfileName="Web")
    assert fails(iam.create_instance_profile, InstanceProfileName="WEB") == (
        "EntityAlreadyExists", "Instance Profile WEB already exists.", 409)
    assert fails(iam.get_instance_profile, InstanceProfileName="nope") == (
        "NoSuchEntity", "Instance Profile nope cannot be found.", 404)
    assert fails(iam.delete_instance_profile, InstanceProfileName="nope") == (
        "NoSuchEntity", "Instance Profile nope cannot be found.", 404)
    assert fails(iam.add_role_to_instance_profile, InstanceProfileName="Web", RoleName="ghost") == (
        "NoSuchEntity", "The role with name ghost cannot be found.", 404)
    assert fails(iam.add_role_to_instance_profile, InstanceProfileName="nope", RoleName="ghost")[0] == "NoSuchEntity"
    assert fails(iam.list_instance_profiles_for_role, RoleName="ghost") == (
        "NoSuchEntity", "The role with name ghost cannot be found.", 404)
    assert fails(iam.tag_instance_profile, InstanceProfileName="nope", Tags=[{"Key": "a", "Value": "b"}])[0] == "NoSuchEntity"
    assert fails(iam.list_instance_profile_tags, InstanceProfileName="nope")[0] == "NoSuchEntity"

    iam.create_role(RoleName="App", AssumeRolePolicyDocument=TRUST)
    iam.create_role(RoleName="Other", AssumeRolePolicyDocument=TRUST)
    iam.add_role_to_instance_profile(InstanceProfileName="Web", RoleName="App")
    # One role per profile, and AWS answers the quota even for the same role again.
    assert fails(iam.add_role_to_instance_profile, InstanceProfileName="Web", RoleName="Other") == ("LimitExceeded", ONE_ROLE, 409)
    assert fails(iam.add_role_to_instance_profile, InstanceProfileName="Web", RoleName="App") == ("LimitExceeded", ONE_ROLE, 409)
    # Delete conflicts, both ways.
    assert fails(iam.delete_instance_profile, InstanceProfileName="Web") == ("DeleteConflict", REMOVE_FIRST, 409)
    assert fails(iam.delete_role, RoleName="App") == ("DeleteConflict", REMOVE_FIRST, 409)

    iam.remove_role_from_instance_profile(InstanceProfileName="Web", RoleName="app")
    # NoSuchEntity is AWS's code; this message for a role not in the profile is unverified.
    assert fails(iam.remove_role_from_instance_profile, InstanceProfileName="Web", RoleName="App") == (
        "NoSuchEntity", "The role with name App cannot be found.", 404)
    iam.delete_role(RoleName="App")
    iam.delete_instance_profile(InstanceProfileName="web")
    assert fails(iam.get_instance_profile, InstanceProfileName="Web")[0] == "NoSuchEntity"


def test_model_constraints_are_checked(raw_iam):
    code, message, status = fails(raw_iam.create_instance_profile, InstanceProfileName="bad name")
    assert (code, status) == ("ValidationError", 400) and "instanceProfileName" in message
    code, _, status = fails(raw_iam.create_instance_profile, InstanceProfileName="p", Path="no-slashes")
    assert (code, status) == ("ValidationError", 400)


def test_listing_by_path_and_pages(iam):
    for i in range(7):
        iam.create_instance_profile(InstanceProfileName=f"p{i}", Path="/odd/" if i % 2 else "/")
    pages = list(iam.get_paginator("list_instance_profiles").paginate(PaginationConfig={"PageSize": 3}))
    assert len(pages) == 3 and pages[0]["IsTruncated"] and not pages[-1]["IsTruncated"]
    assert [p["InstanceProfileName"] for page in pages for p in page["InstanceProfiles"]] == [f"p{i}" for i in range(7)]
    odd = iam.list_instance_profiles(PathPrefix="/odd/")["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in odd] == ["p1", "p3", "p5"]
    assert fails(iam.list_instance_profiles, Marker="zz")[0] == "InvalidInput"

    iam.create_role(RoleName="App", AssumeRolePolicyDocument=TRUST)
    for name in ("p0", "p2", "p4", "p5"):
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName="App")
    pages = list(iam.get_paginator("list_instance_profiles_for_role").paginate(RoleName="app", PaginationConfig={"PageSize": 3}))
    assert len(pages) == 2
    assert [p["InstanceProfileName"] for page in pages for p in page["InstanceProfiles"]] == ["p0", "p2", "p4", "p5"]
    assert all(p["Roles"][0]["RoleName"] == "App" for page in pages for p in page["InstanceProfiles"])
    iam.create_role(RoleName="Lonely", AssumeRolePolicyDocument=TRUST)
    assert iam.list_instance_profiles_for_role(RoleName="Lonely")["InstanceProfiles"] == []


def test_tags(iam):
    tags = [{"Key": f"k{i}", "Value": str(i)} for i in range(50)]
    iam.create_instance_profile(InstanceProfileName="Full", Tags=tags)
    assert iam.get_instance_profile(InstanceProfileName="Full")["InstanceProfile"]["Tags"] == tags
    # The quota's name is unverified (AWS's pattern: TagsPerRole, TagsPerUser).
    too_many = ("LimitExceeded", "Cannot exceed quota for TagsPerInstanceProfile: 50", 409)
    assert fails(iam.tag_instance_profile, InstanceProfileName="Full", Tags=[{"Key": "more", "Value": ""}]) == too_many
    assert fails(iam.create_instance_profile, InstanceProfileName="Over", Tags=tags + [{"Key": "x", "Value": ""}])[0] in (
        "LimitExceeded", "ValidationError")  # the model caps the list at 50 too
    assert fails(iam.create_instance_profile, InstanceProfileName="Dup",
                 Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]) == (
        "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400)
    # Overwriting a key (ignoring case) is not over the quota.
    iam.tag_instance_profile(InstanceProfileName="Full", Tags=[{"Key": "K0", "Value": "new"}])
    pages = list(iam.get_paginator("list_instance_profile_tags").paginate(
        InstanceProfileName="full", PaginationConfig={"PageSize": 20}))
    assert len(pages) == 3
    listed = [t for page in pages for t in page["Tags"]]
    assert listed[0] == {"Key": "K0", "Value": "new"} and len(listed) == 50
    iam.untag_instance_profile(InstanceProfileName="Full", TagKeys=[f"k{i}" for i in range(1, 50)] + ["absent"])
    assert iam.list_instance_profile_tags(InstanceProfileName="Full")["Tags"] == [{"Key": "K0", "Value": "new"}]


def test_instance_profiles_per_account_is_1000():
    server = Server(in_memory=True)
    try:
        errors = []

        def create(start):
            iam = server.client("iam")
            for i in range(start, 1000, 4):
                try:
                    iam.create_instance_profile(InstanceProfileName=f"p{i:04}")
                except ClientError as e:  # pragma: no cover - reported below
                    errors.append(e)

        threads = [threading.Thread(target=create, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        iam = server.client("iam")
        assert fails(iam.create_instance_profile, InstanceProfileName="one-more") == (
            "LimitExceeded", "Cannot exceed quota for InstanceProfilesPerAccount: 1000", 409)
        assert len([p for page in iam.get_paginator("list_instance_profiles").paginate() for p in page["InstanceProfiles"]]) == 1000
    finally:
        server.stop()


ROOT_ID, ROOT_SECRET = "AKIAROOTPROFILES0001", "root/Secret+Profiles"


def test_enforce_authorizes_the_profile_arn_and_pass_role():
    server = Server("--auth", "enforce", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}", in_memory=True)
    try:
        root = client(server, "iam", ROOT_ID, ROOT_SECRET)
        root.create_user(UserName="ops")
        key = root.create_access_key(UserName="ops")["AccessKey"]
        ops = client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
        root.create_role(RoleName="AppRole", Path="/svc/", AssumeRolePolicyDocument=TRUST)

        profile_arn = f"arn:aws:iam::{ACCOUNT}:instance-profile/web/App"
        code, message, status = fails(ops.create_instance_profile, InstanceProfileName="App", Path="/web/")
        assert (code, status) == ("AccessDenied", 403)
        assert message == (f"User: arn:aws:iam::{ACCOUNT}:user/ops is not authorized to perform: iam:CreateInstanceProfile "
                           f"on resource: {profile_arn} because no identity-based policy allows the iam:CreateInstanceProfile action")

        # Allowed on the profiles under /web/ only.
        root.put_user_policy(UserName="ops", PolicyName="profiles", PolicyDocument=doc(
            {"Effect": "Allow", "Action": ["iam:*InstanceProfile*", "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile"],
             "Resource": f"arn:aws:iam::{ACCOUNT}:instance-profile/web/*"}))
        ops.create_instance_profile(InstanceProfileName="App", Path="/web/", Tags=[{"Key": "a", "Value": "b"}])
        assert ops.get_instance_profile(InstanceProfileName="App")["InstanceProfile"]["Arn"] == profile_arn
        root.create_instance_profile(InstanceProfileName="Elsewhere")
        code, message, _ = fails(ops.get_instance_profile, InstanceProfileName="Elsewhere")
        assert code == "AccessDenied" and f"instance-profile/Elsewhere " in message

        # AddRoleToInstanceProfile also needs iam:PassRole on the role.
        code, message, status = fails(ops.add_role_to_instance_profile, InstanceProfileName="App", RoleName="AppRole")
        assert (code, status) == ("AccessDenied", 403)
        assert message == (f"User: arn:aws:iam::{ACCOUNT}:user/ops is not authorized to perform: iam:PassRole on resource: "
                           f"arn:aws:iam::{ACCOUNT}:role/svc/AppRole because no identity-based policy allows the iam:PassRole action")
        assert root.get_instance_profile(InstanceProfileName="App")["InstanceProfile"]["Roles"] == []
        root.put_user_policy(UserName="ops", PolicyName="pass", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/svc/AppRole"}))
        ops.add_role_to_instance_profile(InstanceProfileName="App", RoleName="AppRole")
        assert root.get_instance_profile(InstanceProfileName="App")["InstanceProfile"]["Roles"][0]["RoleName"] == "AppRole"

        # PassRole alone does not let a caller add to a profile it may not change.
        root.delete_user_policy(UserName="ops", PolicyName="profiles")
        root.remove_role_from_instance_profile(InstanceProfileName="App", RoleName="AppRole")
        code, message, _ = fails(ops.add_role_to_instance_profile, InstanceProfileName="App", RoleName="AppRole")
        assert code == "AccessDenied" and "iam:AddRoleToInstanceProfile on resource: " + profile_arn in message
    finally:
        server.stop()


def test_profiles_and_their_roles_survive_kill_9():
    server = Server()
    try:
        iam = server.client("iam")
        acknowledged = {}
        for i in range(12):
            name = f"prof{i}"
            iam.create_role(RoleName=f"role{i}", AssumeRolePolicyDocument=TRUST)
            iam.create_instance_profile(InstanceProfileName=name, Path=f"/p{i % 3}/", Tags=[{"Key": "i", "Value": str(i)}])
            if i % 2 == 0:
                iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=f"role{i}")
            acknowledged[name] = [f"role{i}"] if i % 2 == 0 else []
        iam.remove_role_from_instance_profile(InstanceProfileName="prof0", RoleName="role0")
        acknowledged["prof0"] = []
        iam.delete_instance_profile(InstanceProfileName="prof1")
        del acknowledged["prof1"]

        server.restart()  # SIGKILL, then start on the same data directory
        iam = server.client("iam")
        got = {p["InstanceProfileName"]: p for page in iam.get_paginator("list_instance_profiles").paginate()
               for p in page["InstanceProfiles"]}
        assert set(got) == set(acknowledged)
        for name, roles in acknowledged.items():
            profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
            assert [r["RoleName"] for r in profile["Roles"]] == roles, name
            assert profile["Tags"] == [{"Key": "i", "Value": name[4:]}]
        # The role in a profile is still protected after the restart.
        assert fails(iam.delete_role, RoleName="role2") == ("DeleteConflict", REMOVE_FIRST, 409)
        iam.delete_role(RoleName="role0")
    finally:
        server.stop()


def aws(server, command: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    return subprocess.run(shlex.split(command) + ["--endpoint-url", server.endpoint], env=env,
                          capture_output=True, text=True, timeout=120)


def test_aws_cli_common_path(server, iam):
    iam.create_role(RoleName="Ec2Role", AssumeRolePolicyDocument=TRUST)
    out = aws(server, "aws iam create-instance-profile --instance-profile-name Ec2Role")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["InstanceProfile"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/Ec2Role"
    out = aws(server, "aws iam add-role-to-instance-profile --instance-profile-name Ec2Role --role-name Ec2Role")
    assert out.returncode == 0, out.stderr
    listed = json.loads(aws(server, "aws iam list-instance-profiles-for-role --role-name Ec2Role").stdout)
    assert [p["InstanceProfileName"] for p in listed["InstanceProfiles"]] == ["Ec2Role"]
    got = json.loads(aws(server, "aws iam get-instance-profile --instance-profile-name Ec2Role").stdout)["InstanceProfile"]
    assert got["Roles"][0]["RoleName"] == "Ec2Role"
    refused = aws(server, "aws iam delete-role --role-name Ec2Role")
    assert refused.returncode != 0 and f"(DeleteConflict) when calling the DeleteRole operation: {REMOVE_FIRST}" in refused.stderr
    assert aws(server, "aws iam remove-role-from-instance-profile --instance-profile-name Ec2Role --role-name Ec2Role").returncode == 0
    assert aws(server, "aws iam delete-instance-profile --instance-profile-name Ec2Role").returncode == 0
    assert aws(server, "aws iam delete-role --role-name Ec2Role").returncode == 0
    assert json.loads(aws(server, "aws iam list-instance-profiles").stdout)["InstanceProfiles"] == []


def test_the_account_quota_can_be_set():
    server = Server("--quota", "instance-profiles-per-account=2", in_memory=True)
    try:
        iam = server.client("iam")
        iam.create_instance_profile(InstanceProfileName="a")
        iam.create_instance_profile(InstanceProfileName="b")
        assert fails(iam.create_instance_profile, InstanceProfileName="c") == (
            "LimitExceeded", "Cannot exceed quota for InstanceProfilesPerAccount: 2", 409)
        iam.delete_instance_profile(InstanceProfileName="a")
        iam.create_instance_profile(InstanceProfileName="c")
    finally:
        server.stop()
