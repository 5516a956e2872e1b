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

import gru_core as gc
from app_helpers import ROOT, charts, run_page
from ui import registry

GATES = registry.get("gates").file
INSPECTOR = registry.get("inspector").file
DATA = registry.get("data").file

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


# ---------------------------------------------------------------- one index base: 1

def test_the_gates_caption_and_row_labels_count_from_1():
    at = run_page(GATES)
    assert not at.exception
    caption = next(c.value for c in at.caption if "published weights are rounded" in c.value)
    assert "z_t[1, 1]: 0.1790" in caption and "[0, 0]" not in caption
    assert charts(at)["x_t"]["data"][0]["y"] == ["1: Mat", "2: hMa"]


def test_the_cell_inspector_shows_indices_from_1_and_keeps_the_url_meaning():
    # cell_b / cell_j in the URL are NumPy's indices (0-based), as before: row 2 ("hMa"), unit h1
    at = run_page(INSPECTOR, query={"cell_q": "z", "cell_b": "1", "cell_j": "0"})
    assert not at.exception
    assert at.session_state["cell_b"] == 1 and at.session_state["cell_j"] == 0
    assert at.query_params["cell_b"] == "1"
    assert at.metric[0].label == "z_t[2, 1] at time step 1"
    assert at.metric[0].value == "0.6596"                      # published z, row 2, unit 1
    latex = at.latex[0].value.strip("$\n")
    assert latex.startswith(r"\begin{aligned}z_t[2,1] &= \sigma\big(x_t W_z[:,1]")
    # "hMa" reads 'h' at t = 1: id 0, the first column of x_t and the first row of W_z
    assert r"W_z[1,1] = 0.6614" in latex and r"is one-hot at column }1" in latex
    assert "[0," not in latex and ",0]" not in latex
    assert at.selectbox(key="cell_b").format_func(1) == "2: hMa"
    assert at.selectbox(key="cell_j").format_func(0).startswith("1 ")
    terms = next(d.value for d in at.dataframe if "symbol" in d.value.columns)
    assert terms["symbol"].iloc[0] == "x_t·W_z[:,1] = W_z[1,1]  (x_t is one-hot at column 1, id 0)"


def test_the_output_cell_counts_columns_from_1():
    at = run_page(INSPECTOR, query={"cell_q": "probs", "cell_b": "0", "cell_j": "3"})
    assert not at.exception
    assert at.metric[0].label == "ŷ_t[1, 4] at time step 1"
    assert at.metric[0].value == "0.2254"                      # published ŷ, row 1, 'M'
    assert at.latex[0].value.strip("$\n").startswith(r"\begin{aligned}\hat y_t[1,4] &=")
    assert at.selectbox(key="cell_j").format_func(3) == "column 4: M  (id 3)"


def test_gru_core_keeps_numpy_indices_by_default():
    v = gc.Vocab.from_text(gc.TUTORIAL_TEXT, "hatM")
    b = gc.make_batches(v.encode(gc.TUTORIAL_TEXT), v.size, 2, 3, "tutorial")
    tr = gc.run_batches(gc.tutorial_params(), b, gc.GRUConfig("before", "keep"))[0]
    zero = gc.explain_cell(gc.tutorial_params(), tr, "z", 0, 1, 0)
    one = gc.explain_cell(gc.tutorial_params(), tr, "z", 0, 1, 0, base=1)
    assert zero.latex.startswith(r"\begin{aligned}z_t[1,0]") and "W_z[0,0]" in zero.latex
    assert one.latex.startswith(r"\begin{aligned}z_t[2,1]") and "W_z[1,1]" in one.latex
    assert zero.result == one.result and (zero.b, zero.j) == (one.b, one.j) == (1, 0)


def test_the_data_page_counts_rows_samples_and_positions_from_1():
    at = run_page(DATA)
    assert not at.exception
    samples = next(d.value for d in at.dataframe if "sample" in d.value.columns)
    assert list(samples["sample"]) == [1, 2, 3, 4, 5, 6]
    assert list(samples["row"]) == [1, 2, 1, 2, 1, 2]
    ids = next(d.value for d in at.dataframe if "used as" in d.value.index)
    assert list(ids.columns)[:3] == ["1", "2", "3"]
    assert list(ids.loc["row"])[:6] == ["1", "1", "1", "2", "2", "2"]     # "Mat", "hMa"
    assert any("count from 1 on every page" in m.value for m in at.markdown)
