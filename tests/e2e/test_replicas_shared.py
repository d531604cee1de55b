"""What two real replicas on one PostgreSQL database share beside the
entities (issue 12, item 2): a console session signed in on one is used on
the other and ended on both by one sign-out, a CSRF token rendered by one is
accepted by the other, failed sign-ins spread over both meet one brake, and
a key or role used on one shows its last use on the other within the stated
bound — through the console's real sign-in form over HTTP and boto3."""

import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import Server, fresh_database
from helpers import client, doc

ACCOUNT = "123456789012"
ROOT_ID, ROOT_SECRET = "AKIAROOTSHARED000001", "root/Secret+Shared"
PASSWORD = "Replica-Passw0rd!"
# ARCHITECTURE.md ("Storage"): a replica reads other replicas' last uses
# every second (USES_POLL_INTERVAL). Asserted with room for a debug build
# on a shared machine.
USES_BOUND = 5.0


@pytest.fixture(scope="module")
def pair():
    database = fresh_database()
    extra = ("--auth", "enforce", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}")
    a = Server(*extra, database=database)
    b = Server(*extra, database=database)
    yield a, b
    a.stop()
    b.stop()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A browser's cookie jar, sending the same cookies to either replica
    (cookies ignore the port, as a browser's do), and the CSRF token of the
    last page it read."""

    def __init__(self):
        self.jar = {}
        self.token = None

    def request(self, server, path, form=None):
        """(status, body, Location) of a GET, or of a POST of `form` with the
        current CSRF token."""
        host = server.endpoint.removeprefix("http://")
        headers = {"Host": host}
        data = None
        if form is not None:
            data = urllib.parse.urlencode({**form, "_csrf": self.token or ""}).encode()
            headers |= {"Origin": f"http://{host}", "Content-Type": "application/x-www-form-urlencoded"}
        if self.jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        req = urllib.request.Request(server.endpoint + path, data=data, headers=headers,
                                     method="POST" if form is not None else "GET")
        try:
            resp = urllib.request.build_opener(NoRedirect).open(req, timeout=30)
        except urllib.error.HTTPError as e:
            resp = e
        with resp:
            for set_cookie in resp.headers.get_all("Set-Cookie") or []:
                name, value = set_cookie.split(";", 1)[0].split("=", 1)
                if "Max-Age=0" in set_cookie:
                    self.jar.pop(name, None)
                else:
                    self.jar[name] = value
            body = resp.read().decode()
            status, location = resp.status, resp.headers.get("Location")
        marker = 'name="csrf-token" content="'
        if marker in body:
            self.token = body[body.index(marker) + len(marker):].split('"', 1)[0]
        return status, body, location


def sign_in_form(name, password):
    return {"kind": "user", "account": ACCOUNT, "username": name, "password": password, "next": "/"}


def test_a_console_session_of_one_replica_is_used_and_ended_on_the_other(pair):
    a, b = pair
    browser = Browser()
    # The sign-in form rendered by A, posted to B: one CSRF secret.
    assert browser.request(a, "/console/signin")[0] == 200
    status, _, location = browser.request(b, "/console/signin", {
        "kind": "root", "account": ACCOUNT, "access_key_id": ROOT_ID, "secret_access_key": ROOT_SECRET, "next": "/"})
    assert (status, location) == (303, "/console/"), "a token from A is accepted by B"
    assert "ironiam_session" in browser.jar
    # The session B stored is A's too.
    status, body, _ = browser.request(a, "/console/roles")
    assert status == 200
    assert f"arn:aws:iam::{ACCOUNT}:root" in body
    # Signing out on A (with B's token) ends the session on B at once: the
    # console reads the session from the database on every request.
    status, body, _ = browser.request(b, "/console")
    assert status == 200
    signed_in = dict(browser.jar)
    status, _, location = browser.request(a, "/console/signout", {})
    assert (status, location) == (303, "/console/signin?done=signedout")
    browser.jar = signed_in  # a stolen copy of the cookie is worth nothing now
    status, _, location = browser.request(b, "/console/roles")
    assert (status, location) == (303, "/console/signin?next=%2Froles")


def test_failed_sign_ins_spread_over_replicas_meet_one_brake(pair):
    a, b = pair
    root = client(a, "iam", ROOT_ID, ROOT_SECRET)
    root.create_user(UserName="guessed")
    root.create_login_profile(UserName="guessed", Password=PASSWORD, PasswordResetRequired=False)
    browser = Browser()
    browser.request(a, "/console/signin")
    # Ten failures (the brake's limit), five on each replica: each replica
    # alone saw only five.
    for i in range(10):
        status, body, _ = browser.request((a, b)[i % 2], "/console/signin", sign_in_form("guessed", f"Wrong-{i}"))
        assert status == 401
        assert "Your authentication information is incorrect. Please try again." in body
    for server in (a, b):
        status, body, _ = browser.request(server, "/console/signin", sign_in_form("guessed", PASSWORD))
        assert status == 401, "the right password is refused on either replica while braked"
        assert "Your authentication information is incorrect. Please try again." in body
    # Another name is not braked (asked of A, which created it: read-your-writes).
    root.create_user(UserName="other")
    root.create_login_profile(UserName="other", Password=PASSWORD, PasswordResetRequired=False)
    status, _, _ = browser.request(a, "/console/signin", sign_in_form("other", PASSWORD))
    assert status == 303


def test_last_uses_recorded_on_one_replica_are_seen_on_the_other(pair):
    a, b = pair
    root_a = client(a, "iam", ROOT_ID, ROOT_SECRET)
    root_b = client(b, "iam", ROOT_ID, ROOT_SECRET)
    root_a.create_user(UserName="user-of-keys")
    root_a.put_user_policy(UserName="user-of-keys", PolicyName="p",
                           PolicyDocument=doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    key = root_a.create_access_key(UserName="user-of-keys")["AccessKey"]
    root_a.create_role(RoleName="used-role", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}))
    # Both exist on B before they are used on A.
    deadline = time.monotonic() + 5
    while True:
        try:
            root_b.get_role(RoleName="used-role")
            break
        except Exception:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    assert "LastUsedDate" not in root_b.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert "LastUsedDate" not in root_b.get_role(RoleName="used-role")["Role"].get("RoleLastUsed", {})

    sts = client(a, "sts", key["AccessKeyId"], key["SecretAccessKey"], region="eu-west-1")
    used = time.monotonic()
    sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/used-role", RoleSessionName="shared")

    def seen():
        k = root_b.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
        r = root_b.get_role(RoleName="used-role")["Role"].get("RoleLastUsed", {})
        return "LastUsedDate" in k and "LastUsedDate" in r, k, r

    while True:
        ok, k, r = seen()
        if ok:
            break
        assert time.monotonic() - used < USES_BOUND, (k, r)
        time.sleep(0.05)
    delay = time.monotonic() - used
    print(f"last use A→B: {delay * 1000:.0f} ms")
    assert (k["ServiceName"], k["Region"]) == ("sts", "eu-west-1")
    assert r["Region"] == "eu-west-1"
    # The same dates as A reports.
    assert root_a.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]["LastUsedDate"] == k["LastUsedDate"]


def test_a_new_password_chosen_on_one_replica_frees_the_session_on_the_other(pair):
    a, b = pair
    root = client(a, "iam", ROOT_ID, ROOT_SECRET)
    root.create_user(UserName="renewing")
    root.put_user_policy(UserName="renewing", PolicyName="p", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["iam:ChangePassword", "iam:ListRoles"], "Resource": "*"}))
    root.create_login_profile(UserName="renewing", Password=PASSWORD, PasswordResetRequired=True)
    browser = Browser()
    browser.request(a, "/console/signin")
    status, _, location = browser.request(a, "/console/signin", sign_in_form("renewing", PASSWORD))
    assert (status, location) == (303, "/console/change-password?required=1")
    # B knows the session, and that a new password is due first.
    status, _, location = browser.request(b, "/console/roles")
    assert (status, location) == (303, "/console/change-password?required=1")
    browser.request(b, "/console/change-password?required=1")
    new = "Renewed-Passw0rd-2!"
    status, _, location = browser.request(b, "/console/change-password", {"old": PASSWORD, "new": new, "confirm": new})
    assert (status, location) == (303, "/console?done=password")
    # A serves the same session without asking again.
    status, body, _ = browser.request(a, "/console/roles")
    assert status == 200
    assert f"arn:aws:iam::{ACCOUNT}:user/renewing" in body
