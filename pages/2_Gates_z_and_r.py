"""Page 2: the update gate z and the reset gate r, term by term (tutorial Part 1)."""
import streamlit as st

from ui import compute, draw, equations, page, plots, store

ctx = page.setup("gates")
st.markdown(
    "Each gate adds three terms (what the character says, what the previous state says, a bias) "
    "and squashes the sum with σ into (0, 1): one number per batch row and hidden unit.")


def body(n: int, t: int):
    tr, p = ctx.trace(n), ctx.run.params
    B, V, H = ctx.B, ctx.V, ctx.H
    rows, hid, voc = ctx.row_labels(n), ctx.hidden_labels, ctx.vocab_labels
    chars = ", ".join(repr(ctx.char_at(n, t, b)) for b in range(B))
    rounded = ctx.run.weights_source == "tutorial" and not draw.presenting()
    st.caption(f"Batch {n + 1}, time step {t + 1}: the rows read {store.md_literal(chars)}."
               + (" The published weights are rounded to 4 decimals, as printed in the tutorial, "
                  "so a result's 4th decimal may differ by one from its tables (z_t[1, 1]: 0.1790 "
                  "here, .1791 there; rows and units count from 1)." if rounded else ""))
    # the picked cell of z_t or r_t (click one) and the cells it comes from, outlined
    q, pb, pj = page.picked(ctx, ("z", "r"))
    ex = compute.explain(ctx.run, n, q, t, pb, pj)
    v = ex.char_index

    def x_t():
        draw.matrix(tr.x[t], "x_t  one-hot input", x=voc, y=rows, kind="onehot",
                    key="x_t", x_title="character", y_title="row", highlight_rows=(pb,),
                    highlight_cells=((pb, v),))

    def mark(g: str, what: str):
        """Outlines of the picked cell's sources in gate g's panel `what`."""
        if g != q:
            return {}
        return {"W": dict(highlight_rows=(v,), highlight_cells=((v, pj),)),
                "U": dict(highlight_cols=(pj,)), "b": dict(highlight_cells=((0, pj),)),
                "cell": dict(highlight_cells=((pb, pj),))}[what]

    # presentation: each gate's equation row on the first screen, its operands below it
    if not draw.presenting():
        x_t()
    for g, name in (("z", "update gate"), ("r", "reset gate")):
        st.header(f"{g}: the {name}")
        st.latex(equations.gate(g, B, V, H))
        W, U, b = getattr(p, f"W_{g}"), getattr(p, f"U_{g}"), getattr(p, f"b_{g}")
        # One figure: the three weight matrices feeding the H units (each with its own rows),
        # then the three terms, their sum and σ of it, left to right as in the equation (the
        # batch rows in every panel, so they share one row axis; plots decides how many fit
        # a line: all five up to H = 4).
        weights = plots.Line([
            plots.Panel(W, f"W_{g}", x_labels=hid, key=f"W_{g}", y_labels=voc,
                        y_title="character", **mark(g, "W")),
            plots.Panel(U, f"U_{g}", x_labels=hid, key=f"U_{g}", y_labels=hid,
                        y_title="unit of h_(t−1)", **mark(g, "U")),
            plots.Panel(b[None, :], f"b_{g}", x_labels=hid, key=f"b_{g}", y_labels=["b"],
                        **mark(g, "b"))])
        panels = [plots.Panel(getattr(tr, f"{g}_{part}")[t], title, x_labels=hid,
                              key=f"{g}_{part}", **mark(g, "cell"))
                  for part, title in (("in", f"x_t W_{g}"), ("rec", f"h_(t−1) U_{g}"),
                                      ("bias", f"b_{g}"), ("pre", "sum"))]
        panels.append(plots.Panel(getattr(tr, g)[t], f"{g}_t = σ(sum)", x_labels=hid,
                                  key=f"{g}_t", kind="gate", **mark(g, "cell")))
        terms = plots.lines_of(panels, rows, "row", ops=("+", "+", "=", "σ"))
        draw.matrix_grid([*terms, weights] if draw.presenting() else [weights, *terms],
                         pick=f"{g}_t", on_pick=page.pick(g))
        if g == q:
            draw.cell_equation(ex, f"{g}_t", f"row {v + 1} of W_{g}, the character "
                               f"{store.md_literal(repr(ctx.char_at(n, t, pb)))}, is the one the "
                               f"one-hot x_t picks, column {pj + 1} of U_{g} meets h_(t−1)'s row "
                               f"{pb + 1}, and b_{g}[{pj + 1}] is added",
                               draw.CellKeys({"z": "z_t", "r": "r_t"}, q, rows, hid))
        if g == "z" and draw.presenting():
            x_t()
    draw.look_at(
        "x_t has a single 1 per row, so x_t W_z is just the row of W_z for that character. "
        "At t = 1 the state h_0 is zero, so the recurrent term is zero too. Gate values near 1 "
        "(yellow) let information through, near 0 (purple) block it.")


page.stepped(ctx, body)

page.end(ctx)
