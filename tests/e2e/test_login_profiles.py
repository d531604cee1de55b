"""IAM users' console passwords through the real binary with boto3: login
profiles, the account password policy, ChangePassword signed with the
user's own keys in `--auth enforce`, and passwords never coming back out
(responses, errors, logs)."""

import json
import os
import tempfile

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server
from helpers import error

ACCOUNT = "123456789012"
ROOT_ID, ROOT_SECRET = "AKIAROOTLOGIN0000001", "root/Secret+Login"
GOOD = "Correct-Horse-1"
NEW = "Battery-Staple-2"
# AWS's PasswordPolicyViolation message, verbatim (it names no rule).
VIOLATION = "Password does not conform to the account password policy."


def test_login_profile_create_get_update_delete(iam):
    iam.create_user(UserName="alice")
    with pytest.raises(ClientError) as e:
        iam.get_login_profile(UserName="alice")
    assert error(e) == ("NoSuchEntity", "Login Profile for User alice cannot be found.", 404)

    created = iam.create_login_profile(UserName="alice", Password=GOOD, PasswordResetRequired=True)["LoginProfile"]
    assert created["UserName"] == "alice"
    assert created["PasswordResetRequired"] is True
    assert created["CreateDate"].year >= 2024

    got = iam.get_login_profile(UserName="alice")
    # GetLoginProfile never returns the password, in any member or in the raw XML.
    assert set(got["LoginProfile"]) == {"UserName", "CreateDate", "PasswordResetRequired"}
    assert GOOD not in json.dumps(got, default=str)

    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName="alice", Password=GOOD)
    assert error(e) == ("EntityAlreadyExists", "Login Profile for user alice already exists.", 409)

    iam.update_login_profile(UserName="alice", PasswordResetRequired=False)
    assert iam.get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"] is False
    iam.update_login_profile(UserName="alice", Password=NEW)

    iam.delete_login_profile(UserName="alice")
    with pytest.raises(ClientError) as e:
        iam.delete_login_profile(UserName="alice")
    assert error(e) == ("NoSuchEntity", "Login Profile for User alice cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.update_login_profile(UserName="alice", PasswordResetRequired=True)
    assert error(e) == ("NoSuchEntity", "Login Profile for User alice cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName="nobody", Password=GOOD)
    assert error(e) == ("NoSuchEntity", "The user with name nobody cannot be found.", 404)


def test_login_profile_weak_password_is_a_policy_violation(iam):
    iam.create_user(UserName="bob")
    # Without an account policy, AWS's default applies: 8 characters, three kinds.
    for weak in ["Ab1!", "alllowercase1", "OnlyLetters"]:
        with pytest.raises(ClientError) as e:
            iam.create_login_profile(UserName="bob", Password=weak)
        assert error(e) == ("PasswordPolicyViolation", VIOLATION, 400)
        assert weak not in str(e.value)
    iam.create_login_profile(UserName="bob", Password=GOOD)
    with pytest.raises(ClientError) as e:
        iam.update_login_profile(UserName="bob", Password="weak")
    assert error(e) == ("PasswordPolicyViolation", VIOLATION, 400)


def test_delete_user_refused_while_it_has_a_login_profile(iam):
    iam.create_user(UserName="carol")
    iam.create_login_profile(UserName="carol", Password=GOOD)
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="carol")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must delete login profile first.", 409)
    iam.delete_login_profile(UserName="carol")
    iam.delete_user(UserName="carol")


def test_account_password_policy_round_trip(iam):
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()
    assert error(e) == ("NoSuchEntity", f"The Password Policy with domain name {ACCOUNT} cannot be found.", 404)

    iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True, RequireNumbers=True,
                                       AllowUsersToChangePassword=True, MaxPasswordAge=90,
                                       PasswordReusePrevention=5, HardExpiry=False)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy == {
        "MinimumPasswordLength": 12,
        "RequireSymbols": True,
        "RequireNumbers": True,
        "RequireUppercaseCharacters": False,
        "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": True,
        "ExpirePasswords": True,
        "MaxPasswordAge": 90,
        "PasswordReusePrevention": 5,
        "HardExpiry": False,
    }

    iam.create_user(UserName="dave")
    # Meets AWS's default policy, not this one (12 characters).
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName="dave", Password="Short-1!")
    assert error(e) == ("PasswordPolicyViolation", VIOLATION, 400)
    iam.create_login_profile(UserName="dave", Password="long enough 1!")

    # No partial updates: members left out go back to their defaults.
    iam.update_account_password_policy()
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 6,
        "RequireSymbols": False,
        "RequireNumbers": False,
        "RequireUppercaseCharacters": False,
        "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False,
        "ExpirePasswords": False,
    }

    iam.delete_account_password_policy()
    with pytest.raises(ClientError) as e:
        iam.delete_account_password_policy()
    assert error(e)[0] == "NoSuchEntity"


