"""Groups against the real binary (issue 11 item 4): every operation through
boto3, AWS's errors, messages and quotas, pagination, botocore's example
responses as golden shapes, a user's groups' policies in the simulator, in
ListEntitiesForPolicy and AttachmentCount and in `--auth enforce`, kill -9
durability of memberships and group policies, and the AWS CLI's common path.

AWS's messages asserted here were seen in AWS's own answers unless a comment
says they are unverified."""

import json
import os
import re
import shlex
import subprocess
import urllib.request

import botocore
import pytest
from botocore.exceptions import ClientError

from conftest import Server
from helpers import client, doc, error

ACCOUNT = "123456789012"
REMOVE_USERS = "Cannot delete entity, must remove users from group first."
DETACH_FIRST = "Cannot delete entity, must detach all policies first."
DELETE_POLICIES_FIRST = "Cannot delete entity, must delete policies first."
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
ALL = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def fails(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return error(e)


def examples():
    path = os.path.join(os.path.dirname(botocore.__file__), "data", "iam", "2010-05-08", "examples-1.json")
    with open(path) as f:
        return json.load(f)["examples"]


def same_shape(got, expected):
    """`got` has exactly the members `expected` has, recursively (values aside)."""
    if isinstance(expected, dict):
        assert isinstance(got, dict) and set(got) - {"ResponseMetadata", "IsTruncated"} == set(expected), (got, expected)
        for k, v in expected.items():
            same_shape(got[k], v)
    elif isinstance(expected, list) and expected:
        assert isinstance(got, list) and got, (got, expected)
        for item in got:
            same_shape(item, expected[0])


def test_botocore_examples_are_golden_shapes(iam):
    ex = examples()
    created = iam.create_group(**ex["CreateGroup"][0]["input"])
    golden = ex["CreateGroup"][0]["output"]
    same_shape(created, golden)
    assert created["Group"]["Arn"] == golden["Group"]["Arn"]
    assert created["Group"]["Path"] == "/" and re.fullmatch(r"AGPA[A-Z2-7]{17}", created["Group"]["GroupId"])

    iam.create_user(UserName="Bob")
    iam.add_user_to_group(**ex["AddUserToGroup"][0]["input"])
    iam.put_group_policy(**ex["PutGroupPolicy"][0]["input"])
    iam.put_group_policy(GroupName="Admins", PolicyName="AdminRoot", PolicyDocument=ALL)
    iam.put_group_policy(GroupName="Admins", PolicyName="KeyPolicy", PolicyDocument=ALL)
    iam.delete_group_policy(GroupName="Admins", PolicyName="AllPerms")
    listed = iam.list_group_policies(**ex["ListGroupPolicies"][0]["input"])
    assert listed["PolicyNames"] == ex["ListGroupPolicies"][0]["output"]["PolicyNames"]

    for path, name in [("/division_abc/subdivision_xyz/product_1234/engineering/", "Test"),
                       ("/division_abc/subdivision_xyz/product_1234/", "Managers")]:
        iam.create_group(GroupName=name, Path=path)
        iam.add_user_to_group(GroupName=name, UserName="Bob")
    same_shape(iam.list_groups(**ex["ListGroups"][0]["input"]), ex["ListGroups"][0]["output"])
    for_bob = iam.list_groups_for_user(**ex["ListGroupsForUser"][0]["input"])
    same_shape(for_bob, ex["ListGroupsForUser"][0]["output"])
    assert [g["Arn"] for g in for_bob["Groups"]] == [
        f"arn:aws:iam::{ACCOUNT}:group/Admins",
        f"arn:aws:iam::{ACCOUNT}:group/division_abc/subdivision_xyz/product_1234/Managers",
        f"arn:aws:iam::{ACCOUNT}:group/division_abc/subdivision_xyz/product_1234/engineering/Test"]

    iam.create_group(GroupName="Finance")
    iam.attach_group_policy(**ex["AttachGroupPolicy"][0]["input"])
    assert iam.list_attached_group_policies(GroupName="Finance")["AttachedPolicies"] == [
        {"PolicyName": "ReadOnlyAccess", "PolicyArn": READ_ONLY}]
    iam.remove_user_from_group(**ex["RemoveUserFromGroup"][0]["input"])
    iam.update_group(**ex["UpdateGroup"][0]["input"])
    assert iam.get_group(GroupName="Test-1")["Group"]["GroupName"] == "Test-1"


def test_get_group_members_and_the_shape_aws_documents(server, iam):
    iam.create_group(GroupName="Ops", Path="/ops/")
    for name in ["zoe", "Amy", "bob", "carl", "dan"]:
        iam.create_user(UserName=name, Path="/people/", Tags=[{"Key": "k", "Value": "v"}])
        iam.add_user_to_group(GroupName="ops", UserName=name.upper())
    got = iam.get_group(GroupName="OPS")
    assert got["Group"]["GroupName"] == "Ops"
    assert got["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/ops/Ops"
    assert [u["UserName"] for u in got["Users"]] == ["Amy", "bob", "carl", "dan", "zoe"]
    assert got["IsTruncated"] is False
    # Members as ListUsers shows them: no tags or boundary.
    assert all("Tags" not in u and u["Arn"].startswith(f"arn:aws:iam::{ACCOUNT}:user/people/") for u in got["Users"])
    page = iam.get_group(GroupName="Ops", MaxItems=2)
    assert [u["UserName"] for u in page["Users"]] == ["Amy", "bob"] and page["IsTruncated"]
    rest = iam.get_group(GroupName="Ops", Marker=page["Marker"], MaxItems=2)
    assert [u["UserName"] for u in rest["Users"]] == ["carl", "dan"]
    pages = list(iam.get_paginator("get_group").paginate(GroupName="Ops", PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3 and not pages[-1]["IsTruncated"]
    assert [u["UserName"] for p in pages for u in p["Users"]] == ["Amy", "bob", "carl", "dan", "zoe"]
    assert fails(iam.get_group, GroupName="Ops", Marker="zz")[0] == "InvalidInput"

    body = urllib.request.urlopen(urllib.request.Request(
        server.endpoint + "/?Action=GetGroup&Version=2010-05-08&GroupName=Ops")).read().decode()
    order = [m for m in re.findall(r"<(\w+)>", body) if m in ("Group", "Users", "IsTruncated")]
    assert order == ["Group", "Users", "IsTruncated"]
    group = body[body.index("<Group>"):body.index("</Group>")]
    assert re.findall(r"<(\w+)>", group)[1:] == ["Path", "GroupName", "GroupId", "Arn", "CreateDate"]


def test_errors_and_messages(iam):
    iam.create_group(GroupName="Admins")
    iam.create_user(UserName="bob")
    assert fails(iam.create_group, GroupName="ADMINS") == (
        "EntityAlreadyExists", "Group with name ADMINS already exists.", 409)
    missing = ("NoSuchEntity", "The group with name nope cannot be found.", 404)
    assert fails(iam.get_group, GroupName="nope") == missing
    assert fails(iam.delete_group, GroupName="nope") == missing
    assert fails(iam.update_group, GroupName="nope", NewPath="/x/") == missing
    assert fails(iam.add_user_to_group, GroupName="nope", UserName="bob") == missing
    assert fails(iam.list_group_policies, GroupName="nope") == missing
    assert fails(iam.list_attached_group_policies, GroupName="nope") == missing
    assert fails(iam.put_group_policy, GroupName="nope", PolicyName="p", PolicyDocument=ALL) == missing
    assert fails(iam.attach_group_policy, GroupName="nope", PolicyArn=READ_ONLY) == missing
    assert fails(iam.add_user_to_group, GroupName="Admins", UserName="ghost") == (
        "NoSuchEntity", "The user with name ghost cannot be found.", 404)
    assert fails(iam.list_groups_for_user, UserName="ghost") == (
        "NoSuchEntity", "The user with name ghost cannot be found.", 404)
    # NoSuchEntity is AWS's code; this wording (moto's) is unverified.
    assert fails(iam.remove_user_from_group, GroupName="Admins", UserName="bob") == (
        "NoSuchEntity", "User bob not in group Admins", 404)
    assert fails(iam.get_group_policy, GroupName="Admins", PolicyName="p") == (
        "NoSuchEntity", "The group policy with name p cannot be found.", 404)
    assert fails(iam.delete_group_policy, GroupName="Admins", PolicyName="p") == (
        "NoSuchEntity", "The group policy with name p cannot be found.", 404)
    absent = f"arn:aws:iam::{ACCOUNT}:policy/Absent"
    assert fails(iam.attach_group_policy, GroupName="Admins", PolicyArn=absent) == (
        "NoSuchEntity", f"Policy {absent} does not exist or is not attachable.", 404)
    assert fails(iam.detach_group_policy, GroupName="Admins", PolicyArn=READ_ONLY) == (
        "NoSuchEntity", f"Policy {READ_ONLY} was not found.", 404)
    assert fails(iam.attach_group_policy, GroupName="Admins", PolicyArn="policy/ReadOnlyAccessXYZ") == (
        "InvalidInput", "ARN policy/ReadOnlyAccessXYZ is not valid.", 400)
    assert fails(iam.put_group_policy, GroupName="Admins", PolicyName="p", PolicyDocument="{}")[0] == "MalformedPolicyDocument"
    iam.create_group(GroupName="Other")
    assert fails(iam.update_group, GroupName="Admins", NewGroupName="other") == (
        "EntityAlreadyExists", "Group with name other already exists.", 409)

    # Adding a member twice is no error, and keeps one membership.
    iam.add_user_to_group(GroupName="Admins", UserName="bob")
    iam.add_user_to_group(GroupName="admins", UserName="BOB")
    assert len(iam.get_group(GroupName="Admins")["Users"]) == 1


def test_model_constraints_are_checked(raw_iam):
    code, message, status = fails(raw_iam.create_group, GroupName="bad name")
    assert (code, status) == ("ValidationError", 400) and "groupName" in message
    code, _, status = fails(raw_iam.create_group, GroupName="g", Path="no-slashes")
    assert (code, status) == ("ValidationError", 400)


def test_delete_conflicts_of_groups_users_and_policies(iam):
    policy_arn = iam.create_policy(PolicyName="Mine", PolicyDocument=ALL)["Policy"]["Arn"]
    iam.create_group(GroupName="G")
    iam.create_user(UserName="u")
    iam.add_user_to_group(GroupName="G", UserName="u")
    iam.attach_group_policy(GroupName="G", PolicyArn=policy_arn)
    iam.attach_group_policy(GroupName="G", PolicyArn=policy_arn)  # again: no change
    iam.put_group_policy(GroupName="G", PolicyName="inline", PolicyDocument=ALL)

    assert iam.get_policy(PolicyArn=policy_arn)["Policy"]["AttachmentCount"] == 1
    entities = iam.list_entities_for_policy(PolicyArn=policy_arn)
    assert entities["PolicyGroups"] == [{"GroupName": "G", "GroupId": iam.get_group(GroupName="G")["Group"]["GroupId"]}]
    assert entities["PolicyUsers"] == [] and entities["PolicyRoles"] == []
    assert iam.list_entities_for_policy(PolicyArn=policy_arn, EntityFilter="User")["PolicyGroups"] == []
    assert [p["PolicyName"] for p in iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]] == ["Mine"]
    assert fails(iam.delete_policy, PolicyArn=policy_arn) == (
        "DeleteConflict", "Cannot delete a policy attached to entities.", 409)

    assert fails(iam.delete_user, UserName="u") == ("DeleteConflict", REMOVE_USERS, 409)
    # DeleteGroup names its users first (the order of its checks is unverified).
    assert fails(iam.delete_group, GroupName="G") == ("DeleteConflict", REMOVE_USERS, 409)
    iam.remove_user_from_group(GroupName="G", UserName="u")
    assert iam.list_groups_for_user(UserName="u")["Groups"] == []
    iam.delete_user(UserName="u")
    assert fails(iam.delete_group, GroupName="G") == ("DeleteConflict", DETACH_FIRST, 409)
    iam.detach_group_policy(GroupName="G", PolicyArn=policy_arn)
    assert fails(iam.delete_group, GroupName="G") == ("DeleteConflict", DELETE_POLICIES_FIRST, 409)
    iam.delete_group_policy(GroupName="G", PolicyName="inline")
    iam.delete_group(GroupName="g")
    iam.delete_policy(PolicyArn=policy_arn)
    assert iam.list_groups()["Groups"] == []


def test_listing_by_path_and_pages(iam):
    for i in range(7):
        iam.create_group(GroupName=f"g{i}", Path="/odd/" if i % 2 else "/")
    pages = list(iam.get_paginator("list_groups").paginate(PaginationConfig={"PageSize": 3}))
    assert len(pages) == 3 and pages[0]["IsTruncated"] and not pages[-1]["IsTruncated"]
    assert [g["GroupName"] for p in pages for g in p["Groups"]] == [f"g{i}" for i in range(7)]
    assert [g["GroupName"] for g in iam.list_groups(PathPrefix="/odd/")["Groups"]] == ["g1", "g3", "g5"]
    assert fails(iam.list_groups, Marker="zz")[0] == "InvalidInput"

    iam.create_user(UserName="u")
    for i in (0, 2, 3, 5, 6):
        iam.add_user_to_group(GroupName=f"g{i}", UserName="u")
    pages = list(iam.get_paginator("list_groups_for_user").paginate(UserName="U", PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert [g["GroupName"] for p in pages for g in p["Groups"]] == ["g0", "g2", "g3", "g5", "g6"]

    for name in ["b", "a", "c"]:
        iam.put_group_policy(GroupName="g0", PolicyName=name, PolicyDocument=ALL)
    pages = list(iam.get_paginator("list_group_policies").paginate(GroupName="g0", PaginationConfig={"PageSize": 2}))
    assert [n for p in pages for n in p["PolicyNames"]] == ["a", "b", "c"]
    iam.attach_group_policy(GroupName="g0", PolicyArn=READ_ONLY)
    iam.attach_group_policy(GroupName="g0", PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role")
    attached = iam.list_attached_group_policies(GroupName="g0", PathPrefix="/service-role/")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonEC2ContainerServiceforEC2Role"]


def test_renames_keep_members_and_policies(iam):
    iam.create_group(GroupName="Dev", Path="/eng/")
    iam.create_user(UserName="alice")
    iam.add_user_to_group(GroupName="Dev", UserName="alice")
    iam.put_group_policy(GroupName="Dev", PolicyName="p", PolicyDocument=ALL)
    iam.attach_group_policy(GroupName="Dev", PolicyArn=READ_ONLY)
    group_id = iam.get_group(GroupName="Dev")["Group"]["GroupId"]

    iam.update_user(UserName="alice", NewUserName="alicia", NewPath="/people/")
    got = iam.get_group(GroupName="Dev")
    assert [(u["UserName"], u["Path"]) for u in got["Users"]] == [("alicia", "/people/")]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="alicia")["Groups"]] == ["Dev"]

    iam.update_group(GroupName="Dev", NewGroupName="Developers", NewPath="/")
    assert fails(iam.get_group, GroupName="Dev")[0] == "NoSuchEntity"
    got = iam.get_group(GroupName="developers")
    assert got["Group"]["GroupId"] == group_id
    assert got["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/Developers"
    assert [u["UserName"] for u in got["Users"]] == ["alicia"]
    assert iam.list_group_policies(GroupName="Developers")["PolicyNames"] == ["p"]
    assert iam.get_group_policy(GroupName="developers", PolicyName="p")["GroupName"] == "Developers"
    assert json.loads(json.dumps(iam.get_group_policy(GroupName="Developers", PolicyName="p")["PolicyDocument"])) == json.loads(ALL)
    assert iam.list_entities_for_policy(PolicyArn=READ_ONLY)["PolicyGroups"][0]["GroupName"] == "Developers"
    # A new case of its own name is no conflict.
    iam.update_group(GroupName="Developers", NewGroupName="DEVELOPERS")
    assert iam.list_groups()["Groups"][0]["GroupName"] == "DEVELOPERS"


def test_quotas_and_messages():
    server = Server("--quota", "groups-per-account=3", "--quota", "groups-per-user=2",
                    "--quota", "managed-policies-per-group=1", in_memory=True)
    try:
        iam = server.client("iam")
        for name in "abc":
            iam.create_group(GroupName=name)
        assert fails(iam.create_group, GroupName="d") == (
            "LimitExceeded", "Cannot exceed quota for GroupsPerAccount: 3", 409)
        iam.create_user(UserName="u")
        iam.add_user_to_group(GroupName="a", UserName="u")
        iam.add_user_to_group(GroupName="b", UserName="u")
        # The quota's name is AWS's; its wording here is unverified.
        assert fails(iam.add_user_to_group, GroupName="c", UserName="u") == (
            "LimitExceeded", "Cannot exceed quota for GroupsPerUser: 2", 409)
        iam.add_user_to_group(GroupName="a", UserName="u")  # already a member
        iam.attach_group_policy(GroupName="a", PolicyArn=READ_ONLY)
        assert fails(iam.attach_group_policy, GroupName="a", PolicyArn="arn:aws:iam::aws:policy/IAMFullAccess") == (
            "LimitExceeded", "Cannot exceed quota for PoliciesPerGroup: 1", 409)
    finally:
        server.stop()


def test_default_quotas(iam):
    iam.create_user(UserName="u")
    for i in range(10):
        iam.create_group(GroupName=f"g{i}")
        iam.add_user_to_group(GroupName=f"g{i}", UserName="u")
        iam.attach_group_policy(GroupName="g0", PolicyArn=f"arn:aws:iam::aws:policy/{['ReadOnlyAccess', 'IAMFullAccess', 'AdministratorAccess', 'IAMReadOnlyAccess', 'AmazonS3FullAccess', 'AmazonS3ReadOnlyAccess', 'AmazonEC2FullAccess', 'AmazonEC2ReadOnlyAccess', 'AmazonSSMManagedInstanceCore', 'PowerUserAccess'][i]}")
    iam.create_group(GroupName="g10")
    assert fails(iam.add_user_to_group, GroupName="g10", UserName="u") == (
        "LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10", 409)
    assert fails(iam.attach_group_policy, GroupName="g0", PolicyArn="arn:aws:iam::aws:policy/SecurityAudit") == (
        "LimitExceeded", "Cannot exceed quota for PoliciesPerGroup: 10", 409)
    # GroupPolicySizeQuota: 5120 characters of all inline policies, whitespace not counted.
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "x" * 2600}
    iam.put_group_policy(GroupName="g1", PolicyName="one", PolicyDocument=doc(statement))
    assert fails(iam.put_group_policy, GroupName="g1", PolicyName="two", PolicyDocument=doc(statement)) == (
        "LimitExceeded", "Maximum policy size of 5120 bytes exceeded for group g1", 409)
    for i in range(11, 300):
        iam.create_group(GroupName=f"g{i}")
    assert fails(iam.create_group, GroupName="one-more") == (
        "LimitExceeded", "Cannot exceed quota for GroupsPerAccount: 300", 409)


def test_simulation_counts_a_users_groups(iam):
    iam.create_user(UserName="dev")
    iam.create_group(GroupName="Readers", Path="/team/")
    iam.add_user_to_group(GroupName="Readers", UserName="dev")
    iam.put_group_policy(GroupName="Readers", PolicyName="list", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}))
    iam.attach_group_policy(GroupName="Readers", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/dev"
    results = iam.simulate_principal_policy(PolicySourceArn=user_arn, ActionNames=["iam:GetRole", "iam:CreateRole"])
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in results["EvaluationResults"]}
    assert decisions == {"iam:GetRole": "allowed", "iam:CreateRole": "implicitDeny"}
    matched = results["EvaluationResults"][0]["MatchedStatements"][0]
    assert matched["SourcePolicyId"] == "IAMReadOnlyAccess"
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=user_arn)["ContextKeyNames"]
    assert "aws:RequestedRegion" in keys

    group_arn = f"arn:aws:iam::{ACCOUNT}:group/team/Readers"
    allowed = iam.simulate_principal_policy(PolicySourceArn=group_arn, ActionNames=["iam:ListRoles"],
                                            ContextEntries=[{"ContextKeyName": "aws:RequestedRegion",
                                                             "ContextKeyValues": ["us-east-1"], "ContextKeyType": "string"}])
    assert allowed["EvaluationResults"][0]["EvalDecision"] == "allowed"
    assert fails(iam.simulate_principal_policy, PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:group/Readers",
                 ActionNames=["iam:ListRoles"])[0] == "NoSuchEntity"

    iam.remove_user_from_group(GroupName="Readers", UserName="dev")
    results = iam.simulate_principal_policy(PolicySourceArn=user_arn, ActionNames=["iam:GetRole"])
    assert results["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"


ROOT_ID, ROOT_SECRET = "AKIAROOTGROUPS000001", "root/Secret+Groups"


def test_enforce_grants_through_a_users_groups():
    server = Server("--auth", "enforce", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}", in_memory=True)
    try:
        root = client(server, "iam", ROOT_ID, ROOT_SECRET)
        root.create_role(RoleName="App", AssumeRolePolicyDocument=TRUST)
        root.create_user(UserName="dev")
        key = root.create_access_key(UserName="dev")["AccessKey"]
        dev = client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
        denied = (f"User: arn:aws:iam::{ACCOUNT}:user/dev is not authorized to perform: iam:GetRole on resource: "
                  f"arn:aws:iam::{ACCOUNT}:role/App because no identity-based policy allows the iam:GetRole action")
        assert fails(dev.get_role, RoleName="App") == ("AccessDenied", denied, 403)

        # An attached policy of the user's group grants it.
        root.create_group(GroupName="Readers")
        root.attach_group_policy(GroupName="Readers", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        assert fails(dev.get_role, RoleName="App")[0] == "AccessDenied"
        root.add_user_to_group(GroupName="Readers", UserName="dev")
        assert dev.get_role(RoleName="App")["Role"]["RoleName"] == "App"
        # Removal from the group revokes it.
        root.remove_user_from_group(GroupName="Readers", UserName="dev")
        assert fails(dev.get_role, RoleName="App") == ("AccessDenied", denied, 403)

        # So does an inline policy of another group; a group's Deny wins.
        root.create_group(GroupName="Ops", Path="/ops/")
        root.put_group_policy(GroupName="Ops", PolicyName="get-role", PolicyDocument=doc(
            {"Effect": "Allow", "Action": ["iam:GetRole", "iam:GetGroup"], "Resource": "*"}))
        root.add_user_to_group(GroupName="Ops", UserName="dev")
        assert dev.get_role(RoleName="App")["Role"]["RoleName"] == "App"
        # The group's ARN carries its path.
        assert dev.get_group(GroupName="Ops")["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/ops/Ops"
        root.put_group_policy(GroupName="Ops", PolicyName="no-ops-group", PolicyDocument=doc(
            {"Effect": "Deny", "Action": "iam:GetGroup", "Resource": f"arn:aws:iam::{ACCOUNT}:group/ops/*"}))
        code, message, _ = fails(dev.get_group, GroupName="Ops")
        assert code == "AccessDenied" and f"on resource: arn:aws:iam::{ACCOUNT}:group/ops/Ops with an explicit deny" in message
        root.remove_user_from_group(GroupName="Ops", UserName="dev")
        assert fails(dev.get_role, RoleName="App")[0] == "AccessDenied"

        # A renamed user keeps its groups, and what they grant.
        root.add_user_to_group(GroupName="Readers", UserName="dev")
        assert dev.get_role(RoleName="App")["Role"]["RoleName"] == "App"
    finally:
        server.stop()


def test_memberships_and_group_policies_survive_kill_9():
    server = Server()
    try:
        iam = server.client("iam")
        for u in ("ann", "ben", "cat"):
            iam.create_user(UserName=u)
        acknowledged = {}
        for i in range(8):
            name = f"grp{i}"
            iam.create_group(GroupName=name, Path=f"/p{i % 3}/")
            members = [u for j, u in enumerate(("ann", "ben", "cat")) if (i + j) % 2 == 0]
            for u in members:
                iam.add_user_to_group(GroupName=name, UserName=u)
            iam.put_group_policy(GroupName=name, PolicyName=f"inline{i}", PolicyDocument=ALL)
            iam.attach_group_policy(GroupName=name, PolicyArn=READ_ONLY)
            acknowledged[name] = members
        iam.remove_user_from_group(GroupName="grp0", UserName="ann")
        acknowledged["grp0"].remove("ann")
        iam.update_group(GroupName="grp1", NewGroupName="renamed")
        acknowledged["renamed"] = acknowledged.pop("grp1")
        iam.update_user(UserName="cat", NewUserName="catherine")
        acknowledged = {g: ["catherine" if u == "cat" else u for u in m] for g, m in acknowledged.items()}
        iam.detach_group_policy(GroupName="grp2", PolicyArn=READ_ONLY)
        iam.delete_group_policy(GroupName="grp3", PolicyName="inline3")
        iam.remove_user_from_group(GroupName="grp4", UserName="ann")
        iam.remove_user_from_group(GroupName="grp4", UserName="catherine")
        iam.delete_group_policy(GroupName="grp4", PolicyName="inline4")
        iam.detach_group_policy(GroupName="grp4", PolicyArn=READ_ONLY)
        iam.delete_group(GroupName="grp4")
        del acknowledged["grp4"]

        server.restart()  # SIGKILL, then start on the same data directory
        iam = server.client("iam")
        got = {g["GroupName"] for p in iam.get_paginator("list_groups").paginate() for g in p["Groups"]}
        assert got == set(acknowledged)
        for name, members in acknowledged.items():
            assert sorted(u["UserName"] for u in iam.get_group(GroupName=name)["Users"]) == sorted(members), name
        assert iam.list_group_policies(GroupName="grp3")["PolicyNames"] == []
        assert iam.list_group_policies(GroupName="renamed")["PolicyNames"] == ["inline1"]
        assert iam.list_attached_group_policies(GroupName="grp2")["AttachedPolicies"] == []
        assert len(iam.list_attached_group_policies(GroupName="grp5")["AttachedPolicies"]) == 1
        assert iam.get_policy(PolicyArn=READ_ONLY)["Policy"]["AttachmentCount"] == 6
        # A member is still protected after the restart.
        assert fails(iam.delete_user, UserName="ben") == ("DeleteConflict", REMOVE_USERS, 409)
    finally:
        server.stop()


def aws(server, command: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    return subprocess.run(shlex.split(command) + ["--endpoint-url", server.endpoint], env=env,
                          capture_output=True, text=True, timeout=120)


def test_aws_cli_common_path(server, iam):
    def ok(command):
        out = aws(server, command)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else None

    created = ok("aws iam create-group --group-name Admins --path /admins/")
    assert created["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/admins/Admins"
    ok("aws iam create-user --user-name Bob")
    ok("aws iam add-user-to-group --group-name Admins --user-name Bob")
    ok("aws iam attach-group-policy --group-name Admins --policy-arn " + READ_ONLY)
    ok(f"aws iam put-group-policy --group-name Admins --policy-name AllPerms --policy-document '{ALL}'")
    assert [u["UserName"] for u in ok("aws iam get-group --group-name Admins")["Users"]] == ["Bob"]
    assert [g["GroupName"] for g in ok("aws iam list-groups-for-user --user-name Bob")["Groups"]] == ["Admins"]
    assert ok("aws iam list-group-policies --group-name Admins")["PolicyNames"] == ["AllPerms"]
    assert ok("aws iam get-group-policy --group-name Admins --policy-name AllPerms")["PolicyDocument"] == json.loads(ALL)
    refused = aws(server, "aws iam delete-user --user-name Bob")
    assert refused.returncode != 0 and f"(DeleteConflict) when calling the DeleteUser operation: {REMOVE_USERS}" in refused.stderr
    refused = aws(server, "aws iam delete-group --group-name Admins")
    assert refused.returncode != 0 and f"(DeleteConflict) when calling the DeleteGroup operation: {REMOVE_USERS}" in refused.stderr
    ok("aws iam remove-user-from-group --group-name Admins --user-name Bob")
    ok("aws iam detach-group-policy --group-name Admins --policy-arn " + READ_ONLY)
    ok("aws iam delete-group-policy --group-name Admins --policy-name AllPerms")
    ok("aws iam update-group --group-name Admins --new-group-name Administrators")
    ok("aws iam delete-group --group-name Administrators")
    ok("aws iam delete-user --user-name Bob")
    assert ok("aws iam list-groups")["Groups"] == []
