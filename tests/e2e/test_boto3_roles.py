"""Roles and managed policies through boto3, paginators included."""

import json

import pytest
from botocore.exceptions import ClientError

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
ECS_EC2 = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"


def create(iam, name, **kw):
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), **kw)["Role"]


def test_create_role_with_every_member(iam):
    iam.create_policy(PolicyName="Boundary", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    boundary = "arn:aws:iam::123456789012:policy/Boundary"
    role = create(
        iam, "ecsAnywhereRole", Path="/ecs/", Description="Allows on-premises servers to access ECS.",
        MaxSessionDuration=43200, PermissionsBoundary=boundary,
        Tags=[{"Key": "team", "Value": "platform"}, {"Key": "empty", "Value": ""}],
    )
    got = iam.get_role(RoleName="ECSANYWHEREROLE")["Role"]
    assert got["RoleName"] == "ecsAnywhereRole"
    assert got["Path"] == "/ecs/"
    assert got["Arn"] == "arn:aws:iam::123456789012:role/ecs/ecsAnywhereRole"
    assert got["RoleId"] == role["RoleId"]
    assert got["Description"] == "Allows on-premises servers to access ECS."
    assert got["MaxSessionDuration"] == 43200
    assert got["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    assert got["Tags"] == [{"Key": "team", "Value": "platform"}, {"Key": "empty", "Value": ""}]
    assert got["AssumeRolePolicyDocument"] == TRUST
    assert got["CreateDate"] == role["CreateDate"]
    assert "RoleLastUsed" in got
    assert iam.get_policy(PolicyArn=boundary)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    used_as_boundary = iam.list_policies(PolicyUsageFilter="PermissionsBoundary")["Policies"]
    assert [p["PolicyName"] for p in used_as_boundary] == ["Boundary"]
    # A boundary is not an attachment.
    assert iam.list_policies(OnlyAttached=True)["Policies"] == []


def test_update_and_describe(iam):
    create(iam, "r")
    iam.update_role(RoleName="r", Description="new", MaxSessionDuration=7200)
    out = iam.update_role_description(RoleName="r", Description="newer")["Role"]
    assert out["Description"] == "newer"
    got = iam.get_role(RoleName="r")["Role"]
    assert (got["Description"], got["MaxSessionDuration"]) == ("newer", 7200)
    trust2 = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": ["ssm.amazonaws.com"]}, "Action": "sts:AssumeRole"}}
    text = json.dumps(trust2, indent=4)
    iam.update_assume_role_policy(RoleName="r", PolicyDocument=text)
    assert iam.get_role(RoleName="r")["Role"]["AssumeRolePolicyDocument"] == trust2


def test_list_roles_paginates_like_aws(iam):
    for i in range(23):
        create(iam, f"role-{i:02d}", Path="/odd/" if i % 2 else "/")
    pages = list(iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 5}))
    assert [len(p["Roles"]) for p in pages] == [5, 5, 5, 5, 3]
    assert all(p["IsTruncated"] for p in pages[:-1]) and not pages[-1]["IsTruncated"]
    names = [r["RoleName"] for p in pages for r in p["Roles"]]
    assert names == sorted(f"role-{i:02d}" for i in range(23))
    odd = iam.list_roles(PathPrefix="/odd/")["Roles"]
    assert len(odd) == 11
    first = iam.list_roles(MaxItems=3)
    assert first["IsTruncated"] is True and first["Marker"]
    rest = iam.list_roles(Marker=first["Marker"], MaxItems=100)
    assert len(rest["Roles"]) == 20 and rest["IsTruncated"] is False and "Marker" not in rest


def test_tags(iam):
    create(iam, "r", Tags=[{"Key": "a", "Value": "1"}])
    iam.tag_role(RoleName="r", Tags=[{"Key": "b", "Value": "2"}, {"Key": "A", "Value": "3"}])
    assert iam.list_role_tags(RoleName="r")["Tags"] == [{"Key": "A", "Value": "3"}, {"Key": "b", "Value": "2"}]
    iam.untag_role(RoleName="r", TagKeys=["b", "missing"])
    assert iam.list_role_tags(RoleName="r")["Tags"] == [{"Key": "A", "Value": "3"}]
    iam.tag_role(RoleName="r", Tags=[{"Key": f"k{i}", "Value": ""} for i in range(49)])
    with pytest.raises(ClientError) as e:
        iam.tag_role(RoleName="r", Tags=[{"Key": "one-too-many", "Value": ""}])
    assert e.value.response["Error"]["Code"] == "LimitExceeded"
    pages = list(iam.get_paginator("list_role_tags").paginate(RoleName="r", PaginationConfig={"PageSize": 20}))
    assert [len(p["Tags"]) for p in pages] == [20, 20, 10]


