"""Starts the built `baton serve` on a free port for the compatibility suite."""
import os
import signal
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import boto3
import pytest
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BATON = os.path.join(ROOT, ".build", "debug", "baton")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


POSTGRES = os.environ.get("BATON_TEST_POSTGRES") or None


def postgres_url():
    """A fresh schema of the test PostgreSQL (`BATON_TEST_POSTGRES`, which `.ci/run` sets), for one server's journal."""
    return "%s?schema=t_%s" % (POSTGRES, uuid.uuid4().hex)


# The journal's backends: SQLite always; PostgreSQL when a test server is configured.
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.skipif(
    POSTGRES is None, reason="BATON_TEST_POSTGRES is not set: the PostgreSQL case did not run"))]


class Server:
    def __init__(self, data_dir, database=None, args=()):
        """`database`: "postgres" for a journal in a fresh schema of the test PostgreSQL, or a URL; None for SQLite.
        `args`: more options of `baton serve`."""
        self.data_dir = data_dir
        self.args = list(args)
        self.log = None
        self.database = postgres_url() if database == "postgres" else (None if database == "sqlite" else database)
        self.port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [BATON, "serve", "--port", str(self.port), "--data-dir", self.data_dir]
            + (["--database", self.database] if self.database else []) + self.args,
            stdout=subprocess.DEVNULL, stderr=self.log or subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("baton serve did not start")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        return self.proc.returncode

    def resource(self, service):
        return boto3.resource(service, endpoint_url=self.endpoint, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")

    def client(self, service="stepfunctions"):
        # StartSyncExecution is sent to a "sync-" host prefix on AWS; a local endpoint has none.
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(inject_host_prefix=False))


@pytest.fixture(scope="session")
def server():
    assert os.path.exists(BATON), "build baton first (swift build): %s" % BATON
    with tempfile.TemporaryDirectory() as d:
        s = Server(os.path.join(d, "data"))
        # BATON_COMPAT_LOG=FILE keeps the shared server's log (for a failure seen only in the whole suite).
        if os.environ.get("BATON_COMPAT_LOG"):
            s.log = open(os.environ["BATON_COMPAT_LOG"], "w")
        s.start()
        yield s
        s.stop()


@pytest.fixture
def sfn(server):
    return server.client()


@pytest.fixture
def browser():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("headless Chromium is not installed (Debian: chromium, chromium-driver)")
    from selenium import webdriver
    options = webdriver.ChromeOptions()
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000"]:
        options.add_argument(flag)
    options.binary_location = chromium
    b = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver))
    yield b
    b.quit()
