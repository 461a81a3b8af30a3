"""`kidb audit seal`, `kidb audit checkpoint` and `kidb audit verify --checkpoints`: pending rows
chained, the head appended to a private file and printed, and the chain held against it: one
line naming the problem, exit 1 (kidb_tui/cli.py, kidb_tui/services/audit_seal.py,
kidb_tui/services/audit_checkpoint.py)."""

import stat

from sqlalchemy import create_engine, text

from kidb_tui.cli import main
from tests.cli.test_cli import good_file, query, url  # noqa: F401  (`url` is a fixture)


def run(capsys, *argv: str) -> tuple[int, list[str], list[str]]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err.splitlines()


def execute(url: str, sql: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(sql))
    engine.dispose()


def test_a_checkpoint_is_printed_and_appended_to_a_private_file(url, tmp_path, capsys):
    main(["--database", url, "participants", "import", str(good_file(tmp_path))])
    capsys.readouterr()
    status, out, err = run(capsys, "--database", url, "audit", "checkpoint")
    path = tmp_path / "data" / "audit-checkpoints"
    [(row_id, row_hash)] = query(url, "SELECT id, row_hash FROM audit_event")
    assert (status, err) == (0, [])
    assert out == path.read_text().splitlines()
    assert out[0].endswith(f" kidb audit checkpoint row={row_id} rows=1 hash={row_hash}")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert run(capsys, "--database", url, "audit", "verify") == (
        0, ["audit chain verified (1 rows, 1 checkpoints)"], [])


def test_verify_names_a_truncated_tail_and_an_emptied_log(url, tmp_path, capsys):
    main(["--database", url, "participants", "import", str(good_file(tmp_path))])
    main(["--database", url, "participants", "import", str(good_file(tmp_path))])
    checkpoints = tmp_path / "elsewhere" / "checkpoints.txt"
    assert main(["--database", url, "audit", "checkpoint", "--file", str(checkpoints)]) == 0
    capsys.readouterr()
    [(first,), (last,)] = query(url, "SELECT id FROM audit_event ORDER BY id")
    execute(url, f"DELETE FROM audit_event WHERE id = {last}")
    status, out, [problem] = run(capsys, "--database", url, "audit", "verify", "--checkpoints", str(checkpoints))
    assert (status, out) == (1, [])
    assert problem.startswith(f"the audit chain ends at row {first} (1 rows), but the checkpoint of ")
    assert problem.endswith(f"recorded row {last} (2 rows): the tail was truncated")
    execute(url, "DELETE FROM audit_event")
    status, out, [problem] = run(capsys, "--database", url, "audit", "verify", "--checkpoints", str(checkpoints))
    assert (status, problem.startswith("the audit log is empty, but the checkpoint of ")) == (1, True)
    assert run(capsys, "--database", url, "audit", "verify") == (
        1, [], ["the audit chain has 0 sealed rows, but seal 1 sealed up to place 2: the tail was truncated"])
    execute(url, "DELETE FROM audit_seal")
    assert run(capsys, "--database", url, "audit", "verify") == (
        0, ["audit chain verified (0 rows, 0 checkpoints)"], [])


def test_seal_chains_the_pending_rows_and_verify_counts_them(url, tmp_path, capsys):
    main(["--database", url, "participants", "import", str(good_file(tmp_path))])
    main(["--database", url, "participants", "import", str(good_file(tmp_path))])
    capsys.readouterr()
    assert query(url, "SELECT seq FROM audit_event ORDER BY id") == [(None,), (None,)]
    assert run(capsys, "--database", url, "audit", "verify") == (
        0, ["audit chain verified (0 rows, 0 checkpoints); 2 row(s) written in the last minute not sealed yet"], [])
    assert run(capsys, "--database", url, "audit", "seal") == (0, ["sealed 2 row(s): places 1 to 2"], [])
    assert query(url, "SELECT seq FROM audit_event ORDER BY id") == [(1,), (2,)]
    assert query(url, "SELECT first_seq, last_seq FROM audit_seal") == [(1, 2)]
    assert run(capsys, "--database", url, "audit", "seal") == (0, ["nothing to seal"], [])
    assert run(capsys, "--database", url, "audit", "verify") == (
        0, ["audit chain verified (2 rows, 0 checkpoints)"], [])


def test_seal_names_a_row_it_refuses(url, tmp_path, capsys):
    main(["--database", url, "participants", "import", str(good_file(tmp_path))])
    [(row_id,)] = query(url, "SELECT id FROM audit_event")
    execute(url, "UPDATE audit_event SET actor = 'someone.else'")
    capsys.readouterr()
    assert run(capsys, "--database", url, "audit", "seal") == (
        1, ["nothing to seal"], [f"audit row {row_id} not sealed: its writer's signature does not hold"])


def test_verify_refuses_a_missing_or_malformed_checkpoints_file(url, tmp_path, capsys):
    missing = tmp_path / "no-such-file"
    status, _, [message] = run(capsys, "--database", url, "audit", "verify", "--checkpoints", str(missing))
    assert (status, message.startswith("kidb audit verify: ")) == (2, True)
    malformed = tmp_path / "checkpoints.txt"
    malformed.write_text("2026-11-30T10:00:00Z kidb audit checkpoint row=1 rows=1 hash=abc\n")
    assert run(capsys, "--database", url, "audit", "verify", "--checkpoints", str(malformed)) == (
        1, [], [f"{malformed} line 1: not an audit checkpoint"])
