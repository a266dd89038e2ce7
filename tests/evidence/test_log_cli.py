"""``tianping evidence`` through the real command (a subprocess): outputs, files and exit codes
(0 done, 1 verification or audit found tampering, 2 unusable input — one line, no traceback)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tianping.evidence.hashing import sm3_available

TIANPING = Path(sys.executable).with_name("tianping")
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Cli:
    env: dict[str, str]
    cwd: Path

    def __call__(self, *args: str, database: str | None = None) -> subprocess.CompletedProcess[str]:
        env = self.env if database is None else self.env | {"TIANPING_DATABASE_URL": database}
        return subprocess.run(
            [str(TIANPING), "evidence", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=self.cwd,
            timeout=120,
        )


@pytest.fixture
def cli(committed_url: str, tmp_path: Path) -> Cli:
    env = os.environ | {
        "TIANPING_HOME": str(tmp_path / "home"),
        "TIANPING_DATABASE_URL": committed_url,
        "TIANPING_MODE": "test",
        "COLUMNS": "200",
    }
    return Cli(env=env, cwd=tmp_path)


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


def test_hash_needs_no_database(cli: Cli, tmp_path: Path) -> None:
    file = tmp_path / "合同.pdf"
    file.write_bytes(b"%PDF-1.7 fictitious contract")
    result = cli("hash", str(file), "--json", database="sqlite:////nonexistent/dir/none.db")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["sha256"] == hashlib.sha256(file.read_bytes()).hexdigest()
    assert out["size"] == file.stat().st_size
    if sm3_available():
        assert out["sm3"] == hashlib.new("sm3", file.read_bytes()).hexdigest()
    assert not (tmp_path / "home").exists()


@pytest.mark.slow
def test_add_receipt_verify_audit_keys(cli: Cli, tmp_path: Path) -> None:
    evidence = tmp_path / "screenshot.png"
    evidence.write_bytes(b"\x89PNG fictitious livestream price screenshot")
    added = cli(
        "add", str(evidence), "--purpose", "直播间价格截图", "--case", "AJ-2026-77", "--receipt-out", "r.json"
    )
    assert added.returncode == 0, added.stderr
    assert "存证 #0" in added.stdout and hashlib.sha256(evidence.read_bytes()).hexdigest() in added.stdout
    receipt = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert receipt["entry"]["links"]["case"] == "AJ-2026-77"

    ok = cli("verify", "r.json", str(evidence))
    assert ok.returncode == 0 and "核验通过" in ok.stdout, ok.stdout + ok.stderr

    altered = tmp_path / "altered.png"
    altered.write_bytes(evidence.read_bytes() + b"!")
    bad = cli("verify", "r.json", str(altered), "--json")
    assert bad.returncode == 1
    failed = [c["name"] for c in json.loads(bad.stdout)["checks"] if c["status"] == "failed"]
    assert "file_sha256" in failed

    (tmp_path / "garbage.json").write_text("{not json", encoding="utf-8")
    for args in (("garbage.json",), ("missing.json",), ("r.json", "--key", "not-a-key")):
        unusable = cli("verify", *args)
        assert unusable.returncode == 2 and unusable.stderr.startswith("错误："), unusable.stderr
        _no_traceback(unusable)

    registered = cli("register-hash", "ab" * 32, "--purpose", "商业秘密", "--receipt-out", "r2.html")
    assert registered.returncode == 0, registered.stderr
    page = (tmp_path / "r2.html").read_text(encoding="utf-8")
    assert "电子证据存证回执" in page and "<svg" in page and "第十一条" in page

    assert cli("audit").returncode == 0
    rotated = cli("keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    keys = json.loads(cli("keys", "list", "--json").stdout)
    assert len(keys) == 2 and keys[0]["valid_until"] is not None and keys[1]["valid_until"] is None
    assert cli("verify", "r.json", str(evidence), "--key", keys[0]["verifier_key"]).returncode == 0
    assert cli("verify", "r.json", str(evidence), "--key", keys[1]["verifier_key"]).returncode == 1

    latest = cli("receipt", "0")
    assert latest.returncode == 0 and json.loads(latest.stdout)["tree_size"] == 2
    checkpoint = cli("checkpoint")
    assert checkpoint.returncode == 0 and checkpoint.stdout.splitlines()[1] == "2"

    shown = cli("show", "0")
    assert shown.returncode == 0 and "保管链" in shown.stdout and "查看" in shown.stdout
    exported = cli("export", "0", "--out", "copy.png", "--purpose", "移送")
    assert exported.returncode == 0 and (tmp_path / "copy.png").read_bytes() == evidence.read_bytes()
    attached = cli("attach", "0", "--ticket", "TS-2026-5")
    assert attached.returncode == 0, attached.stderr

    # tamper with the stored file: the audit names it and fails
    blob = (
        tmp_path / "home" / "evidence" / "blobs" / receipt["entry"]["sha256"][:2] / receipt["entry"]["sha256"]
    )
    blob.chmod(0o600)
    blob.write_bytes(b"replaced")
    audit = cli("audit", "--json")
    assert audit.returncode == 1
    problems = json.loads(audit.stdout)["problems"]
    assert [(p["code"], p["target"]) for p in problems] == [
        ("file_tampered", f"file {receipt['entry']['sha256']}")
    ]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("register-hash", "xyz", "--purpose", "x"), "sha256"),
        (("register-hash", "ab" * 32, "--purpose", ""), "purpose"),
        (("register-hash", "ab" * 32, "--purpose", "x", "--case", "空 格"), "case"),
        (("add", "no-such-file.png", "--purpose", "x"), "no-such-file.png"),
        (("receipt", "5"), "#5"),
        (("export", "0", "--out", "x.bin"), "#0"),
        (("checkpoint",), "还没有"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(cli: Cli, args: tuple[str, ...], needle: str) -> None:
    result = cli(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert needle in result.stderr
    _no_traceback(result)
    audit = cli("audit", "--json")  # nothing was written
    assert audit.returncode == 0 and json.loads(audit.stdout)["entries"] == 0
