"""Page 1: from text to the 4-D one-hot tensor (tutorial Part 1): dictionary, ids, samples,
batches, targets, leftovers, and what carrying the state across batches means."""
import pandas as pd
import streamlit as st

from ui import compute, draw, page, plots

ctx = page.setup("data")
st.markdown(
    "Before any matrix product the text becomes numbers: each character gets an **id** from a "
    "dictionary, the ids are cut into **samples** of S characters, B samples form a **batch**, "
    "and every id becomes a **one-hot** row. The targets are the same text shifted by one "
    "character: at every position the GRU must predict the next character.")

run, s = ctx.run, ctx.settings
batches, vocab = run.batches, run.vocab
S, B, V, N = ctx.S, ctx.B, ctx.V, run.num_batches
L = len(run.ids)
used = N * B * S                       # characters used as inputs (positions 0 .. used - 1)
MAX_CODE_IDS = 400                     # ids printed in the code block (the table shows them all)
SHORT_TEXT = 120                       # longer texts get their id list in an expander
BOTH_GRIDS_MAX_S = 12                  # up to here X and Y grids are both drawn (2·S charts)
OPEN_GRID_CELLS = 64                   # S·B up to here: the grids on the page, else folded


def visible(text: str) -> str:
    """User text with whitespace made visible (␣ ⏎ ⇥), for tables and code blocks."""
    return plots.label(text)


def text_of(start: int, stop: int) -> str:
    return visible(vocab.decode(run.ids[start:stop]))


def row_place() -> dict[int, tuple[int, int]]:
    """Text position -> (batch, row), both 0-based, for every position used as an input."""
    place = {}
    for n in range(N):
        for b in range(B):
            start = int(batches.sample_starts[n, b])
            for i in range(start, start + S):
                place[i] = (n, b)
    return place


# ---------------------------------------------------------------- 1. dictionary
st.header("1 · The dictionary")
order_name = {"tutorial": "the tutorial's order `hatM` (h = 0, a = 1, t = 2, M = 3)",
              "sorted": "sorted order (by Unicode code point)",
              "first": "order of first appearance in the text",
              "custom": "the custom order"}[compute.order_used(s)]
how = (" — chosen by *auto*: the tutorial's `hatM` for a text of exactly the characters h, a, t "
       "and M, sorted for any other text" if s.order == "auto" else "")
st.markdown(f"{V} characters in the dictionary, numbered in **{order_name}**{how} (sidebar → "
            "*Model and data options* → *Vocabulary order*). Whitespace is shown as ␣ (space), "
            "⏎ (new line), ⇥ (tab).")
counts = {c: 0 for c in vocab.chars}
for c in s.text:
    if c in counts:
        counts[c] += 1
c1, c2 = st.columns([3, 2])
with c1:
    st.dataframe(pd.DataFrame({
        "id": range(V),
        "character": [visible(c) for c in vocab.chars],
        "code point": [f"U+{ord(c):04X}" for c in vocab.chars],
        "count in text": [counts[c] for c in vocab.chars],
    }), hide_index=True, key="dictionary", height=min(420, 38 + 35 * V))
with c2:
    st.caption("The same dictionary as Python prints it:")
    st.code("{" + ", ".join(f"{c!r}: {i}" for i, c in enumerate(vocab.chars)) + "}",
            language=None, wrap_lines=True)

# ---------------------------------------------------------------- 2. ids
st.header("2 · The text as ids")
st.markdown(f"The text has **{L:,}** characters. Each is replaced by its id; the table also "
            "says which batch and row reads it. Positions, samples, batches, rows, time steps "
            "and hidden units count from 1 on every page, as the tutorial's \"sequence 1, "
            "batch 1\" does; only the ids count from 0, as in the tutorial's dictionary.")
place = row_place()
role = ["input" if i < used else "target only" if i == used else "unused" for i in range(L)]
ids_columns = {
    "character": [visible(c) for c in s.text],
    "id": [int(i) for i in run.ids],
    "batch": [f"{place[i][0] + 1}" if i in place else "–" for i in range(L)],
    "row": [f"{place[i][1] + 1}" if i in place else "–" for i in range(L)],
    "used as": role,
}
if L <= SHORT_TEXT:             # reads left to right like the text
    # the corner cell names the columns (a header cell with no text is unnamed for a reader)
    st.dataframe(pd.DataFrame([[str(v) for v in col] for col in ids_columns.values()],
                              index=pd.Index(list(ids_columns), name="position"),
                              columns=[str(i + 1) for i in range(L)]),
                 key="ids_table")
