"""The installed package holds every module of the source tree, the schemas and the demo bank."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from importlib.resources import files
from pathlib import Path

import mockbank

SOURCE = Path(__file__).resolve().parents[1]


def test_every_source_package_is_installed():
    for folder, package in (("mockbank", "mockbank"), ("contract_tests", "mockbank.contract_tests")):
        for module in pkgutil.walk_packages([str(SOURCE / folder)], prefix=f"{package}."):
            if not module.name.endswith(".__main__"):  # importing it would run the command line
                importlib.import_module(module.name)
    assert importlib.util.find_spec("mockbank.__main__") is not None


def test_schemas_and_fixtures_ship_with_the_package():
    assert files("mockbank.schema_files").joinpath("openapi.json").is_file()
    assert files("mockbank.fixture_files").joinpath("demo.json").is_file()
    assert mockbank.__version__


def test_the_dashboard_templates_and_static_files_ship_with_the_package():
    dashboard = files("mockbank.dashboard")
    for name in ("templates/base.html", "templates/requests.html", "templates/account.html", "static/dashboard.js",
                 "static/dashboard.css"):
        assert dashboard.joinpath(name).is_file(), name
