"""docs/reference/ is generated from the config schema (scripts/reference_docs.py): it must be up
to date, one page per top-level key, and the repositories page must show every format's blocks."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from components import config_schema
from components.kinds.repositories.formats import block_names, formats, types_of

ROOT = Path(__file__).resolve().parent.parent


def generator() -> ModuleType:
    loader = importlib.util.spec_from_file_location("reference_docs", ROOT / "scripts" / "reference_docs.py")
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return module


def test_reference_pages_are_up_to_date(capsys):
    assert generator().main(["--check"]) == 0, capsys.readouterr().err + " (run python scripts/reference_docs.py)"


def test_one_page_per_top_level_key_and_every_format_block_documented():
    pages = generator().pages()
    assert set(pages) == {"README.md", *(f"{key}.md" for key in config_schema.KEYS)}
    repositories = pages["repositories.md"]
    for fmt in formats():
        assert f"| {fmt}" in repositories  # the release table
        for repo_type in types_of(fmt):
            for block in block_names(fmt, repo_type):
                assert f"##### `{block}` (when `type` is {repo_type} and `format` is {fmt})" in repositories
    assert "| `keypair` | string |  | Secret:" in repositories
    assert "(secret: `pulumi config set --secret --path`)" in repositories
