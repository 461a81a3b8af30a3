"""`python -m kidb_tui` runs the `kidb` command line."""

from kidb_tui.cli import main

raise SystemExit(main())
