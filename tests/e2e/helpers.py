"""Helpers the end-to-end tests share: signed clients, AWS errors as tuples,
policy documents, and the test clock."""

import json
import urllib.error
import urllib.request

import boto3
from botocore.config import Config


def client(server, service, key_id, secret, token=None, region="us-east-1"):
    """A boto3 client of `service` on `server`, signed with the given keys, never retrying."""
    return boto3.client(service, endpoint_url=server.endpoint, region_name=region,
                        aws_access_key_id=key_id, aws_secret_access_key=secret, aws_session_token=token,
                        config=Config(retries={"max_attempts": 1}))


def error(excinfo):
    """(code, message, HTTP status) of a `pytest.raises(ClientError)`."""
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def doc(*statements):
    """A policy document of `statements`."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def set_clock(server, offset):
    """Runs the server's clock `offset` seconds ahead of the system clock."""
    status, body = server.test_endpoint(f"/_ironiam/clock?offset={offset}")
    assert status == 200, body


def make_user(root, name, inline=None, policy_arn=None):
    """Creates IAM user `name` through `root` (an IAM client), with an inline
    policy document and/or a managed policy attached, and an access key:
    (key id, secret)."""
    root.create_user(UserName=name)
    if inline:
        root.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=inline)
    if policy_arn:
        root.attach_user_policy(UserName=name, PolicyArn=policy_arn)
    key = root.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def delete_user(root, name):
    """Deletes user `name` with its access keys and policies."""
    for k in root.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        root.delete_access_key(UserName=name, AccessKeyId=k["AccessKeyId"])
    for p in root.list_user_policies(UserName=name)["PolicyNames"]:
        root.delete_user_policy(UserName=name, PolicyName=p)
    for p in root.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
        root.detach_user_policy(UserName=name, PolicyArn=p["PolicyArn"])
    root.delete_user(UserName=name)


def read_until_closed(sock, timeout=10):
    """Everything the peer sends on `sock` until it closes the connection.
    Fails (socket timeout, or an AssertionError after 100 reads) if it stays open."""
    sock.settimeout(timeout)
    received = b""
    for _ in range(100):
        chunk = sock.recv(4096)
        if not chunk:
            return received
        received += chunk
    raise AssertionError(f"the connection was not closed: {received[:200]!r}")


def health(server):
    """(status, body as JSON) of the server's health endpoint (503 with the
    lag on a replica past --max-staleness)."""
    try:
        with urllib.request.urlopen(server.endpoint + "/_ironiam/health", timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
