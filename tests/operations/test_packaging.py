"""What branch IT installs: the systemd units (checked by `systemd-analyze verify` when it is
there, and for the lines that matter always), and reproducible installs: the constraints file
pins every dependency, the README's commands and so CI use it, sqlmodel is bounded
(packaging/systemd/, constraints.txt, pyproject.toml, README.md)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "packaging" / "systemd"
KIDB = "/opt/kidb/venv/bin/kidb"
HARDENING = [
    "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "CapabilityBoundingSet=", "RestrictNamespaces=yes",
    "RestrictSUIDSGID=yes", "LockPersonality=yes", "SystemCallFilter=@system-service", "ProtectKernelTunables=yes",
]


def unit(name: str) -> list[str]:
    return [line.strip() for line in (UNITS / name).read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def test_the_server_unit_runs_kidb_serve_as_its_own_user_with_its_state_private():
    lines = unit("kidb-serve.service")
    for line in ["User=kidb", "Group=kidb", f"ExecStart={KIDB} serve --listen 0.0.0.0:2222", "StateDirectory=kidb",
                 "StateDirectoryMode=0700", "UMask=0077", "Environment=KIDB_DATA_DIR=/var/lib/kidb",
                 "Restart=on-failure", "ExecReload=/bin/kill -HUP $MAINPID", "KillMode=mixed",
                 "LoadCredential=pepper.key:/etc/kidb/pepper.key", "Environment=KIDB_PEPPER_FILE=%d/pepper.key",
                 "LoadCredential=audit.key:/etc/kidb/audit.key", "Environment=KIDB_AUDIT_KEY_FILE=%d/audit.key",
                 "WantedBy=multi-user.target", *HARDENING]:
        assert line in lines, line
    assert (UNITS / "kidb.sysusers").read_text().splitlines()[-1] == 'u kidb - "KIDB kiosk server" /var/lib/kidb'


def test_the_timer_writes_an_audit_checkpoint():
    service = unit("kidb-audit-checkpoint.service")
    for line in ["Type=oneshot", f"ExecStart={KIDB} audit checkpoint", "User=kidb", "StateDirectory=kidb",
                 "UMask=0077", "Environment=KIDB_DATA_DIR=/var/lib/kidb", *HARDENING]:
        assert line in service, line
    timer = unit("kidb-audit-checkpoint.timer")
    assert {"OnCalendar=hourly", "Persistent=true", "WantedBy=timers.target"} <= set(timer)


def test_the_seal_timer_seals_the_audit_log_of_a_branch_without_kidb_serve():
    service = unit("kidb-audit-seal.service")
    for line in ["Type=oneshot", f"ExecStart={KIDB} audit seal", "User=kidb", "StateDirectory=kidb",
                 "Environment=KIDB_AUDIT_KEY_FILE=%d/audit.key", *HARDENING]:
        assert line in service, line
    timer = unit("kidb-audit-seal.timer")
    assert {"OnBootSec=20s", "OnUnitActiveSec=20s", "WantedBy=timers.target"} <= set(timer)


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd); the key lines are "
                    "checked by the other tests")
    kidb = Path(sys.executable).with_name("kidb")
    assert kidb.exists()
    copies = []
    for source in sorted(UNITS.glob("kidb-*")):
        copy = tmp_path / source.name
        copy.write_text(source.read_text().replace(KIDB, str(kidb)))
        copies.append(str(copy))
    done = subprocess.run([analyze, "verify", "--man=no", *copies], capture_output=True, text=True, timeout=120)
    problems = [line for line in (done.stdout + done.stderr).splitlines() if "kidb" in line]
    assert (done.returncode, problems) == (0, [])


def constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def requirements(name: str, extras: tuple[str, ...] = ()) -> set[str]:
    """Every distribution `name` (with `extras`) pulls in on this platform, by normalised name."""
    found: set[str] = set()
    todo = [(name, extras)]
    while todo:
        current, wanted = todo.pop()
        for text in metadata.requires(current) or []:
            requirement = Requirement(text)
            markers = [{"extra": extra} for extra in (*wanted, "")]
            if requirement.marker and not any(requirement.marker.evaluate(m) for m in markers):
                continue
            key = re.sub(r"[-_.]+", "-", requirement.name).lower()
            if key not in found:
                found.add(key)
                todo.append((requirement.name, tuple(requirement.extras)))
    return found


def test_the_constraints_pin_every_dependency_exactly():
    pins = constraints()
    assert all(re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version) for version in pins.values())
    assert "kidb-tui" not in pins
    missing = requirements("kidb-tui", ("test", "postgres")) - set(pins)
    assert missing == set()


def test_the_readme_commands_install_with_the_constraints():
    readme = (ROOT / "README.md").read_text()
    for marker in ("<!-- demo-command -->", "<!-- test-command -->"):
        block = readme.split(marker, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
        assert "pip install -c constraints.txt " in block, marker


def test_sqlmodel_is_bounded():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    [sqlmodel] = [Requirement(text) for text in project["dependencies"] if text.startswith("sqlmodel")]
    assert not sqlmodel.specifier.contains("0.1.0") and sqlmodel.specifier.contains(constraints()["sqlmodel"])
