"""``python -m responses_client``: see ``_cli``."""

from ._cli import main

raise SystemExit(main())
