"""`GET /_ironiam/metrics`: Prometheus's text format; open with `--auth off`,
SigV4 and `ironiam:GetMetrics` (or root) with `--auth enforce`; counters that
move as requests are made."""

import json
import re
import urllib.error
import urllib.request

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import Server
from helpers import client, doc

ROOT_ID, ROOT_SECRET = "AKIAROOTMETRICS00001", "root/Secret+Metrics"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """{(name, frozenset(labels)): value}; checks every line is a comment or a sample."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            assert not line or re.match(r"^# (HELP|TYPE) \w+ .+$", line), line
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample: {line!r}"
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def fetch(server, key=None, secret=None):
    """(status, content type, body) of GET /_ironiam/metrics, signed if a key is given."""
    url = server.endpoint + "/_ironiam/metrics"
    headers = {}
    if key:
        request = AWSRequest(method="GET", url=url)
        SigV4Auth(Credentials(key, secret), "iam", "us-east-1").add_auth(request)
        headers = dict(request.prepare().headers)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def test_open_with_auth_off_and_counts_move():
    server = Server(in_memory=True)
    try:
        status, content_type, text = fetch(server)
        assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
        before = parse(text)
        iam = server.client("iam")
        iam.list_roles()
        iam.list_roles()
        with pytest.raises(ClientError):
            iam.get_role(RoleName="missing")
        after = parse(fetch(server)[2])
        ok = dict(service="iam", operation="ListRoles", status="200")
        assert value(after, "ironiam_requests_total", **ok) == value(before, "ironiam_requests_total", **ok) + 2
        assert value(after, "ironiam_requests_total", service="iam", operation="GetRole", status="404") == 1
        count = value(after, "ironiam_request_duration_seconds_count", service="iam", operation="ListRoles")
        assert count >= 2
        inf = value(after, "ironiam_request_duration_seconds_bucket", service="iam", operation="ListRoles", le="+Inf")
        assert inf == count
        assert value(after, "ironiam_request_duration_seconds_sum", service="iam", operation="ListRoles") > 0
        # --auth off decides nothing.
        assert value(after, "ironiam_authorization_decisions_total", outcome="allowed") == 0
        assert ("ironiam_storage_commit_duration_seconds_count", frozenset()) in after
    finally:
        server.stop()


def test_no_metrics_serves_no_page_and_the_api_still_answers():
    server = Server("--no-metrics", in_memory=True)
    try:
        server.client("iam").list_roles()
        status, content_type, body = fetch(server)
        assert status == 404 and content_type == "application/json"
        assert json.loads(body)["error"]["code"] == "NotFound"
    finally:
        server.stop()


def test_durable_commits_are_timed():
    server = Server()  # SQLite under a temporary data directory
    try:
        server.client("iam").create_role(RoleName="timed", AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}))
        samples = parse(fetch(server)[2])
        assert value(samples, "ironiam_storage_commit_duration_seconds_count") >= 1
        assert value(samples, "ironiam_storage_commit_duration_seconds_bucket", le="+Inf") >= 1
    finally:
        server.stop()


@pytest.fixture(scope="module")
def enforcing():
    s = Server("--auth", "enforce", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}", in_memory=True)
    yield s
    s.stop()


def test_enforce_needs_a_signature_and_permission(enforcing):
    status, _, body = fetch(enforcing)
    assert status == 403 and "<Code>MissingAuthenticationToken</Code>" in body
    status, _, body = fetch(enforcing, ROOT_ID, "wrong-secret")
    assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in body
    assert fetch(enforcing, ROOT_ID, ROOT_SECRET)[0] == 200

    root = client(enforcing, "iam", ROOT_ID, ROOT_SECRET)
    root.create_user(UserName="watcher")
    key = root.create_access_key(UserName="watcher")["AccessKey"]
    status, _, body = fetch(enforcing, key["AccessKeyId"], key["SecretAccessKey"])
    assert status == 403 and "<Code>AccessDenied</Code>" in body
    assert "is not authorized to perform: ironiam:GetMetrics" in body

    # IAMReadOnlyAccess (iam:Get*, iam:List*) does not name ironiam's action.
    root.attach_user_policy(UserName="watcher", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert fetch(enforcing, key["AccessKeyId"], key["SecretAccessKey"])[0] == 403
    root.put_user_policy(UserName="watcher", PolicyName="metrics", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "ironiam:GetMetrics", "Resource": "*"}))
    status, _, text = fetch(enforcing, key["AccessKeyId"], key["SecretAccessKey"])
    assert status == 200 and "ironiam_requests_total" in text


def test_authorization_decisions_by_outcome(enforcing):
    root = client(enforcing, "iam", ROOT_ID, ROOT_SECRET)
    root.create_user(UserName="decided")
    key = root.create_access_key(UserName="decided")["AccessKey"]
    user = client(enforcing, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    before = parse(fetch(enforcing, ROOT_ID, ROOT_SECRET)[2])
    with pytest.raises(ClientError):
        user.list_roles()  # implicit deny
    root.put_user_policy(UserName="decided", PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"}]}))
    user.list_roles()  # allowed
    with pytest.raises(ClientError):
        user.list_users()  # explicit deny
    after = parse(fetch(enforcing, ROOT_ID, ROOT_SECRET)[2])

    def moved(outcome):
        return (value(after, "ironiam_authorization_decisions_total", outcome=outcome)
                - value(before, "ironiam_authorization_decisions_total", outcome=outcome))
    assert moved("implicit_deny") == 1 and moved("explicit_deny") == 1
    assert moved("allowed") == 2  # root's PutUserPolicy (root is never denied) and the user's ListRoles
    assert moved("soft_would_deny") == 0
    assert value(after, "ironiam_requests_total", service="iam", operation="ListUsers", status="403") >= 1
