"""OpenID Connect providers and AssumeRoleWithWebIdentity in `--auth enforce`
mode: JWTs signed here with RS256, the issuer's JWKS configured locally with
`--oidc-jwks`, and each check AWS makes — signature, issuer, audience,
expiry, trust conditions on `HOST:aud` and `HOST:sub`."""

import base64
import json
import time

import boto3
import botocore
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from conftest import Server
from helpers import error

ACCOUNT = "123456789012"
ROOT_ID, ROOT_SECRET = "AKIAROOTWEBIDENTITY1", "root/Secret+Oidc"
ISSUER = "https://token.example.com"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.example.com"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/ci-deploy"
SUBJECT = "repo:example/app:ref:refs/heads/main"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_bytes(n: int) -> bytes:
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def token(claims=None, key=KEY, kid="k1"):
    now = int(time.time())
    body = {"iss": ISSUER, "sub": SUBJECT, "aud": "sts.amazonaws.com", "iat": now, "exp": now + 300, **(claims or {})}
    signing = b64u(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode()) + "." + b64u(json.dumps(body).encode())
    return signing + "." + b64u(key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256()))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    numbers = KEY.public_key().public_numbers()
    jwks = tmp_path_factory.mktemp("jwks") / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
                                          "n": b64u(int_bytes(numbers.n)), "e": b64u(int_bytes(numbers.e))}]}))
    s = Server("--auth", "enforce", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}", "--oidc-jwks", f"{ISSUER}={jwks}",
               in_memory=True)
    yield s
    s.stop()


@pytest.fixture
def setup(server):
    server.reset()
    iam = boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                       aws_access_key_id=ROOT_ID, aws_secret_access_key=ROOT_SECRET)
    arn = iam.create_open_id_connect_provider(Url=ISSUER, ClientIDList=["sts.amazonaws.com"],
                                              ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
    assert arn == PROVIDER_ARN
    trust = {"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Principal": {"Federated": PROVIDER_ARN}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"token.example.com:aud": "sts.amazonaws.com"},
                      "StringLike": {"token.example.com:sub": "repo:example/app:*"}}}}
    iam.create_role(RoleName="ci-deploy", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="ci-deploy", PolicyName="read", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}}))
    # No credentials at all: AssumeRoleWithWebIdentity is an unsigned call.
    sts = boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                       config=Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}))
    return iam, sts


def test_provider_operations(setup):
    iam, _ = setup
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=PROVIDER_ARN)
    assert got["Url"] == "token.example.com"
    assert got["ClientIDList"] == ["sts.amazonaws.com"] and got["ThumbprintList"] == ["0" * 40]
    assert [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == [PROVIDER_ARN]
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=PROVIDER_ARN, ClientID="app")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=PROVIDER_ARN, ClientID="sts.amazonaws.com")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=PROVIDER_ARN)["ClientIDList"] == ["app"]
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url=ISSUER, ClientIDList=["x"], ThumbprintList=["0" * 40])
    assert error(e) == ("EntityAlreadyExists", f"Provider with url {ISSUER} already exists.", 409)
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=PROVIDER_ARN)
    with pytest.raises(ClientError) as e:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=PROVIDER_ARN)
    assert error(e)[0] == "NoSuchEntity"


def test_assume_role_with_web_identity(server, setup):
    _, sts = setup
    out = sts.assume_role_with_web_identity(RoleArn=ROLE_ARN, RoleSessionName="build-42", WebIdentityToken=token())
    assert out["SubjectFromWebIdentityToken"] == SUBJECT
    assert out["Provider"] == "token.example.com" and out["Audience"] == "sts.amazonaws.com"
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/ci-deploy/build-42"
    creds = out["Credentials"]
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"], region_name="us-east-1")
    who = session.client("sts", endpoint_url=server.endpoint).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/ci-deploy/build-42"
    iam = session.client("iam", endpoint_url=server.endpoint)
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["ci-deploy"]
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="x")
    assert error(e)[0] == "AccessDenied"


@pytest.mark.parametrize("claims,key,kid,expected", [
    ({"sub": "repo:someone-else/app:ref:refs/heads/main"}, KEY, "k1",
     ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)),
    ({"aud": "another-client"}, KEY, "k1", ("InvalidIdentityToken", "Incorrect token audience", 400)),
    ({"iss": "https://other.example.com"}, KEY, "k1",
     ("InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://other.example.com", 400)),
    ({}, OTHER_KEY, "k1", ("InvalidIdentityToken", "The web identity token that was passed could not be validated by AWS. "
                                                    "Get a new identity token from the identity provider and then retry the request.", 400)),
    ({}, KEY, "unknown-kid", ("InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider,  "
                                                       "please reference AssumeRoleWithWebIdentity documentation for requirements", 400)),
])
def test_each_check_refuses_with_aws_error(setup, claims, key, kid, expected):
    _, sts = setup
    with pytest.raises(ClientError) as e:
        sts.assume_role_with_web_identity(RoleArn=ROLE_ARN, RoleSessionName="s1", WebIdentityToken=token(claims, key, kid))
    assert error(e) == expected


def test_expired_token(setup):
    _, sts = setup
    expired = token({"exp": 1_700_000_000})
    with pytest.raises(ClientError) as e:
        sts.assume_role_with_web_identity(RoleArn=ROLE_ARN, RoleSessionName="s1", WebIdentityToken=expired)
    code, message, status = error(e)
    assert (code, status) == ("ExpiredTokenException", 400)
    assert message.startswith("Token expired: current date/time ") and message.endswith("must be before the expiration date/time 1700000000")


def test_off_mode_takes_any_token_like_moto():
    s = Server(in_memory=True)
    try:
        s.client("iam").create_role(RoleName="any", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": {
            "Effect": "Allow", "Principal": {"Federated": PROVIDER_ARN}, "Action": "sts:AssumeRoleWithWebIdentity"}}))
        out = s.client("sts").assume_role_with_web_identity(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/any", RoleSessionName="s1",
                                                            WebIdentityToken="not-a-jwt")
        assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/any/s1"
    finally:
        s.stop()
