"""The web dashboard at ``/_mock/ui``: server-rendered pages to see and steer the bank (design.md, Dashboard).

``install(app)`` registers it; every page works per sandbox too (``<baseUrl>/_mock/ui``), because
:class:`mockbank.web.SandboxMiddleware` mounts the whole app below each sandbox.
"""

from __future__ import annotations

from flask import Flask

from mockbank.dashboard.access import RootRedirect
from mockbank.dashboard.views import blueprint


def install(app: Flask) -> None:
    """Serve the dashboard and send browsers opening ``/`` to it (API clients still get the JSON 404)."""
    app.register_blueprint(blueprint)
    app.wsgi_app = RootRedirect(app.wsgi_app)
