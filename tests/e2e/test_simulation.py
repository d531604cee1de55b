"""The policy simulator APIs through boto3, on the founding guide's role."""

import json

import pytest
from botocore.exceptions import ClientError

TRUST = json.dumps({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}})
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
ECS_EC2 = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"


def decisions(results):
    return {r["EvalActionName"]: r["EvalDecision"] for r in results}


def test_simulate_principal_policy_on_the_guides_role(iam):
    iam.create_role(RoleName="ecsAnywhereRole", AssumeRolePolicyDocument=TRUST)
    for arn in (SSM_CORE, ECS_EC2):
        iam.attach_role_policy(RoleName="ecsAnywhereRole", PolicyArn=arn)
    role_arn = "arn:aws:iam::123456789012:role/ecsAnywhereRole"
    actions = ["ecs:RegisterContainerInstance", "ecs:SubmitTaskStateChange", "ssm:UpdateInstanceInformation", "iam:CreateRole", "ecs:DeleteCluster"]
    out = iam.simulate_principal_policy(PolicySourceArn=role_arn, ActionNames=actions)
    assert decisions(out["EvaluationResults"]) == {
        "ecs:RegisterContainerInstance": "allowed",
        "ecs:SubmitTaskStateChange": "allowed",
        "ssm:UpdateInstanceInformation": "allowed",
        "iam:CreateRole": "implicitDeny",
        "ecs:DeleteCluster": "implicitDeny",
    }
    ssm = next(r for r in out["EvaluationResults"] if r["EvalActionName"] == "ssm:UpdateInstanceInformation")
    assert ssm["EvalResourceName"] == "*"
    assert ssm["MatchedStatements"][0]["SourcePolicyId"] == "AmazonSSMManagedInstanceCore"
    assert ssm["MatchedStatements"][0]["SourcePolicyType"] == "aws-managed"
    assert ssm["MatchedStatements"][0]["StartPosition"]["Line"] >= 1
    denied = next(r for r in out["EvaluationResults"] if r["EvalActionName"] == "iam:CreateRole")
    assert denied["MatchedStatements"] == []

    # ecs:TagResource only with the right ecs:CreateAction.
    def tag(value):
        entries = [{"ContextKeyName": "ecs:CreateAction", "ContextKeyValues": [value], "ContextKeyType": "string"}]
        r = iam.simulate_principal_policy(PolicySourceArn=role_arn, ActionNames=["ecs:TagResource"], ContextEntries=entries)
        return r["EvaluationResults"][0]["EvalDecision"]
    assert tag("CreateCluster") == "allowed"
    assert tag("DeleteCluster") == "implicitDeny"
    missing = iam.simulate_principal_policy(PolicySourceArn=role_arn, ActionNames=["ecs:TagResource"])["EvaluationResults"][0]
    assert missing["EvalDecision"] == "implicitDeny"
    assert "ecs:CreateAction" in missing["MissingContextValues"]

    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=role_arn)["ContextKeyNames"]
    assert "ecs:CreateAction" in keys

    with pytest.raises(ClientError) as e:
        iam.simulate_principal_policy(PolicySourceArn="arn:aws:iam::123456789012:role/nope", ActionNames=["s3:GetObject"])
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"


def test_simulate_custom_policy_deny_conditions_boundary_and_pages(iam):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::prod/*",
             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}},
        ],
    }
    boundary = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["s3:Get*", "s3:DeleteObject"], "Resource": "*"}}
    out = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(policy, indent=2)],
        PermissionsBoundaryPolicyInputList=[json.dumps(boundary)],
        ActionNames=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        ResourceArns=["arn:aws:s3:::prod/key"],
        ContextEntries=[{"ContextKeyName": "aws:MultiFactorAuthPresent", "ContextKeyValues": ["false"], "ContextKeyType": "boolean"}],
    )
    results = out["EvaluationResults"]
    assert decisions(results) == {"s3:GetObject": "allowed", "s3:PutObject": "implicitDeny", "s3:DeleteObject": "explicitDeny"}
    put = next(r for r in results if r["EvalActionName"] == "s3:PutObject")
    assert put["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    delete = next(r for r in results if r["EvalActionName"] == "s3:DeleteObject")
    assert delete["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    # The Deny statement opens on line 9 of the indented document.
    assert delete["MatchedStatements"][0]["StartPosition"]["Line"] == 9

    pages = list(iam.get_paginator("simulate_custom_policy").paginate(
        PolicyInputList=[json.dumps(policy)], ActionNames=[f"s3:Action{i}" for i in range(7)], PaginationConfig={"PageSize": 3}))
    assert [len(p["EvaluationResults"]) for p in pages] == [3, 3, 1]

    keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[json.dumps(policy)])["ContextKeyNames"]
    assert keys == ["aws:MultiFactorAuthPresent"]
