"""Page 0: the GRU cell drawn as the tutorials draw it, with this time step's values at every
node, the batch unrolled beneath, and a node's equation with its numbers in place."""
import streamlit as st

from ui import draw, equations, exports, page, plots, registry, store

ctx = page.setup("cell")
page.one_screen()

# node -> the page that teaches it
TAUGHT = {"x": "data", "h_prev": "candidate", "z": "gates", "r": "gates", "reset": "candidate",
          "h_tilde": "candidate", "one_minus_z": "candidate", "from_prev": "candidate",
          "from_tilde": "candidate", "h": "candidate", "y": "output"}
FIELDS = {"x": "x", "h_prev": "h_prev", "z": "z", "r": "r", "h_tilde": "h_tilde",
          "one_minus_z": "one_minus_z", "from_prev": "h_from_prev",
          "from_tilde": "h_from_tilde", "h": "h", "y": "probs"}


def pick(node: str) -> None:
    """on_select of the drawing: the clicked node's equation is shown."""
    st.session_state["node"] = node


def body(n: int, t: int):
    tr, config = ctx.trace(n), ctx.run.config
    reset_field = "r_h_prev" if config.reset == "before" else "h_rec"
    values = {k: getattr(tr, f)[t] for k, f in {**FIELDS, "reset": reset_field}.items()}
    rows = [f"{b + 1}" for b in range(ctx.B)]
    shown = min(ctx.B, 2)
    steps_in = [[ctx.char_at(n, k, b) for b in range(shown)] for k in range(ctx.S)]
    names = plots.cell_names(config.reset, config.update)
    ask, choose = st.columns([1, 10], vertical_alignment="center")
    ask.markdown("**Equation of**", help="Choose a node here, or click it in the drawing.")
    choose.radio("Equation of", list(names), key="node", horizontal=True,
                 format_func=lambda k: names[k].replace("_", r"\_"),
                 label_visibility="collapsed")
    node = st.session_state["node"]
    fig = plots.cell_figure(values, reset=config.reset, update=config.update, chosen=node,
                            hidden=ctx.hidden_labels, chars=ctx.vocab_labels, rows=rows,
                            step=t, steps_in=steps_in,
                            numbers=bool(st.session_state.get("numbers", True)),
                            present=store.presenting())
    for k, v in values.items():
        x = ctx.vocab_labels if k in ("x", "y") else ctx.hidden_labels
        exports.current().register(f"cell_{k}", names[k], v, x, ctx.row_labels(n))
    draw.cell_diagram(fig, key="cell", on_pick=pick, names=names, step=t)
    # the equation on the page's full width (narrow windows too), its link beside the
    # downloads under it, so the page stays one screen
    st.latex(equations.cell_node(node, config, tr, t))
    notes = []
    if equations.cut(values[node].shape) or equations.cut(values["h"].shape):
        notes.append("The equation writes out the first rows and columns (⋮, ⋯: more); "
                     "hover over the drawing for every value.")
    if node == "h_prev":
        notes.append("At the first step of the text h_(t−1) is h_0 = 0; at the first step "
                     "of a later batch it is the state the previous batch ended with.")
    if notes:
        st.caption(" ".join(notes))
    taught, table, downloads = st.columns([3, 1.6, 3.4], vertical_alignment="center")
    with taught:
        teach = registry.get(TAUGHT[node])
        page.link(teach.key, f"Where {names[node]} is taught: {teach.label} →")
    with table:       # the chosen node's matrix
        x = ctx.vocab_labels if node in ("x", "y") else ctx.hidden_labels
        draw.tables("cell", lambda: [draw.matrix_table(
            f"{names[node]} at step {t + 1}", values[node], x, ctx.row_labels(n),
            x_title="character" if node in ("x", "y") else "unit", y_title="row")])
    with downloads:
        draw.downloads()


page.stepped(ctx, body, downloads=False)
page.end(ctx)
