"""Every language kit's certify.sh started from an awkwardly named folder.

Per kit: certify.sh starts the adapter from a folder named with Danish letters, quotes and shell characters
under LC_ALL=C, and certification passes. A kit whose tools are missing is skipped here with the reason, and
fails when CI=true (see test_language_kits.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from test_language_kits import KIT_PARAMS, MOCKBANK, SCRIPT_TIMEOUT, build_outputs, kit_settings

pytestmark = pytest.mark.slow  # the kits' real toolchains (`pytest --all` and CI run them)

#: Danish letters, both quotes, a space and shell characters: every one must reach the adapter as written.
AWKWARD_FOLDER = "søren \"q\" $HOME `x` it's"


@pytest.mark.parametrize("folder", KIT_PARAMS)
def test_certify_sh_starts_the_adapter_from_a_folder_named_with_danish_letters_and_quotes(folder, tmp_path):
    kit_settings(folder)
    copy = tmp_path / AWKWARD_FOLDER / folder.name
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(*build_outputs(folder)))
    env = {**os.environ, "MOCKBANK": str(MOCKBANK), "LC_ALL": "C"}
    done = subprocess.run(["bash", str(copy / "certify.sh"), "--plans", "balance", "--examples", "1",
                           "--report", str(tmp_path / "report")], capture_output=True, text=True, encoding="utf-8",
                          cwd=tmp_path, env=env, timeout=SCRIPT_TIMEOUT)
    assert done.returncode == 0, f"{folder.name}/certify.sh exited {done.returncode}:\n{done.stdout}\n" \
                                 f"{done.stderr[-3000:]}"
    assert "certification PASSED" in done.stdout
