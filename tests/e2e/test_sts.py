"""STS against a server in `--auth enforce` mode, with boto3 sessions built on
the credentials it issues: AssumeRole through trust policies, session
policies, role chaining and session tags, GetSessionToken, GetAccessKeyInfo,
DecodeAuthorizationMessage, expiry and tampering."""

import base64
import json
import re

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server
from helpers import client, doc, error, set_clock

ACCOUNT = "123456789012"
ROOT_ID, ROOT_SECRET = "AKIAROOTSTSTEST00001", "root/Secret+Sts"


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trust(principal, **extra):
    return doc({"Effect": "Allow", "Principal": principal, "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"], **extra})


@pytest.fixture(scope="module")
def server():
    s = Server("--auth", "enforce", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}", in_memory=True)
    yield s
    s.stop()


@pytest.fixture
def root(server):
    server.reset()
    set_clock(server, 0)
    return client(server, "iam", ROOT_ID, ROOT_SECRET)


def new_user(server, root, name, *statements):
    root.create_user(UserName=name)
    if statements:
        root.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(*statements))
    key = root.create_access_key(UserName=name)["AccessKey"]
    return client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"]), key


def as_session(server, service, creds):
    return client(server, service, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def test_assume_role_needs_trust_and_identity_policy(server, root):
    root.create_role(RoleName="app", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    root.put_role_policy(RoleName="app", PolicyName="read", PolicyDocument=doc(allow(["iam:GetRole", "iam:ListRoles"])))
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/app"
    sts, _ = new_user(server, root, "alice")
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")
    assert error(e) == ("AccessDenied", f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: sts:AssumeRole "
                                        f"on resource: {role_arn} because no identity-based policy allows the sts:AssumeRole action", 403)
    root.put_user_policy(UserName="alice", PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", role_arn)))
    out = sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")
    creds, user = out["Credentials"], out["AssumedRoleUser"]
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", creds["AccessKeyId"])
    assert len(creds["SecretAccessKey"]) == 40 and len(creds["SessionToken"]) > 100
    role_id = root.get_role(RoleName="app")["Role"]["RoleId"]
    assert user == {"AssumedRoleId": f"{role_id}:s1", "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s1"}
    assert "PackedPolicySize" not in out

    who = as_session(server, "sts", creds).get_caller_identity()
    assert (who["Arn"], who["UserId"], who["Account"]) == (f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s1", f"{role_id}:s1", ACCOUNT)
    iam = as_session(server, "iam", creds)
    assert iam.get_role(RoleName="app")["Role"]["Arn"] == role_arn
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="x")
    assert error(e) == ("AccessDenied", f"User: arn:aws:sts::{ACCOUNT}:assumed-role/app/s1 is not authorized to perform: "
                                        f"iam:CreateUser on resource: arn:aws:iam::{ACCOUNT}:user/x because no identity-based "
                                        "policy allows the iam:CreateUser action", 403)


def test_trust_that_names_the_user_needs_no_identity_policy(server, root):
    sts_alice, alice_key = new_user(server, root, "alice")
    sts_bob, _ = new_user(server, root, "bob")
    root.create_role(RoleName="direct", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"}))
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/direct"
    assert sts_alice.assume_role(RoleArn=role_arn, RoleSessionName="sa")["AssumedRoleUser"]["Arn"].endswith("direct/sa")
    with pytest.raises(ClientError) as e:
        sts_bob.assume_role(RoleArn=role_arn, RoleSessionName="sb")
    code, message, status = error(e)
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: sts:AssumeRole on resource: {role_arn}")
    # The guide's trust lets only SSM in; nobody else, and never a missing role.
    root.create_role(RoleName="ecsAnywhereRole", AssumeRolePolicyDocument=trust({"Service": "ssm.amazonaws.com"}))
    for arn in (f"arn:aws:iam::{ACCOUNT}:role/ecsAnywhereRole", f"arn:aws:iam::{ACCOUNT}:role/missing"):
        with pytest.raises(ClientError) as e:
            sts_alice.assume_role(RoleArn=arn, RoleSessionName="sa")
        assert error(e)[0] == "AccessDenied"
    # Root may not assume roles.
    with pytest.raises(ClientError) as e:
        client(server, "sts", ROOT_ID, ROOT_SECRET).assume_role(RoleArn=role_arn, RoleSessionName="sr")
    assert error(e) == ("AccessDenied", "Roles may not be assumed by root accounts.", 403)


def test_external_id_duration_and_session_name_rules(server, root):
    sts, key = new_user(server, root, "alice", allow("sts:AssumeRole"))
    root.create_role(RoleName="vendor", MaxSessionDuration=7200, AssumeRolePolicyDocument=trust(
        {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, Condition={"StringEquals": {"sts:ExternalId": "Unique-42"}}))
    arn = f"arn:aws:iam::{ACCOUNT}:role/vendor"
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1")
    assert error(e)[0] == "AccessDenied"
    assert sts.assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="Unique-42", DurationSeconds=7200)
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="Unique-42", DurationSeconds=7201)
    assert error(e) == ("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", 400)
    unchecked = boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                             aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                             config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        unchecked.assume_role(RoleArn=arn, RoleSessionName="bad name!", ExternalId="Unique-42")
    assert error(e)[0] == "ValidationError"
    assert "roleSessionName" in error(e)[1]


def test_session_policies_narrow(server, root):
    sts, _ = new_user(server, root, "alice", allow("sts:AssumeRole"))
    root.create_role(RoleName="admin", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    root.attach_role_policy(RoleName="admin", PolicyArn="arn:aws:iam::aws:policy/IAMFullAccess")
    out = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/admin", RoleSessionName="narrow",
                          Policy=doc(allow("iam:ListRoles")))
    assert out["PackedPolicySize"] > 0
    iam = as_session(server, "iam", out["Credentials"])
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["admin"]
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName="admin")
    assert error(e)[1] == (f"User: arn:aws:sts::{ACCOUNT}:assumed-role/admin/narrow is not authorized to perform: iam:GetRole "
                           f"on resource: arn:aws:iam::{ACCOUNT}:role/admin because no session policy allows the iam:GetRole action")
    # A managed session policy narrows the same way.
    out = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/admin", RoleSessionName="ro",
                          PolicyArns=[{"arn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}])
    iam = as_session(server, "iam", out["Credentials"])
    assert iam.get_role(RoleName="admin")
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="admin")
    assert error(e)[1].endswith("because no session policy allows the iam:DeleteRole action")
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/admin", RoleSessionName="bad", Policy='{"Version": "2012-10-17"}')
    assert error(e)[0] == "MalformedPolicyDocument"


def test_role_chaining_tags_and_source_identity(server, root):
    sts, _ = new_user(server, root, "alice", allow(["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]))
    root.create_role(RoleName="first", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    root.put_role_policy(RoleName="first", PolicyName="p", PolicyDocument=doc(allow(["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"])))
    root.create_role(RoleName="second", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:role/first"}))
    root.put_role_policy(RoleName="second", PolicyName="p", PolicyDocument=doc(
        allow("iam:ListRoles", Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}})))
    first = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/first", RoleSessionName="one", SourceIdentity="alice-laptop",
                            Tags=[{"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "x"}], TransitiveTagKeys=["team"])
    assert first["SourceIdentity"] == "alice-laptop"
    chained_sts = as_session(server, "sts", first["Credentials"])
    with pytest.raises(ClientError) as e:
        chained_sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/second", RoleSessionName="two", DurationSeconds=3601)
    assert error(e) == ("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.", 400)
    second = chained_sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/second", RoleSessionName="two")
    assert second["SourceIdentity"] == "alice-laptop"
    iam = as_session(server, "iam", second["Credentials"])
    # The transitive tag team=blue came along and satisfies aws:PrincipalTag/team.
    assert iam.list_roles()["Roles"]
    with pytest.raises(ClientError) as e:
        chained_sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/second", RoleSessionName="two",
                                Tags=[{"Key": "team", "Value": "red"}])
    assert error(e)[0] == "ValidationError"


def test_expired_and_tampered_credentials(server, root):
    sts, _ = new_user(server, root, "alice", allow("sts:AssumeRole"))
    root.create_role(RoleName="short", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/short", RoleSessionName="s1", DurationSeconds=900)["Credentials"]
    assert as_session(server, "sts", creds).get_caller_identity()["Arn"].endswith("assumed-role/short/s1")

    token = bytearray(base64.b64decode(creds["SessionToken"]))
    token[len(token) // 2] ^= 1
    tampered = dict(creds, SessionToken=base64.b64encode(bytes(token)).decode())
    with pytest.raises(ClientError) as e:
        as_session(server, "sts", tampered).get_caller_identity()
    assert error(e) == ("InvalidClientTokenId", "The security token included in the request is invalid", 403)
    other = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/short", RoleSessionName="t1")["Credentials"]
    with pytest.raises(ClientError) as e:
        as_session(server, "sts", dict(creds, SessionToken=other["SessionToken"])).get_caller_identity()
    assert error(e)[0] == "InvalidClientTokenId"

    # 901 seconds later the 900-second session is over.
    set_clock(server, 901)
    try:
        with pytest.raises(ClientError) as e:
            as_session(server, "sts", creds).get_caller_identity()
        assert error(e) == ("ExpiredToken", "The security token included in the request is expired", 403)
    finally:
        set_clock(server, 0)


def test_get_session_token_and_access_key_info(server, root):
    sts, key = new_user(server, root, "alice", allow(["iam:ListUsers", "sts:GetAccessKeyInfo"]))
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    session_sts = as_session(server, "sts", creds)
    assert session_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    # Without MFA, GetSessionToken credentials cannot call IAM.
    with pytest.raises(ClientError) as e:
        as_session(server, "iam", creds).list_users()
    assert error(e)[0] == "InvalidClientTokenId"
    with pytest.raises(ClientError) as e:
        session_sts.get_session_token()
    assert error(e) == ("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)
    for key_id in (key["AccessKeyId"], creds["AccessKeyId"]):
        assert sts.get_access_key_info(AccessKeyId=key_id)["Account"] == ACCOUNT


def test_decode_authorization_message():
    s = Server("--auth", "enforce", "--encode-denials", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}", in_memory=True)
    try:
        root = client(s, "iam", ROOT_ID, ROOT_SECRET)
        root.create_user(UserName="alice")
        key = root.create_access_key(UserName="alice")["AccessKey"]
        iam = client(s, "iam", key["AccessKeyId"], key["SecretAccessKey"])
        with pytest.raises(ClientError) as e:
            iam.create_role(RoleName="x", AssumeRolePolicyDocument=trust({"Service": "ssm.amazonaws.com"}))
        message = error(e)[1]
        assert message.startswith(f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: iam:CreateRole")
        encoded = message.split("Encoded authorization failure message: ", 1)[1]
        decoded = json.loads(client(s, "sts", ROOT_ID, ROOT_SECRET).decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
        assert decoded["allowed"] is False and decoded["explicitDeny"] is False
        assert decoded["context"]["action"] == "iam:CreateRole"
        assert decoded["context"]["resource"] == f"arn:aws:iam::{ACCOUNT}:role/x"
        assert decoded["context"]["principal"]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
        keys = {c["key"] for c in decoded["context"]["conditions"]["items"]}
        assert {"aws:username", "aws:PrincipalArn", "aws:RequestedRegion"} <= keys
        with pytest.raises(ClientError) as e:
            client(s, "sts", ROOT_ID, ROOT_SECRET).decode_authorization_message(EncodedMessage="bm90IGEgbWVzc2FnZQ==")
        assert error(e)[0] == "InvalidAuthorizationMessageException"
        # Decoding needs sts:DecodeAuthorizationMessage.
        with pytest.raises(ClientError) as e:
            client(s, "sts", key["AccessKeyId"], key["SecretAccessKey"]).decode_authorization_message(EncodedMessage=encoded)
        assert error(e)[0] == "AccessDenied"
    finally:
        s.stop()


def test_off_mode_issues_credentials_like_moto():
    s = Server(in_memory=True)
    try:
        iam = s.client("iam")
        iam.create_role(RoleName="any", AssumeRolePolicyDocument=trust({"Service": "ssm.amazonaws.com"}))
        creds = s.client("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/any", RoleSessionName="s1")["Credentials"]
        who = as_session(s, "sts", creds).get_caller_identity()
        assert who["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/any/s1"
    finally:
        s.stop()