def test_inline_policies(iam):
    create(iam, "r")
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}]}
    for name in ["zeta", "alpha", "mid"]:
        iam.put_role_policy(RoleName="r", PolicyName=name, PolicyDocument=json.dumps(doc))
    assert iam.list_role_policies(RoleName="r")["PolicyNames"] == ["alpha", "mid", "zeta"]
    got = iam.get_role_policy(RoleName="r", PolicyName="mid")
    assert (got["RoleName"], got["PolicyName"], got["PolicyDocument"]) == ("r", "mid", doc)
    pages = list(iam.get_paginator("list_role_policies").paginate(RoleName="r", PaginationConfig={"PageSize": 2}))
    assert [p["PolicyNames"] for p in pages] == [["alpha", "mid"], ["zeta"]]
    iam.delete_role_policy(RoleName="r", PolicyName="mid")
    with pytest.raises(ClientError) as e:
        iam.get_role_policy(RoleName="r", PolicyName="mid")
    assert e.value.response["Error"]["Message"] == "The role policy with name mid cannot be found."
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_attach_detach_and_counts(iam):
    create(iam, "a")
    create(iam, "b")
    for r in ["a", "b"]:
        iam.attach_role_policy(RoleName=r, PolicyArn=SSM_CORE)
    iam.attach_role_policy(RoleName="a", PolicyArn=ECS_EC2)
    assert iam.get_policy(PolicyArn=SSM_CORE)["Policy"]["AttachmentCount"] == 2
    ents = iam.list_entities_for_policy(PolicyArn=SSM_CORE)
    assert [r["RoleName"] for r in ents["PolicyRoles"]] == ["a", "b"]
    only = iam.list_attached_role_policies(RoleName="a", PathPrefix="/service-role/")["AttachedPolicies"]
    assert only == [{"PolicyName": "AmazonEC2ContainerServiceforEC2Role", "PolicyArn": ECS_EC2}]
    attached = iam.list_policies(OnlyAttached=True)["Policies"]
    assert sorted(p["PolicyName"] for p in attached) == ["AmazonEC2ContainerServiceforEC2Role", "AmazonSSMManagedInstanceCore"]
    iam.detach_role_policy(RoleName="a", PolicyArn=SSM_CORE)
    assert iam.get_policy(PolicyArn=SSM_CORE)["Policy"]["AttachmentCount"] == 1
    with pytest.raises(ClientError) as e:
        iam.detach_role_policy(RoleName="a", PolicyArn=SSM_CORE)
    assert e.value.response["Error"] == {"Type": "Sender", "Code": "NoSuchEntity", "Message": f"Policy {SSM_CORE} was not found."}


def test_boundary_put_and_delete(iam):
    create(iam, "r")
    iam.put_role_permissions_boundary(RoleName="r", PermissionsBoundary=SSM_CORE)
    assert iam.get_role(RoleName="r")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == SSM_CORE
    iam.delete_role_permissions_boundary(RoleName="r")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="r")["Role"]


def test_managed_policy_catalog_is_complete(iam):
    pages = list(iam.get_paginator("list_policies").paginate(Scope="AWS"))
    policies = [p for page in pages for p in page["Policies"]]
    assert len(policies) > 1500
    assert len({p["Arn"] for p in policies}) == len(policies)
    by_name = {p["PolicyName"]: p for p in policies}
    assert by_name["AmazonEC2ContainerServiceforEC2Role"]["Arn"] == ECS_EC2
    assert by_name["AmazonEC2ContainerServiceforEC2Role"]["Path"] == "/service-role/"
    assert by_name["AmazonSSMManagedInstanceCore"]["Path"] == "/"
    service_role = iam.list_policies(Scope="AWS", PathPrefix="/service-role/", MaxItems=1000)["Policies"]
    assert all(p["Path"].startswith("/service-role/") for p in service_role) and len(service_role) > 50
    versions = iam.list_policy_versions(PolicyArn=SSM_CORE)["Versions"]
    assert sum(v["IsDefaultVersion"] for v in versions) == 1
    default = next(v for v in versions if v["IsDefaultVersion"])
    doc = iam.get_policy_version(PolicyArn=SSM_CORE, VersionId=default["VersionId"])["PolicyVersion"]["Document"]
    assert "ssm:UpdateInstanceInformation" in json.dumps(doc)


def test_customer_policies_and_versions(iam):
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}]}
    p = iam.create_policy(PolicyName="AmazonEC2ContainerServiceforEC2Role", PolicyDocument=json.dumps(doc), Description="look-alike")["Policy"]
    assert p["Arn"] == "arn:aws:iam::123456789012:policy/AmazonEC2ContainerServiceforEC2Role"
    assert p["DefaultVersionId"] == "v1" and p["AttachmentCount"] == 0
    local = iam.list_policies(Scope="Local")["Policies"]
    assert [x["Arn"] for x in local] == [p["Arn"]]
    v2 = iam.create_policy_version(PolicyArn=p["Arn"], PolicyDocument=json.dumps(doc), SetAsDefault=True)["PolicyVersion"]
    assert v2["VersionId"] == "v2" and v2["IsDefaultVersion"] is True
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=p["Arn"])["Versions"]] == ["v2", "v1"]
    iam.set_default_policy_version(PolicyArn=p["Arn"], VersionId="v1")
    iam.delete_policy_version(PolicyArn=p["Arn"], VersionId="v2")
    create(iam, "r")
    iam.attach_role_policy(RoleName="r", PolicyArn=p["Arn"])
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=p["Arn"])
    assert e.value.response["Error"]["Code"] == "DeleteConflict"
    iam.detach_role_policy(RoleName="r", PolicyArn=p["Arn"])
    iam.delete_policy(PolicyArn=p["Arn"])


def test_get_caller_identity(sts):
    ident = sts.get_caller_identity()
    assert ident["Account"] == "123456789012"
    assert ident["Arn"] == "arn:aws:iam::123456789012:root"
    assert ident["UserId"] == "123456789012"
    assert ident["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == ident["ResponseMetadata"]["RequestId"]
