"""`--audit-log`: the real binary in `--auth enforce` writes one CloudTrail
record per IAM and STS request — the founding guide's flow as root, an IAM
user's AccessDenied, CreateAccessKey, CreateLoginProfile, AssumeRole and a
call with the role session's credentials — and never a secret."""

import json
import re
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import Server
from helpers import client, doc

ACCOUNT = "123456789012"
ROOT_ID, ROOT_SECRET = "AKIAROOTAUDITTEST001", "root/Secret+Audit+Log"
PASSWORD = "Audit-Passw0rd!never-logged"
SSM_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
ECS_FOR_EC2 = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CLOUDTRAIL_DATE = re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M$")
FIELDS = ["eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
          "userAgent", "requestParameters", "responseElements", "requestID", "eventID", "readOnly", "eventType",
          "recipientAccountId"]


@pytest.fixture(scope="module")
def trail(tmp_path_factory):
    """Runs the flow once; yields (records, raw log text, what the flow saw)."""
    log = tmp_path_factory.mktemp("audit") / "audit.jsonl"
    server = Server("--auth", "enforce", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}", "--audit-log", str(log),
                    in_memory=True)
    seen = {}
    try:
        root = client(server, "iam", ROOT_ID, ROOT_SECRET)
        # The founding guide, as root.
        created = root.create_role(RoleName="ecsAnywhereRole", AssumeRolePolicyDocument=SSM_TRUST)
        seen["create_role_request_id"] = created["ResponseMetadata"]["RequestId"]
        root.attach_role_policy(RoleName="ecsAnywhereRole", PolicyArn=SSM_CORE)
        root.attach_role_policy(RoleName="ecsAnywhereRole", PolicyArn=ECS_FOR_EC2)
        root.get_role(RoleName="ecsAnywhereRole")
        root.list_attached_role_policies(RoleName="ecsAnywhereRole")

        # An IAM user, its access key and console password.
        root.create_user(UserName="auditor")
        key = root.create_access_key(UserName="auditor")["AccessKey"]
        seen["user_key"], seen["user_secret"] = key["AccessKeyId"], key["SecretAccessKey"]
        root.create_login_profile(UserName="auditor", Password=PASSWORD)

        # The user is allowed nothing yet: AccessDenied.
        user = client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
        with pytest.raises(ClientError) as denied:
            user.get_role(RoleName="ecsAnywhereRole")
        seen["denied_request_id"] = denied.value.response["ResponseMetadata"]["RequestId"]

        # AssumeRole by the user, then a call with the session's credentials.
        root.create_role(RoleName="auditable", AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}))
        root.put_user_policy(UserName="auditor", PolicyName="assume", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/auditable"}))
        sts = client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"])
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/auditable", RoleSessionName="audit-session")["Credentials"]
        seen["session_key"], seen["session_secret"], seen["session_token"] = (
            creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        session = client(server, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], token=creds["SessionToken"])
        session.get_caller_identity()
    finally:
        # A clean stop flushes what the writer still buffers.
        assert server.terminate() == 0
        server.stop()
    text = log.read_text()
    records = [json.loads(line) for line in text.splitlines()]
    return records, text, seen


def find(records, name):
    matching = [r for r in records if r["eventName"] == name]
    assert matching, f"no record of {name}: {[r['eventName'] for r in records]}"
    return matching[0]


def test_every_request_has_a_record_with_every_field(trail):
    records, _, _ = trail
    # Records of different worker threads interleave by buffer, as
    # CloudTrail's log files are not ordered either ("CloudTrail log files
    # aren't an ordered stack trace of the public API calls"): compare the
    # records as a multiset.
    assert sorted(r["eventName"] for r in records) == sorted([
        "CreateRole", "AttachRolePolicy", "AttachRolePolicy", "GetRole", "ListAttachedRolePolicies",
        "CreateUser", "CreateAccessKey", "CreateLoginProfile", "GetRole", "CreateRole", "PutUserPolicy",
        "AssumeRole", "GetCallerIdentity"])
    for r in records:
        for field in FIELDS:
            assert field in r, (field, r)
        assert r["eventVersion"] == "1.08"
        assert ISO.match(r["eventTime"]), r["eventTime"]
        assert r["eventSource"] == ("sts.amazonaws.com" if r["eventName"] in ("AssumeRole", "GetCallerIdentity")
                                    else "iam.amazonaws.com")
        assert r["awsRegion"] == "us-east-1"
        assert r["sourceIPAddress"] == "127.0.0.1"
        assert "Boto3" in r["userAgent"] or "botocore" in r["userAgent"]
        assert uuid.UUID(r["eventID"]).version == 4
        assert re.match(r"^[0-9a-f-]{36}$", r["requestID"])
        assert r["eventType"] == "AwsApiCall"
        assert r["recipientAccountId"] == ACCOUNT
        assert isinstance(r["readOnly"], bool)
    assert len({r["eventID"] for r in records}) == len(records)


def test_the_guide_as_root(trail):
    records, _, seen = trail
    create = next(r for r in records if r["requestID"] == seen["create_role_request_id"])
    assert create["eventName"] == "CreateRole"
    assert create["userIdentity"] == {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root",
                                      "accountId": ACCOUNT, "accessKeyId": ROOT_ID}
    assert create["requestParameters"] == {"roleName": "ecsAnywhereRole", "assumeRolePolicyDocument": SSM_TRUST}
    role = create["responseElements"]["role"]
    assert role["roleName"] == "ecsAnywhereRole" and role["path"] == "/"
    assert role["arn"] == f"arn:aws:iam::{ACCOUNT}:role/ecsAnywhereRole" and role["roleId"].startswith("AROA")
    assert CLOUDTRAIL_DATE.match(role["createDate"]), role["createDate"]
    assert create["readOnly"] is False and "errorCode" not in create

    attached = [r["requestParameters"] for r in records if r["eventName"] == "AttachRolePolicy"]
    assert sorted(attached, key=lambda p: p["policyArn"]) == sorted(
        [{"roleName": "ecsAnywhereRole", "policyArn": SSM_CORE},
         {"roleName": "ecsAnywhereRole", "policyArn": ECS_FOR_EC2}], key=lambda p: p["policyArn"])
    assert find(records, "AttachRolePolicy")["responseElements"] is None

    get = next(r for r in records if r["eventName"] == "GetRole" and "errorCode" not in r)
    assert get["requestParameters"] == {"roleName": "ecsAnywhereRole"}
    assert get["readOnly"] is True and get["responseElements"] is None
    listed = find(records, "ListAttachedRolePolicies")
    assert listed["readOnly"] is True and listed["responseElements"] is None


def test_access_denied_is_recorded_with_the_user(trail):
    records, _, seen = trail
    denied = next(r for r in records if r["requestID"] == seen["denied_request_id"])
    assert denied["eventName"] == "GetRole"
    assert denied["errorCode"] == "AccessDenied"
    assert denied["errorMessage"].startswith(f"User: arn:aws:iam::{ACCOUNT}:user/auditor is not authorized to perform: iam:GetRole")
    identity = denied["userIdentity"]
    assert identity["type"] == "IAMUser" and identity["userName"] == "auditor"
    assert identity["arn"] == f"arn:aws:iam::{ACCOUNT}:user/auditor" and identity["principalId"].startswith("AIDA")
    assert identity["accessKeyId"] == seen["user_key"] and identity["accountId"] == ACCOUNT
    assert denied["responseElements"] is None


def test_credentials_are_recorded_without_their_secrets(trail):
    records, _, seen = trail
    key = find(records, "CreateAccessKey")
    assert key["requestParameters"] == {"userName": "auditor"}
    assert key["responseElements"]["accessKey"].keys() == {"userName", "accessKeyId", "status", "createDate"}
    assert key["responseElements"]["accessKey"]["accessKeyId"] == seen["user_key"]

    login = find(records, "CreateLoginProfile")
    assert login["requestParameters"] == {"userName": "auditor"}
    assert login["responseElements"]["loginProfile"]["userName"] == "auditor"
    assert set(login["responseElements"]["loginProfile"]) <= {"userName", "createDate", "passwordResetRequired"}

    assume = find(records, "AssumeRole")
    assert assume["requestParameters"] == {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/auditable", "roleSessionName": "audit-session"}
    assert assume["userIdentity"]["type"] == "IAMUser"
    credentials = assume["responseElements"]["credentials"]
    assert credentials.keys() == {"accessKeyId", "expiration"}, "no secretAccessKey, no sessionToken"
    assert credentials["accessKeyId"] == seen["session_key"]
    assert CLOUDTRAIL_DATE.match(credentials["expiration"])
    assert assume["responseElements"]["assumedRoleUser"]["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/auditable/audit-session"


def test_a_role_session_names_its_issuer(trail):
    records, _, seen = trail
    who = find(records, "GetCallerIdentity")
    identity = who["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/auditable/audit-session"
    assert identity["principalId"].endswith(":audit-session") and identity["accessKeyId"] == seen["session_key"]
    issuer = identity["sessionContext"]["sessionIssuer"]
    assert issuer == {"type": "Role", "principalId": identity["principalId"].split(":")[0],
                      "arn": f"arn:aws:iam::{ACCOUNT}:role/auditable", "accountId": ACCOUNT, "userName": "auditable"}
    attributes = identity["sessionContext"]["attributes"]
    assert ISO.match(attributes["creationDate"]) and attributes["mfaAuthenticated"] == "false"
    assert who["requestParameters"] is None and who["responseElements"] is None and who["readOnly"] is True


def test_no_secret_is_ever_written(trail):
    _, text, seen = trail
    for secret in (ROOT_SECRET, PASSWORD, seen["user_secret"], seen["session_secret"], seen["session_token"]):
        assert secret not in text
        # Nor in the escaped form JSON would give it.
        assert json.dumps(secret)[1:-1] not in text
    assert "sessionToken" not in text and "secretAccessKey" not in text and '"password"' not in text
