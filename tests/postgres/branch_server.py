"""The sessions of one branch server for the many-servers test: a process of its own with the
data directory, database URL, pepper and audit key it shares with that server's `kidb serve`
(in its environment, as a session of `kidb serve` reads them), driving the service layer as the
kiosk and back-office sessions do, by requests over a pipe: `(name, arguments)` in,
`("ok", result)` or `("error", type, key)` out. It seals nothing: its `kidb serve` does (as a
session of `kidb serve` leaves sealing to the server)."""

from __future__ import annotations

import os
from pathlib import Path

from kidb_tui.config import load_settings
from kidb_tui.errors import DomainError
from kidb_tui.services import auth, review
from kidb_tui.services.claims import ClaimDraft, submit_claim
from kidb_tui.services.profile import get_profile
from kidb_tui.services.runtime import Runtime
from tests.crash import population


class BranchServer:
    """The requests a test can make; each runs in this process, against the shared database."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.checked = 0
        verify, dummy = rt.hasher.verify, rt.hasher.verify_dummy

        def counted(stored: str, secret) -> bool:
            self.checked += 1
            return verify(stored, secret)

        def uncounted(secret) -> bool:
            self.checked -= 1
            return dummy(secret)

        rt.hasher.verify, rt.hasher.verify_dummy = counted, uncounted

    def login(self, nib: str, pin: str) -> tuple[int, int, str, str] | str:
        """The identity as a tuple, or the error key."""
        result = auth.login(self.rt, nib, pin)
        if result.identity is None:
            return result.error_key or ""
        identity = result.identity
        return identity.participant_id, identity.account_id, identity.nib, identity.full_name

    def wrong_logins(self, nib: str, count: int) -> list[str]:
        return [auth.login(self.rt, nib, "000000").error_key or "" for _ in range(count)]

    def file_claim(self, nib: str, type_code: str, key: str) -> str:
        found = auth.login(self.rt, nib, population.PIN)
        assert found.identity is not None, found.error_key
        identity = found.identity
        contact = get_profile(self.rt, identity.participant_id).contact
        draft = ClaimDraft(type_code, "1.000.000", population.BANK_CODE, population.ACCOUNT_NUMBER,
                           identity.full_name, "Biaya rawat inap", population.DOCUMENTS[type_code])
        return submit_claim(self.rt, identity, draft, contact, population.PIN, key).reference

    def queue(self) -> list[str]:
        return [item.reference for item in review.queue(self.rt, stage="agenda").items]

    def secrets_checked(self) -> int:
        """Secrets checked against a real account's hash (the dummy check of a locked key is not one)."""
        return self.checked


def serve(pipe, data_dir: str, database_url: str, environment: dict[str, str], name: str) -> None:
    """The process: settings from the environment, then requests until `None` arrives."""
    os.environ.update(environment, KIDB_DATA_DIR=data_dir, KIDB_TERMINAL_ID=name, KIDB_BRANCH=f"Cabang {name}",
                      KIDB_SERVER_SEALS="1")
    Path(data_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
    server = BranchServer(Runtime.create(load_settings(database_url)))
    try:
        while (request := pipe.recv()) is not None:
            method, arguments = request
            try:
                pipe.send(("ok", getattr(server, method)(*arguments)))
            except DomainError as error:
                pipe.send(("error", type(error).__name__, error.key))
    finally:
        server.rt.engine.dispose()
