"""Every error the spine names, through real clients: code, HTTP status, message."""

import json

import pytest
import requests
from botocore.exceptions import ClientError

TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})


def error_of(call, **kw):
    with pytest.raises(ClientError) as e:
        call(**kw)
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"], r["Error"].get("Type")


def test_no_such_entity(iam):
    assert error_of(iam.get_role, RoleName="nope") == ("NoSuchEntity", 404, "The role with name nope cannot be found.", "Sender")
    assert error_of(iam.delete_role, RoleName="nope")[:2] == ("NoSuchEntity", 404)
    assert error_of(iam.get_policy, PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy") == (
        "NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/NoSuchPolicy was not found.", "Sender")


def test_entity_already_exists(iam):
    iam.create_role(RoleName="Dup", AssumeRolePolicyDocument=TRUST)
    assert error_of(iam.create_role, RoleName="dup", AssumeRolePolicyDocument=TRUST) == (
        "EntityAlreadyExists", 409, "Role with name dup already exists.", "Sender")


def test_limit_exceeded_policies_per_role(iam):
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    arns = [p["Arn"] for p in iam.list_policies(Scope="AWS", MaxItems=11)["Policies"]]
    for arn in arns[:10]:
        iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    assert error_of(iam.attach_role_policy, RoleName="r", PolicyArn=arns[10]) == (
        "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerRole: 10", "Sender")


def test_limit_exceeded_trust_policy_size(iam):
    big = json.loads(TRUST)
    big["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceAccount": ["1" * 12] * 160}}
    assert error_of(iam.create_role, RoleName="r", AssumeRolePolicyDocument=json.dumps(big)) == (
        "LimitExceeded", 409, "Cannot exceed quota for ACLSizePerRole: 2048", "Sender")


def test_delete_conflict(iam):
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
    assert error_of(iam.delete_role, RoleName="r") == (
        "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.", "Sender")
    iam.detach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
    iam.put_role_policy(RoleName="r", PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}))
    assert error_of(iam.delete_role, RoleName="r") == (
        "DeleteConflict", 409, "Cannot delete entity, must delete policies first.", "Sender")


@pytest.mark.parametrize("document, message", [
    ("{ not json", "This policy contains invalid Json"),
    ("[]", "This policy contains invalid Json"),
    ("[" * 1000 + "]" * 1000, "This policy contains invalid Json"),
    (json.dumps({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"},
                                                          "Action": "sts:AssumeRole", "Resource": "*"}}), "Has prohibited field Resource"),
    (json.dumps({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole"}}), "Missing required field Principal"),
    (json.dumps({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.con"},
                                                          "Action": "sts:AssumeRole"}}), 'Invalid principal in policy: "SERVICE":"ssm.amazonaws.con"'),
], ids=["not-json", "array", "deeply-nested", "resource", "no-principal", "bad-service"])
def test_malformed_trust_policy(iam, document, message):
    assert error_of(iam.create_role, RoleName="r", AssumeRolePolicyDocument=document) == (
        "MalformedPolicyDocument", 400, message, "Sender")


def test_malformed_inline_policy(iam):
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    assert error_of(iam.put_role_policy, RoleName="r", PolicyName="p", PolicyDocument=TRUST) == (
        "MalformedPolicyDocument", 400, "Policy document should not specify a principal.", "Sender")


def test_invalid_input(iam):
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    assert error_of(iam.attach_role_policy, RoleName="r", PolicyArn="AmazonSSMManagedInstanceCore-not-an-arn") == (
        "InvalidInput", 400, "ARN AmazonSSMManagedInstanceCore-not-an-arn is not valid.", "Sender")


def test_validation_error_wording(raw_iam):
    code, status, message, _ = error_of(raw_iam.create_role, RoleName="my role", AssumeRolePolicyDocument=TRUST)
    assert (code, status) == ("ValidationError", 400)
    assert message == ("1 validation error detected: Value 'my role' at 'roleName' failed to satisfy constraint: "
                       "Member must satisfy regular expression pattern: [\\w+=,.@-]+")
    code, status, message, _ = error_of(raw_iam.create_role, RoleName="x" * 65, AssumeRolePolicyDocument=TRUST, MaxSessionDuration=60)
    assert message.startswith("2 validation errors detected: ")
    assert "at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64" in message
    assert "at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600" in message
    code, status, message, _ = error_of(raw_iam.get_role)
    assert (code, status, message) == ("ValidationError", 400,
        "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null")


def post(server, body, **headers):
    return requests.post(server.endpoint + "/", data=body, headers={"Content-Type": "application/x-www-form-urlencoded", **headers}, timeout=10)


def xml_error(resp):
    import xml.etree.ElementTree as ET
    root = ET.fromstring(resp.content)
    ns = {"a": root.tag.split("}")[0].strip("{")} if root.tag.startswith("{") else {}
    find = (lambda p: root.find(".//a:" + p, ns)) if ns else (lambda p: root.find(".//" + p))
    assert root.tag.endswith("ErrorResponse")
    assert find("RequestId").text
    return find("Type").text, find("Code").text, find("Message").text


def test_invalid_action(server):
    r = post(server, "Action=Frobnicate&Version=2010-05-08")
    assert r.status_code == 400
    assert xml_error(r)[1] == "InvalidAction"
    r = post(server, "Version=2010-05-08")
    assert r.status_code == 400
    assert xml_error(r)[1] == "MissingAction"


def test_model_operation_not_implemented_is_well_formed(server):
    r = post(server, "Action=ListSAMLProviders&Version=2010-05-08")
    assert r.status_code == 501
    assert xml_error(r) == ("Receiver", "NotImplemented", "ironiam does not implement ListSAMLProviders yet.")
