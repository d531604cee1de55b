"""Helpers the end-to-end tests share: signed clients, AWS errors as tuples,
policy documents, and the test clock."""

import json
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
