"""`python -m kidb_tui` runs the `kidb` command line. Under `--kiosk` (every terminal session)
an error that escapes it goes to the log, and the person at the terminal reads one plain
line, never a traceback. `attach` (the OpenSSH forced command) starts with the standard
library only."""

import sys

if sys.argv[1:2] == ["attach"]:
    from kidb_tui.attach import main as attach

    raise SystemExit(attach(sys.argv[2:]))

if "--kiosk" in sys.argv[1:]:
    from kidb_tui.host.guard import log_and_exit

    sys.excepthook = log_and_exit

from kidb_tui.cli import main  # after the hook, so that an import error is caught too

raise SystemExit(main())