else:                           # one line per character: cheap to send and to scroll
    st.dataframe(pd.DataFrame({"position": range(1, L + 1), **ids_columns}), hide_index=True,
                 key="ids_table", height=320)
shown = run.ids[:MAX_CODE_IDS].tolist()
more = f"  # … {L - MAX_CODE_IDS:,} more" if L > MAX_CODE_IDS else ""
if L <= SHORT_TEXT:
    st.code(f"ids = {shown}", language=None, wrap_lines=True)
else:
    with st.expander("The ids as a Python list"):
        st.code(f"ids = {shown}{more}", language=None, wrap_lines=True)

# ---------------------------------------------------------------- 3. samples and batches
st.header("3 · Samples and batches")
num_samples = (L - 1) // S
st.latex(rf"\text{{samples}} = \left\lfloor \frac{{{L} - 1}}{{S = {S}}} \right\rfloor = "
         rf"{num_samples},\qquad \text{{batches}} = \left\lfloor \frac{{{num_samples}}}"
         rf"{{B = {B}}} \right\rfloor = {N},\qquad X, Y: ({N}, {S}, {B}, {V})")
m = st.columns(5)
m[0].metric("Characters", f"{L:,}")
m[1].metric("Samples of S", f"{num_samples:,}")
m[2].metric("Batches N", f"{N:,}")
m[3].metric("Used as inputs", f"{used:,}")
m[4].metric("Left over", f"{L - used:,}")
layout_rule = ("batch n holds samples (n − 1)·B + 1 … n·B, in text order (Part 1)"
               if s.layout == "tutorial" else
               "the used text is cut into B long streams; row b of batch n is sample (b − 1)·N + n")
st.markdown(f"Sample k is the S characters starting at position (k − 1)·S + 1; its target is "
            f"the same window one character later. Active layout: **{s.layout}**: {layout_rule}.")
samples = []
for n in range(N):
    for b in range(B):
        start = int(batches.sample_starts[n, b])
        samples.append({"sample": start // S + 1, "batch": n + 1, "row": b + 1, "start": start + 1,
                        "input text": text_of(start, start + S),
                        "target text": text_of(start + 1, start + S + 1)})
samples_table = pd.DataFrame(samples).sort_values("sample")
st.dataframe(samples_table, hide_index=True, key="samples_table",
             height=min(420, 38 + 35 * len(samples)))


# ---------------------------------------------------------------- 4. leftovers
st.header("4 · Leftover characters")
left = run.ids[used:]
if len(left):
    st.markdown(
        f"N·B·S = {N}·{B}·{S} = **{used:,}** characters are inputs. The next one (position "
        f"{used + 1}) is read only as the **target** of the last sample; "
        + ("no character is left unused." if len(left) == 1 else
           "the 1 character after it is never used." if len(left) == 2 else
           f"the {len(left) - 1:,} characters after it are never used."))
    st.dataframe(pd.DataFrame({
        "position": range(used + 1, L + 1),
        "character": [visible(vocab.chars[i]) for i in left],
        "id": [int(i) for i in left],
        "used as": ["target only"] + ["unused"] * (len(left) - 1),
    }), hide_index=True, key="leftovers", height=min(320, 38 + 35 * len(left)))

# ---------------------------------------------------------------- 5. one batch: X, Y, carried state
def step_panels(tensor, name: str, n: int) -> list[plots.Panel]:
    """tensor[n] (S, B, V) as one panel per time step, keyed name_1 … name_S."""
    return [plots.Panel(tensor[n, t], f"{name}_{t + 1}", x_labels=ctx.vocab_labels,
                        key=f"{name}_{t + 1}", kind="onehot", x_title="character")
            for t in range(S)]


def tensor_grid(tensor, name: str, labels: list[str], n: int) -> None:
    """One heatmap per time step of tensor[n] (S, B, V), as many to a line as fit; the steps
    of a line share the row axis (the same rows, read at successive steps)."""
    draw.matrix_row(step_panels(tensor, name, n), y=labels, y_title="row")


