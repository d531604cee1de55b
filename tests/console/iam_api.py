"""Runs IAM API calls with boto3 for the console tests.

Usage: python3 iam_api.py ENDPOINT [AKID:SECRET] < calls.json, where calls.json is a list of
{"op": "get_role", "args": {...}, "quiet": false}. Prints a JSON list with
{"ok": response} or {"error": {"Code", "Message"}} per call ("quiet" calls
answer {"ok": true} on success).
"""

import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def main() -> None:
    akid, secret = sys.argv[2].split(":", 1) if len(sys.argv) > 2 else ("AKIAIOSFODNN7EXAMPLE", "console-tests")
    client = boto3.client(
        "iam",
        endpoint_url=sys.argv[1],
        region_name="us-east-1",
        aws_access_key_id=akid,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )
    out = []
    for call in json.load(sys.stdin):
        try:
            response = getattr(client, call["op"])(**call.get("args", {}))
            response.pop("ResponseMetadata", None)
            out.append({"ok": True if call.get("quiet") else response})
        except ClientError as e:
            out.append({"error": e.response.get("Error", {})})
    json.dump(out, sys.stdout, default=str)


if __name__ == "__main__":
    main()
