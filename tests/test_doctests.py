"""Every docstring example of the library runs (one test per module).

The modules are imported under their installed names (``redline.spatial.areas``, not ``spatial.areas``), so
the examples run against the package as users import it.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest


def _modules() -> list[str]:
    """Every module of the package; the three sub-packages are walked on their own, since an editable
    install maps them from the repository's top-level folders."""
    names = []
    for package in ("redline", "redline.layers", "redline.spatial", "redline.maps"):
        names.append(package)
        path = importlib.import_module(package).__path__
        names += [info.name for info in pkgutil.walk_packages(path, package + ".")]
    return sorted(set(names))


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)   # examples that write files write them here
    module = importlib.import_module(name)
    failures: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder(exclude_empty=True).find(module, name):
        runner.run(test, out=failures.append)
    assert not failures, "\n".join(failures)