def offer_grids(n: int, x_labels, y_labels) -> None:
    """Every step of X[n] and Y[n] in the page's downloads, drawn or not."""
    draw.offer(step_panels(batches.X, "x", n), x_labels)
    draw.offer(step_panels(batches.Y, "y", n), y_labels)


def text_block(title: str, start: int, stop: int) -> None:
    st.caption(f"{title} (positions {start + 1}–{stop})")
    st.code(text_of(start, stop) or " ", language=None, wrap_lines=True)


def carried_state(n: int) -> None:
    st.subheader("Carrying h from batch to batch")
    st.markdown(
        "The hidden state starts at zero **once** and each batch starts from the state the "
        "previous batch ended with: row b of batch n + 1 continues from row b's last h of "
        "batch n. That only makes sense if row b of batch n + 1 is the text that follows row b "
        "of batch n.")
    if s.layout == "tutorial" and B == 1:
        st.info(
            "Active layout: **tutorial** (Part 1). With B = 1 each batch is the single sample "
            "that follows the previous one, so here the carried state does continue its text. "
            "With B > 1, row b of batch n + 1 starts B·S characters after row b of batch n: "
            "the state would be handed to text that does not follow.")
    elif s.layout == "tutorial":
        st.info(
            "Active layout: **tutorial** (Part 1). Batch n holds samples (n − 1)·B + 1 … n·B, so "
            "row b of batch n + 1 starts B·S characters after row b of batch n, not where it "
            f"stopped (here B·S = {B * S}). With B > 1 the carried state is handed to text it "
            "has never seen the start of: it joins unrelated pieces of text. Choose *streams* "
            "under *Batch layout* to fix this.")
    else:
        st.info(
            "Active layout: **streams**. The used text is cut into B contiguous streams and row b "
            "of batch n is sample (b − 1)·N + n, so row b of batch n + 1 is exactly the text that "
            "follows row b of batch n: the carried state continues its own text.")
    if N == 1:
        st.info("There is only one batch, so no state is carried between batches. Make B·S "
                "smaller or the text longer to see two batches.")
        return
    a = n if n + 1 < N else n - 1                       # compare batch a with batch a + 1
    start_a, start_b = int(batches.sample_starts[a, 0]), int(batches.sample_starts[a + 1, 0])
    st.markdown(f"Row 1 of batch {a + 1} and of batch {a + 2}, side by side:")
    c1, c2, c3 = st.columns(3)
    with c1:
        text_block(f"Batch {a + 1}, row 1 reads", start_a, start_a + S)
    with c2:
        text_block("The text right after it", start_a + S, min(L, start_a + 2 * S))
    with c3:
        text_block(f"Batch {a + 2}, row 1 reads (gets the state)", start_b, start_b + S)
    if start_b == start_a + S:
        st.success(f"Row 1 of batch {a + 2} continues row 1 of batch {a + 1}: the carried state "
                   "belongs to it.")
    else:
        st.warning(f"Row 1 jumps from position {start_a + S} to position {start_b + 1}: the state "
                 f"built on batch {a + 1}'s text is used on text that does not follow it.")
    rows = []
    for b in range(B):
        s0, s1 = int(batches.sample_starts[a, b]), int(batches.sample_starts[a + 1, b])
        rows.append({"row": b + 1, f"batch {a + 1} reads": text_of(s0, s0 + S),
                     f"batch {a + 2} reads": text_of(s1, s1 + S),
                     "continues?": "yes" if s1 == s0 + S else
                     f"no: starts at {s1 + 1}, not {s0 + S + 1}"})
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="carry_table",
                 height=min(420, 38 + 35 * B))


st.header("5 · One batch of the tensor")
st.caption(f"The tensors have shape (N, S, B, V) = ({N}, {S}, {B}, {V}): batch, time step, row, "
           "character. Only the selected batch is drawn.")
# Many steps of many rows (up to 32 heatmaps of 16 × V, 12,000 px of page): the current step's
# x_t and y_t with the stepper, the batch as the characters its rows read, and every step's
# heatmap in a folded expander (all of X and Y stay in the downloads).
compact = S > BOTH_GRIDS_MAX_S or S * B > OPEN_GRID_CELLS