def test_password_policy_range_comes_from_the_model(raw_iam):
    with pytest.raises(ClientError) as e:
        raw_iam.update_account_password_policy(MinimumPasswordLength=200)
    assert error(e)[0] == "ValidationError"
    assert error(e)[2] == 400


@pytest.fixture(scope="module")
def enforcing():
    fd, log_path = tempfile.mkstemp(prefix="ironiam-login-", suffix=".log")
    os.close(fd)
    s = Server("--auth", "enforce", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}", in_memory=True,
               log_path=log_path, env={"RUST_LOG": "trace"})
    yield s
    s.stop()
    os.unlink(log_path)


def client(server, key_id, secret):
    return boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=key_id, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}))


def test_change_password_with_the_users_own_keys(enforcing):
    enforcing.reset()
    root = client(enforcing, ROOT_ID, ROOT_SECRET)
    root.create_user(UserName="erin")
    key = root.create_access_key(UserName="erin")["AccessKey"]
    erin = client(enforcing, key["AccessKeyId"], key["SecretAccessKey"])

    # No login profile yet.
    root.put_user_policy(UserName="erin", PolicyName="own-password", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": ["iam:ChangePassword", "iam:GetLoginProfile"],
                      "Resource": "arn:aws:iam::*:user/${aws:username}"}}))
    with pytest.raises(ClientError) as e:
        erin.change_password(OldPassword=GOOD, NewPassword=NEW)
    assert error(e) == ("NoSuchEntity", "Login Profile for User erin cannot be found.", 404)

    root.create_login_profile(UserName="erin", Password=GOOD, PasswordResetRequired=True)
    with pytest.raises(ClientError) as e:
        erin.change_password(OldPassword="Not-The-Password-1", NewPassword=NEW)
    # Not confirmed against AWS (its API reference does not say which error a
    # wrong old password gets); ironiam answers InvalidUserType.
    assert error(e) == ("InvalidUserType", "The old password is incorrect.", 400)
    with pytest.raises(ClientError) as e:
        erin.change_password(OldPassword=GOOD, NewPassword="weak")
    assert error(e) == ("PasswordPolicyViolation", VIOLATION, 400)

    erin.change_password(OldPassword=GOOD, NewPassword=NEW)
    # The reset requirement is met, and the user reads their own profile (no UserName).
    assert erin.get_login_profile()["LoginProfile"]["PasswordResetRequired"] is False
    with pytest.raises(ClientError) as e:
        erin.change_password(OldPassword=GOOD, NewPassword="Third-Password-3")
    assert error(e)[0] == "InvalidUserType"
    erin.change_password(OldPassword=NEW, NewPassword="Third-Password-3")

    # The root user has no IAM password to change.
    with pytest.raises(ClientError) as e:
        root.change_password(OldPassword=GOOD, NewPassword=NEW)
    assert error(e)[0] == "InvalidUserType"

    with open(enforcing.log_path) as f:
        log = f.read()
    for secret in [GOOD, NEW, "Third-Password-3", "Not-The-Password-1", "weak"]:
        assert secret not in log, f"{secret!r} appears in the server's log"


def test_change_password_needs_permission_or_the_account_setting(enforcing):
    enforcing.reset()
    root = client(enforcing, ROOT_ID, ROOT_SECRET)
    root.create_user(UserName="frank")
    key = root.create_access_key(UserName="frank")["AccessKey"]
    frank = client(enforcing, key["AccessKeyId"], key["SecretAccessKey"])
    root.create_login_profile(UserName="frank", Password=GOOD)
    with pytest.raises(ClientError) as e:
        frank.change_password(OldPassword=GOOD, NewPassword=NEW)
    assert error(e) == ("AccessDenied",
                        f"User: arn:aws:iam::{ACCOUNT}:user/frank is not authorized to perform: iam:ChangePassword on resource: "
                        f"arn:aws:iam::{ACCOUNT}:user/frank because no identity-based policy allows the iam:ChangePassword action",
                        403)
    # AllowUsersToChangePassword lets every IAM user change their own password.
    root.update_account_password_policy(AllowUsersToChangePassword=True)
    frank.change_password(OldPassword=GOOD, NewPassword=NEW)
