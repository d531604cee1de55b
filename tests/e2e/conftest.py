"""Fixtures that start the real ironiam binary on a free loopback port."""

import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

ROOT = Path(__file__).resolve().parents[2]
GUIDE = Path(os.environ.get("IRONIAM_GUIDE", ROOT.parent / "shared" / "seed" / "ecs-anywhere-iam-role.md"))


def binary() -> str:
    path = os.environ.get("IRONIAM_BIN") or str(ROOT / "target" / "debug" / "ironiam")
    if not Path(path).exists():
        pytest.fail(f"ironiam binary not found at {path}; build it first (scripts/test does)")
    return path


class Server:
    """One ironiam process; `restart()` keeps its data directory."""

    def __init__(self, *extra: str, data_dir: str | None = None, in_memory: bool = False,
                 log_path: str | None = None, env: dict | None = None, test_endpoints: bool = True,
                 ca_file: str | None = None, database: str | None = None):
        self.extra = list(extra)
        # With a PostgreSQL URL: `--database URL` instead of a data directory.
        self.database = database
        # With --tls-cert: the certificate clients are to trust.
        self.ssl = ssl.create_default_context(cafile=ca_file) if ca_file else None
        # With --auth on, the test-suite endpoints are closed unless asked
        # for, and then answer only the default account's root: open them
        # (unless told not to) and sign with the first root key given.
        auth = self.extra[self.extra.index("--auth") + 1] if "--auth" in self.extra else "off"
        if auth != "off" and test_endpoints and "--test-endpoints" not in self.extra:
            self.extra.append("--test-endpoints")
        self.root_key = None
        if "--root-access-key" in self.extra:
            spec = self.extra[self.extra.index("--root-access-key") + 1]
            if "=" not in spec.split(":", 1)[0]:  # a key of the default account
                self.root_key = tuple(spec.split(":", 1))
        self.in_memory = in_memory
        # Where the server's log (stderr) goes, and extra environment (RUST_LOG…).
        self.log_path = log_path
        self.env = env
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="ironiam-test-")
        self.proc: subprocess.Popen | None = None
        self.endpoint = ""
        self.start()

    def start(self) -> None:
        args = [binary(), "serve", "--listen", "127.0.0.1:0", *self.extra]
        if self.database:
            args += ["--database", self.database]
        else:
            args += ["--in-memory"] if self.in_memory else ["--data-dir", self.data_dir]
        env = dict(os.environ, **self.env) if self.env else None
        if self.log_path:
            with open(self.log_path, "a") as log:
                self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        else:
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        line = self.proc.stdout.readline()  # "ironiam listening on http://127.0.0.1:PORT"
        if "listening on" not in line:
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line!r}")
        self.endpoint = line.strip().rsplit(" ", 1)[-1]
        for _ in range(100):
            try:
                urllib.request.urlopen(self.endpoint + "/_ironiam/health", timeout=1, context=self.ssl).read()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("server never became healthy")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self) -> int:
        """A clean stop (SIGTERM, as service managers send); the exit status."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=10)

    def restart(self) -> None:
        self.kill9()
        self.start()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        if not self.in_memory:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def test_endpoint(self, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, bytes]:
        """POSTs to a test-suite endpoint (`path` may carry a query), signed as
        the default account's root when the server has a root key; (status, body)."""
        headers = dict(headers or {})
        if self.root_key:
            request = AWSRequest(method="POST", url=self.endpoint + path, data=body, headers=headers)
            SigV4Auth(Credentials(*self.root_key), "iam", "us-east-1").add_auth(request)
            headers = dict(request.headers.items())
        req = urllib.request.Request(self.endpoint + path, method="POST", data=body, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30, context=self.ssl) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def reset(self) -> None:
        status, body = self.test_endpoint("/_ironiam/reset")
        assert status == 200, body

    def client(self, service: str = "iam", **config):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
            aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            config=Config(retries={"max_attempts": 1}, **config),
        )


_databases = iter(range(1_000_000))


def fresh_database() -> str:
    """The URL of a new, empty database on the test PostgreSQL server
    (`IRONIAM_TEST_DATABASE_URL`, which scripts/test starts). Without one
    the test skips, or fails under scripts/test (`IRONIAM_REQUIRE_POSTGRES`)."""
    base = os.environ.get("IRONIAM_TEST_DATABASE_URL")
    if not base:
        if os.environ.get("IRONIAM_REQUIRE_POSTGRES"):
            pytest.fail("IRONIAM_REQUIRE_POSTGRES is set but IRONIAM_TEST_DATABASE_URL is not (scripts/test starts a server)")
        pytest.skip("IRONIAM_TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    name = f"e2e_{os.getpid()}_{next(_databases)}"
    subprocess.run(["psql", base, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return base.rsplit("/", 1)[0] + "/" + name


# The modules whose `server` fixture also runs on PostgreSQL (`--database`),
# each test once per backend: the guide's CLI steps and the boto3 suites of
# every entity family, with AWS's errors. test_ecs_anywhere, whose `backend`
# fixture picks its server itself (ironiam or moto), adds `postgres_server`
# to its backends when it is listed here.
ON_POSTGRES = {"test_guide_cli", "test_boto3_roles", "test_users", "test_groups",
               "test_instance_profiles", "test_errors", "test_resource_tags", "test_login_profiles",
               "test_ecs_anywhere"}


def pytest_generate_tests(metafunc):
    if "server" in metafunc.fixturenames and metafunc.module.__name__ in ON_POSTGRES:
        metafunc.parametrize("server", ["sqlite", "postgres"], indirect=True, scope="session")


@pytest.fixture(scope="session")
def server(request):
    """The shared server: embedded SQLite, or (for the modules in
    ON_POSTGRES, a second time) PostgreSQL on a fresh database."""
    backend = getattr(request, "param", "sqlite")
    s = Server(database=fresh_database()) if backend == "postgres" else Server()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def postgres_server():
    """A shared server on a fresh PostgreSQL database, for modules that
    choose their server in a fixture of their own (test_ecs_anywhere)."""
    s = Server(database=fresh_database())
    yield s
    s.stop()


@pytest.fixture
def iam(server):
    server.reset()
    return server.client("iam")


@pytest.fixture
def sts(server):
    return server.client("sts")


@pytest.fixture
def raw_iam(server):
    """A client that skips botocore's own parameter checks, so the server's are seen."""
    server.reset()
    return server.client("iam", parameter_validation=False)


def guide_blocks() -> list[str]:
    """The fenced code blocks of the founding guide, in order."""
    text = GUIDE.read_text()
    blocks, inside, current = [], False, []
    for line in text.splitlines():
        if line.strip().startswith("```"):
            if inside:
                blocks.append(textwrap.dedent("\n".join(current)))
                current = []
            inside = not inside
        elif inside:
            current.append(line)
    return blocks