def body(n: int, t: int):
    x_labels = ctx.row_labels(n)
    y_labels = plots.row_labels(
        vocab.decode(batches.target_ids(n, b)) for b in range(B))
    st.dataframe(pd.DataFrame({
        "row": range(1, B + 1),
        "start": [int(batches.sample_starts[n, b]) + 1 for b in range(B)],
        "input text": [visible(vocab.decode(batches.row_ids(n, b))) for b in range(B)],
        "target text": [visible(vocab.decode(batches.target_ids(n, b))) for b in range(B)],
    }), hide_index=True, key="batch_rows", height=min(320, 38 + 35 * B))
    if compact:
        one_step(n, t, x_labels, y_labels)
        offer_grids(n, x_labels, y_labels)
        # drawn only while open (on_change="rerun"): folded, a figure of S heatmaps (7,800 px
        # tall at S = 32, B = 16) would still be drawn by the browser on every visit
        with st.expander(f"Every time step of batch {n + 1}: the {S} one-hot heatmaps of "
                         f"X[{n + 1}] and Y[{n + 1}]", key="every_step_open",
                         on_change="rerun") as box:
            if box.open:
                grids(n, x_labels, y_labels)
    else:
        grids(n, x_labels, y_labels)
    carried_state(n)


def one_step(n: int, t: int, x_labels, y_labels) -> None:
    """The current step's x_t and y_t, and the batch as the characters its rows read (the
    step outlined)."""
    st.subheader(f"Time step {t + 1}: x_{t + 1} and y_{t + 1} of batch {n + 1}")
    st.caption("Each row has a single 1 (black): the character that row reads at this step "
               "(x_t) and the one it must predict (y_t, the next character). Move the time "
               "step with the stepper above.")
    draw.matrix(batches.X[n, t], f"x_{t + 1}  inputs", x=ctx.vocab_labels, y=x_labels,
                kind="onehot", key="step_x", x_title="character", y_title="row")
    draw.matrix(batches.Y[n, t], f"y_{t + 1}  targets", x=ctx.vocab_labels, y=y_labels,
                kind="onehot", key="step_y", x_title="character", y_title="row")
    chars = [[vocab.chars[i] for i in batches.row_ids(n, b)] for b in range(B)]
    draw.characters(chars, f"X[{n + 1}] as characters: what row b reads at step t "
                    f"(step {t + 1} outlined)", x=[f"t{k + 1}" for k in range(S)],
                    y=[str(b + 1) for b in range(B)], key="batch_chars", x_title="step",
                    y_title="row", mark_col=t)


def grids(n: int, x_labels, y_labels) -> None:
    """X[n] and Y[n] as one heatmap per time step (one tensor at a time beyond
    BOTH_GRIDS_MAX_S steps)."""
    show = ("X", "Y")
    if S > BOTH_GRIDS_MAX_S:
        choice = st.segmented_control(
            "Tensor to draw", ["X: inputs", "Y: targets"], default="X: inputs", key="tensor_shown",
            help=f"With S = {S} the two grids together would be {2 * S} charts; one at a time.")
        show = ("Y",) if choice == "Y: targets" else ("X",)
    if "X" in show:
        st.subheader(f"X[{n + 1}]: inputs, one heatmap per time step")
        st.caption("Each row has a single 1 (black): the character that row reads at this step. "
                   "Rows are labelled with the whole text the row reads in this batch.")
        tensor_grid(batches.X, "x", x_labels, n)
    if "Y" in show:
        st.subheader(f"Y[{n + 1}]: targets, one heatmap per time step")
        st.caption("The same rows one character later. Rows are labelled with their target text; "
                   "y_t of a row is x_(t+1) of the same row.")
        tensor_grid(batches.Y, "y", y_labels, n)


page.stepped(ctx, body, steps=compact)


draw.look_at(
    "Y is X moved one character to the left, so the last input of a row is followed by its "
    "last target. Every row of a one-hot heatmap has exactly one black cell. In the tutorial "
    "layout, compare row 1 of two neighbouring batches: the state carried between them joins "
    "text that is not adjacent.")

page.end(ctx)
