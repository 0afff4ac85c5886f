"""One strings table (issue 12): the words the product says live in kpi/messages.py (kpi side) and ui/strings/
(pages); no page module and no kpi module holds Japanese text of its own.

What may stay: docstrings and comments (not shown), and *data about input* — what a file's headers, codes and
names look like (kpi/schemas.py header aliases, kpi/parse.py era and unit words, kpi/templates.py example rows,
and the module-level constants named in ``INPUT_DATA`` below, such as the legal forms stripped from names).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uff01-\uff5e]")
TABLES = {"kpi/messages.py"}  # the kpi-side strings table itself
INPUT_MODULES = {"kpi/schemas.py", "kpi/parse.py", "kpi/templates.py"}  # what input looks like, not what we say
INPUT_DATA = {  # module-level constants that describe input (matched against what users' files hold)
    "LEGAL_FORMS", "MACHINE_ONLY_MENUS", "REASON_CLASSES", "COUNT_ALIASES", "COUNT_HEADERS", "LEGAL_FORM_PATTERNS",
    "NAME_NOISE", "HEADER_ALIASES", "MONTH_WORDS", "MONTH_SUFFIX", "YEAR_MONTH_MARKS", "HEADER_SEPARATORS",
    "_PREFECTURE", "_CITY",  # kpi/institutions.py: an address's prefecture and city as the code list writes them
}


def _docstring_ids(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _input_data_ids(tree: ast.Module) -> set[int]:
    out = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id in INPUT_DATA for t in targets):
            out |= {id(n) for n in ast.walk(node)}
    return out


def japanese_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstring_ids(tree) | _input_data_ids(tree)
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    return [f"{name}:{node.lineno}: {node.value[:40]!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
            and JAPANESE.search(node.value)]


def test_no_japanese_literals_in_pages_or_kpi_modules():
    files = sorted((ROOT / "app_pages").glob("*.py")) + sorted((ROOT / "kpi").rglob("*.py"))
    found = [hit for path in files if str(path.relative_to(ROOT)) not in TABLES | INPUT_MODULES
             for hit in japanese_literals(path)]
    assert not found, "words belong in kpi/messages.py or ui/strings/:\n" + "\n".join(found)


def test_the_check_finds_a_literal(tmp_path):
    """The scan is not vacuous: a Japanese literal outside a docstring is found, one inside is not."""
    probe = tmp_path / "probe.py"
    probe.write_text('"""説明"""\nLABEL = "売上"\nLEGAL_FORMS = ("医療法人",)\n', encoding="utf-8")
    hits = japanese_literals(probe)
    assert len(hits) == 1 and "売上" in hits[0]
