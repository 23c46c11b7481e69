"""A password in MONGODB_URI never reaches the screen, whatever shape the URI has (issue 10.7).

Through the real CLI in a subprocess, as a user runs it: every stream is searched for the
password, and the exit status says what kind of failure it was (2: bad URI, 1: unreachable).
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from retail.nosql.redact import redact_text, redact_uri
from retail.settings import Settings

RETAIL = Path(sys.executable).with_name("retail")
SECRET = "s3cretpw"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _mongo_check(uri: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = Settings.rooted_at(tmp_path, MONGODB_URI=uri).child_env()
    return subprocess.run([str(RETAIL), "mongo", "check"], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.parametrize("uri", [
    f"mongo://user:{SECRET}@127.0.0.1:1/retail",  # a wrong scheme
    f"mongodb:/user:{SECRET}@127.0.0.1:1/retail",  # one slash missing
    f"user:{SECRET}@127.0.0.1:1/retail",  # no scheme at all
    f"mongodb://user:{SECRET}@x@127.0.0.1:1/retail",  # an unescaped '@' in the password
    f"mongodb://user:{SECRET}@127.0.0.1:1/retail?tls=true&tlsCertificateKeyFile=/nope.pem",
])
def test_a_malformed_uri_is_a_usage_error_with_the_password_masked(
    uri: str, tmp_path: Path
) -> None:
    done = _mongo_check(uri, tmp_path)
    output = done.stdout + done.stderr
    assert SECRET not in output
    assert done.returncode == 2, output
    assert "Traceback" not in output
    assert "invalid MongoDB URI" in done.stderr and "user:***@" in done.stderr
    if "nope.pem" in uri:
        assert "cannot read /nope.pem: No such file or directory" in done.stderr


def test_an_unreachable_server_exits_1_with_the_password_masked(tmp_path: Path) -> None:
    uri = (f"mongodb://user:{SECRET}@127.0.0.1:{_closed_port()}/retail"
           "?serverSelectionTimeoutMS=200")
    done = _mongo_check(uri, tmp_path)
    output = done.stdout + done.stderr
    assert SECRET not in output and "Traceback" not in output
    assert done.returncode == 1, output
    assert "cannot reach MongoDB at mongodb://user:***@127.0.0.1" in done.stderr


@pytest.mark.logic
@pytest.mark.parametrize(("uri", "password"), [
    ("https://ops:pa@ss/w0rd@db.example:27017/x", "pa@ss/w0rd"),
    ("MONGODB+SRV://ops:p%40ss@cluster.example/x", "p%40ss"),
    ("ops:hunter22@db.example", "hunter22"),
])
def test_any_scheme_and_any_form_of_the_password_is_masked(uri: str, password: str) -> None:
    assert password not in redact_uri(uri) and "ops:***@" in redact_uri(uri)
    decoded = password.replace("%40", "@")
    message = f"failed for {uri} ({decoded}; '{uri}')"
    cleaned = redact_text(message, uri)
    assert password not in cleaned and decoded not in cleaned and "ops" in cleaned
