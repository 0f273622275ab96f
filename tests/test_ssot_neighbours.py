"""Neighbouring modules: what the changed modules import, what imports them, siblings."""

from __future__ import annotations

from analyzers.source import ParsedFile, parse
from analyzers.ssot.index import ImportRef, module_facts
from analyzers.ssot.neighbours import ModuleMap, neighbours


def imports_of(files: dict[str, str]) -> dict[str, tuple[ImportRef, ...]]:
    out = {}
    for path, text in files.items():
        parsed = parse(path, text.encode())
        assert isinstance(parsed, ParsedFile)
        out[path] = module_facts(parsed).imports
    return out


def around(files: dict[str, str], *changed: str, limit: int = 200) -> tuple[str, ...]:
    return neighbours(list(changed), imports_of(files), limit)


def test_relative_imports_resolve_to_modules_and_submodules() -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/views.py": "from . import models\nfrom .utils.text import slug\nfrom .. import top\n",
        "pkg/models.py": "",
        "pkg/utils/__init__.py": "",
        "pkg/utils/text.py": "",
        "top.py": "",
    }
    refs = imports_of(files)["pkg/views.py"]
    modules = ModuleMap(files)
    resolved = set().union(*(modules.resolve("pkg/views.py", ref) for ref in refs))
    assert resolved == {"pkg/__init__.py", "pkg/models.py", "pkg/utils/text.py", "top.py"}


def test_relative_import_from_a_package_init_starts_at_that_package() -> None:
    files = {"pkg/__init__.py": "from .core import run\n", "pkg/core.py": ""}
    assert around(files, "pkg/__init__.py") == ("pkg/core.py",)


def test_src_layout_modules_are_importable_without_src() -> None:
    files = {
        "src/shop/__init__.py": "",
        "src/shop/cart.py": "from shop.prices import total\n",
        "src/shop/prices.py": "",
        "tests/test_cart.py": "import shop.cart\n",
    }
    assert around(files, "src/shop/cart.py") == (
        "src/shop/prices.py", "tests/test_cart.py", "src/shop/__init__.py"
    )


def test_names_inside_a_regular_package_are_not_top_level_modules() -> None:
    files = {"app/__init__.py": "", "app/os.py": "", "app/main.py": "import os\n"}
    modules = ModuleMap(files)
    assert modules.names("app/os.py") == ["app.os"]
    assert around(files, "app/main.py") == ("app/__init__.py", "app/os.py")


def test_namespace_packages_resolve_without_init_files() -> None:
    files = {"ns/plugins/alpha.py": "from ns.plugins import beta\n", "ns/plugins/beta.py": ""}
    assert around(files, "ns/plugins/alpha.py") == ("ns/plugins/beta.py",)


def test_import_cycles_terminate_and_rank_imports_first() -> None:
    files = {
        "app/__init__.py": "",
        "app/a.py": "from app import b\n",
        "app/b.py": "from app.a import thing\n",
        "app/c.py": "import app.a\n",
        "app/d.py": "",
    }
    assert around(files, "app/a.py") == ("app/__init__.py", "app/b.py", "app/c.py", "app/d.py")


def test_lazy_imports_inside_functions_count() -> None:
    files = {
        "app/__init__.py": "",
        "app/jobs.py": "def run():\n    from app.mail import send\n    send()\n",
        "lib/mail.py": "",
        "app/mail.py": "",
    }
    assert around(files, "app/jobs.py")[0] == "app/mail.py"


def test_changed_files_are_not_their_own_neighbours_and_the_cap_applies() -> None:
    files = {f"app/m{n}.py": "" for n in range(10)} | {"app/__init__.py": ""}
    found = around(files, "app/m0.py", "app/m1.py", limit=3)
    assert found == ("app/__init__.py", "app/m2.py", "app/m3.py")


def test_third_party_imports_resolve_to_nothing() -> None:
    files = {"app/__init__.py": "", "app/web.py": "import requests\nfrom flask import Flask\n"}
    assert around(files, "app/web.py") == ("app/__init__.py",)
