#!/usr/bin/env python3
"""Writes tests/botocore_fixtures.json: requests signed by botocore's own SigV4 signers.

Each fixture is the request as a server receives it (method, raw path, raw query, headers
including Host and the unsigned User-Agent, body in hex) plus the credentials and the clock
it was signed with, so `tests/botocore.rs` can check that ironiam-sigv4 verifies exactly
what botocore (the AWS CLI's and boto3's signer) produces.

    python3 crates/sigv4/tests/gen_botocore_fixtures.py   # needs botocore; rewrites the file

The clock is pinned (botocore.auth.get_current_datetime is replaced), so the output is
reproducible for a given botocore version.
"""

import datetime
import hashlib
import json
import os
from urllib.parse import urlsplit

import botocore
import botocore.auth
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NOW = datetime.datetime(2024, 3, 1, 12, 34, 56)  # naive UTC, as botocore uses
NOW_EPOCH = int(NOW.replace(tzinfo=datetime.timezone.utc).timestamp())
botocore.auth.get_current_datetime = lambda: NOW

LONG_TERM = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
TEMPORARY = Credentials(
    "ASIAIOSFODNN7EXAMPLE",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "FwoGZXIvYXdzEBYaDExampleSessionToken+/=//////////wEaDExAmPlE",
)
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def fixture(name, method, url, creds, service, region="us-east-1", headers=None, body=b"", presign=None):
    request = AWSRequest(method=method, url=url, headers=dict(headers or {}), data=body)
    if presign is None:
        SigV4Auth(creds, service, region).add_auth(request)
    else:
        SigV4QueryAuth(creds, service, region, expires=presign).add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    sent = [("Host", parts.netloc), ("User-Agent", "Boto3/1.34 botocore/" + botocore.__version__)]
    sent += [(k, v) for k, v in prepared.headers.items()]
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return {
        "name": name,
        "method": prepared.method,
        "path": parts.path or "/",
        "query": parts.query,
        "headers": sent,
        "body_hex": body.hex(),
        "access_key_id": creds.access_key,
        "secret_access_key": creds.secret_key,
        "session_token": creds.token,
        "region": region,
        "service": service,
        "now": NOW_EPOCH,
        "presigned": presign is not None,
    }


def main():
    fixtures = [
        fixture("sts-get-caller-identity", "POST", "https://sts.amazonaws.com/", LONG_TERM, "sts",
                headers=FORM, body=b"Action=GetCallerIdentity&Version=2011-06-15"),
        fixture("sts-get-caller-identity-session-token", "POST", "https://sts.us-west-2.amazonaws.com/", TEMPORARY,
                "sts", region="us-west-2", headers=FORM, body=b"Action=GetCallerIdentity&Version=2011-06-15"),
        fixture("sts-assume-role", "POST", "https://sts.amazonaws.com/", LONG_TERM, "sts", headers=FORM,
                body=(b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2F"
                      b"ecsAnywhereRole&RoleSessionName=s%C3%A9ance%20one&ExternalId=a%2Bb%3Dc")),
        fixture("iam-create-user-with-path", "POST", "https://iam.amazonaws.com/", LONG_TERM, "iam", headers=FORM,
                body=b"Action=CreateUser&Version=2010-05-08&Path=%2Fdivision_abc%2Fsubdivision_xyz%2F&UserName=Bob"),
        fixture("iam-list-users-get-query", "GET",
                "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08&PathPrefix=%2Fa%20b%2F%C3%BC&MaxItems=10",
                LONG_TERM, "iam"),
        fixture("iam-odd-path", "GET", "https://iam.amazonaws.com/a%20b/c%2Fd/%C3%BC/./x/../y//z/?b=2&a=1&a=0",
                LONG_TERM, "iam"),
        fixture("json-protocol-target", "POST", "https://example.us-east-1.amazonaws.com/", TEMPORARY, "example",
                headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Example_20240301.DoThing",
                         "X-Custom-Spaces": "  a   b\tc  "},
                body='{"Name":"ünïcode \u2713"}'.encode("utf-8")),
        fixture("declared-content-sha256", "POST", "https://iam.amazonaws.com/", LONG_TERM, "iam",
                headers={**FORM, "X-Amz-Content-SHA256": hashlib.sha256(b"Action=ListRoles&Version=2010-05-08").hexdigest()},
                body=b"Action=ListRoles&Version=2010-05-08"),
        fixture("presigned-get-caller-identity-eks-style", "GET",
                "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", TEMPORARY, "sts",
                headers={"x-k8s-aws-id": "my-cluster"}, presign=60),
        fixture("presigned-get-caller-identity", "GET",
                "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", LONG_TERM, "sts", presign=900),
        fixture("presigned-list-users-week", "GET",
                "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08&PathPrefix=%2F", LONG_TERM, "iam",
                presign=604800),
    ]
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "botocore_fixtures.json")
    with open(out, "w") as f:
        json.dump({"botocore_version": botocore.__version__, "fixtures": fixtures}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(fixtures)} fixtures to {out}")


if __name__ == "__main__":
    main()
