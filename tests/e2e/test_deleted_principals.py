"""Issue 13 item 4: a deleted principal stays deleted. AWS binds policies and
credentials to a principal's unique id (AIDA…/AROA…), not to its name, so a
user or role deleted and created again under the same name is another
principal. And item 5: session PolicyArns naming a missing policy answer a
4xx, never a 500. All with `--auth enforce`, through boto3."""

import json
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from conftest import Server
from helpers import client, delete_user, doc, error, make_user

ACCOUNT = "123456789012"
ROOT_ID, ROOT_SECRET = "AKIAROOTDELETED00001", "root/Secret+Deleted"
ALLOW_ALL = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
ALLOW_LIST_ROLES = doc({"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"})
ALLOW_ASSUME = doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})


def trust(principal):
    return doc({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"})


@pytest.fixture(scope="module")
def enforcing():
    s = Server("--auth", "enforce", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}", in_memory=True)
    yield s
    s.stop()


@pytest.fixture
def root(enforcing):
    enforcing.reset()
    return client(enforcing, "iam", ROOT_ID, ROOT_SECRET)


def trust_document(role):
    document = role["AssumeRolePolicyDocument"]
    return document if isinstance(document, dict) else json.loads(urllib.parse.unquote(document))


def test_a_session_of_a_deleted_role_does_not_gain_the_new_roles_permissions(enforcing, root):
    caller = make_user(root, "caller", ALLOW_ASSUME)
    root.create_role(RoleName="worker", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT}:user/caller"))
    sts = client(enforcing, "sts", *caller)
    old = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/worker", RoleSessionName="session")["Credentials"]
    root.delete_role(RoleName="worker")
    root.create_role(RoleName="worker", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT}:user/caller"))
    root.put_role_policy(RoleName="worker", PolicyName="p", PolicyDocument=ALLOW_LIST_ROLES)

    new = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/worker", RoleSessionName="session")["Credentials"]
    new_iam = client(enforcing, "iam", new["AccessKeyId"], new["SecretAccessKey"], new["SessionToken"])
    assert new_iam.list_roles()["Roles"], "the new role's session has the new role's permissions"

    old_iam = client(enforcing, "iam", old["AccessKeyId"], old["SecretAccessKey"], old["SessionToken"])
    with pytest.raises(ClientError) as e:
        old_iam.list_roles()
    code, message, status = error(e)
    assert (code, status) == ("AccessDenied", 403), message
    assert "iam:ListRoles" in message


def test_get_session_token_credentials_of_a_deleted_user_stop_working(enforcing, root):
    bob = make_user(root, "bob", ALLOW_ASSUME)
    token = client(enforcing, "sts", *bob).get_session_token()["Credentials"]
    temporary = client(enforcing, "sts", token["AccessKeyId"], token["SecretAccessKey"], token["SessionToken"])
    assert temporary.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/bob"
    root.create_role(RoleName="target", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT}:root"))

    delete_user(root, "bob")
    make_user(root, "bob", ALLOW_ASSUME)  # a new bob, allowed to assume `target`

    for call in (temporary.get_caller_identity,
                 lambda: temporary.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/target", RoleSessionName="session")):
        with pytest.raises(ClientError) as e:
            call()
        code, message, status = error(e)
        assert (code, status) == ("InvalidClientTokenId", 403), message


def test_a_trust_naming_a_deleted_user_shows_its_id_and_does_not_admit_a_new_one(enforcing, root):
    bob = make_user(root, "bob", ALLOW_ASSUME)
    bob_id = root.get_user(UserName="bob")["User"]["UserId"]
    bob_arn = f"arn:aws:iam::{ACCOUNT}:user/bob"
    root.create_role(RoleName="trusting", AssumeRolePolicyDocument=trust(bob_arn))
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/trusting"
    assert trust_document(root.get_role(RoleName="trusting")["Role"])["Statement"][0]["Principal"]["AWS"] == bob_arn
    client(enforcing, "sts", *bob).assume_role(RoleArn=role_arn, RoleSessionName="session")

    delete_user(root, "bob")
    shown = trust_document(root.get_role(RoleName="trusting")["Role"])
    assert shown["Statement"][0]["Principal"]["AWS"] == bob_id
    listed = [r for r in root.list_roles()["Roles"] if r["RoleName"] == "trusting"]
    assert trust_document(listed[0])["Statement"][0]["Principal"]["AWS"] == bob_id

    new_bob = make_user(root, "bob", ALLOW_ASSUME)
    assert trust_document(root.get_role(RoleName="trusting")["Role"])["Statement"][0]["Principal"]["AWS"] == bob_id
    with pytest.raises(ClientError) as e:
        client(enforcing, "sts", *new_bob).assume_role(RoleArn=role_arn, RoleSessionName="session")
    code, message, status = error(e)
    assert (code, status) == ("AccessDenied", 403), message

    # Saved again naming the new bob, the trust admits him.
    root.update_assume_role_policy(RoleName="trusting", PolicyDocument=trust(bob_arn))
    assert trust_document(root.get_role(RoleName="trusting")["Role"])["Statement"][0]["Principal"]["AWS"] == bob_arn
    client(enforcing, "sts", *new_bob).assume_role(RoleArn=role_arn, RoleSessionName="session")


def test_a_trust_naming_a_missing_principal_is_refused(enforcing, root):
    for missing in (f"arn:aws:iam::{ACCOUNT}:user/nobody", f"arn:aws:iam::{ACCOUNT}:role/nothing"):
        with pytest.raises(ClientError) as e:
            root.create_role(RoleName="r", AssumeRolePolicyDocument=trust(missing))
        assert error(e) == ("MalformedPolicyDocument", f'Invalid principal in policy: "AWS":"{missing}"', 400)
    root.create_role(RoleName="r", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT}:root"))
    with pytest.raises(ClientError) as e:
        root.update_assume_role_policy(RoleName="r", PolicyDocument=trust(f"arn:aws:iam::{ACCOUNT}:user/nobody"))
    assert error(e)[0] == "MalformedPolicyDocument"


@pytest.mark.parametrize("missing", [
    f"arn:aws:iam::{ACCOUNT}:policy/NoSuchPolicy",
    "arn:aws:iam::aws:policy/NoSuchAwsManagedPolicy",
])
def test_session_policy_arns_naming_a_missing_policy_answer_a_4xx(enforcing, root, missing):
    caller = make_user(root, "caller", ALLOW_ASSUME)
    root.create_role(RoleName="worker", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT}:user/caller"))
    sts = client(enforcing, "sts", *caller)
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/worker", RoleSessionName="session", PolicyArns=[{"arn": missing}])
    code, message, status = error(e)
    assert 400 <= status < 500, (code, message, status)
    assert missing in message
