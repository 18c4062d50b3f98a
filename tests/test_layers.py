"""The core layers import no Textual, so they run and test without a terminal."""

from __future__ import annotations

import json
import subprocess
import sys

CORE_PACKAGES = ["domain", "store", "sync", "gateway", "sending"]
CORE_MODULES = ["routine", "explain"]

IMPORT_ALL = """
import importlib, json, pkgutil, sys
import smsconfirm_tui
imported = []
for package in {packages}:
    module = importlib.import_module(f"smsconfirm_tui.{{package}}")
    imported.append(module.__name__)
    for info in pkgutil.walk_packages(module.__path__, prefix=module.__name__ + "."):
        importlib.import_module(info.name)
        imported.append(info.name)
for name in {modules}:
    importlib.import_module(f"smsconfirm_tui.{{name}}")
    imported.append(name)
textual = sorted(name for name in sys.modules if name == "textual" or name.startswith("textual."))
print(json.dumps({{"imported": imported, "textual": textual}}))
"""


def test_core_imports_no_textual() -> None:
    code = IMPORT_ALL.format(packages=CORE_PACKAGES, modules=CORE_MODULES)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    report = json.loads(result.stdout)

    assert "smsconfirm_tui.domain.status" in report["imported"]
    assert "smsconfirm_tui.sending.sender" in report["imported"]
    assert "routine" in report["imported"]
    assert report["textual"] == []


def test_layer_check_sees_textual() -> None:
    # The check above must be able to fail: importing the app pulls Textual in.
    code = IMPORT_ALL.format(packages=["tui"], modules=[])
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert "textual" in json.loads(result.stdout)["textual"]
