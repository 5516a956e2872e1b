"""Words a class understands (issue #14, point 7): one notation for the previous state and one
index base (1, as the tutorial's "sequence 1, batch 1") for rows, units, batches and steps.

The notation: "h_(t−1)" (U+2212 minus) in every text that is not LaTeX — Markdown prose,
captions, Plotly titles and axis titles, table labels — because it reads the same in all of them
(Plotly titles, Markdown and dataframes show it literally; "h_{t-1}" would show its braces, and
the subscript characters "h₍ₜ₋₁₎" are missing from many projector fonts); "h_{t-1}" only in LaTeX
(st.latex, $...$ in Markdown), where it renders as a subscript. This project writes every LaTeX
string as a raw string (r"..." / rf"..."), so a string's prefix tells which form it may hold.
"""
from __future__ import annotations

import ast
import io
import re
import tokenize

import pytest

from app_helpers import ROOT

UI_SOURCES = sorted([ROOT / "app.py", ROOT / "gru_core" / "explain.py",
                     *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")])
# Forms of the previous state that are never right, in any string.
ALWAYS_WRONG = ("h_(t-1)", "h₍ₜ₋₁₎", "hₜ₋₁", "h_{t−1}", "h_{{t−1}}", "h_t-1", "h(t-1)", "h(t−1)",
                "h_t−1")
LATEX_FORM = re.compile(r"h_\{\{?t-1\}\}?")          # h_{t-1}, or h_{{t-1}} in an f-string
TEXT_FORM = "h_(t−1)"


def strings(path):
    """(line, prefix, text) of every string literal of a source file except docstrings."""
    source = path.read_text(encoding="utf-8")
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                docstrings.add(body[0].value.lineno)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.STRING and tok.start[0] not in docstrings:
            prefix = re.match(r"[A-Za-z]*", tok.string).group(0).lower()
            yield tok.start[0], prefix, tok.string


def test_the_sources_are_found():
    assert len(UI_SOURCES) > 20
    found = [s for p in UI_SOURCES for _, _, s in strings(p) if TEXT_FORM in s]
    assert len(found) > 20                       # the check below reads the strings it should


def problems(path) -> list[str]:
    """Every use of a wrong form of the previous state in the file's strings."""
    bad = []
    for line, prefix, text in strings(path):
        for form in ALWAYS_WRONG:
            if form in text:
                bad.append(f"line {line}: {form!r}")
        if LATEX_FORM.search(text) and "r" not in prefix:
            bad.append(f"line {line}: h_{{t-1}} outside a LaTeX (raw) string")
        if TEXT_FORM in text and "r" in prefix and "\\" in text:
            bad.append(f"line {line}: {TEXT_FORM!r} inside LaTeX")
    return bad


@pytest.mark.parametrize("path", UI_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_one_notation_for_the_previous_state(path):
    assert not problems(path)


def test_the_check_catches_each_wrong_form(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""h_(t-1) in a docstring is fine."""\n'
                      'A = "h_(t-1) ascii"\nB = "prose h_{t-1}"\nC = rf"\\sigma(h_{{t-1}})"\n'
                      'D = "h₍ₜ₋₁₎"\nE = r"\\tanh(h_(t−1))"\nF = "h_(t−1) fine"\n',
                      encoding="utf-8")
    assert [int(p.split()[1].rstrip(":")) for p in problems(sample)] == [2, 3, 5, 6]
