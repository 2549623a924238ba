"""``python -m mockbank``: the same as the ``mockbank`` command."""

from mockbank.cli import main

raise SystemExit(main())
