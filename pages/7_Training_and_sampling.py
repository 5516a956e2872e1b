"""Page 7: train the GRU on a text (live loss, stoppable), see how every weight moved, sample from it."""
import numpy as np
import pandas as pd
import streamlit as st

import gru_core as gc
from ui import draw, page, plots, store, texts, training
from ui.compute import InputError, effective_order, learning_batches, learning_length, sample_text

LIVE_SECONDS = 1.0                       # the live loss curve redraws at most this often
CURVE_POINTS = 2000                      # the finished run's curves: at most this many points
LR_CHOICES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
OPTIMIZERS = {"sgd": "SGD", "adam": "Adam"}
CLIPS = {"value": "by value", "norm": "by global norm", "none": "none"}
LOSSES = {"ce": "cross-entropy", "l2": "L2, ½‖ŷ − y‖²"}

ctx = page.setup("training", needs_run=False)
settings = store.settings()
outcome = training.collect()             # a finished (or stopped) run: keep its weights first
st.markdown(
    "Training repeats one move thousands of times: run a batch forward, measure the loss, let "
    "backpropagation through time give the gradient g of every weight, and nudge each weight "
    "against its gradient. Pick a text, press **Train**, watch the loss fall, then let the "
    "trained GRU write.")

# ---------------------------------------------------------------- 1. the text
st.header("The text")
text = texts.choose(settings)
vocab = batches = None
if text is not None:
    V_all = len(set(text.text))
    used = learning_length(len(text.text), V_all)
    body = text.text[:used]
    st.caption(texts.describe(text))
    if used < len(text.text):
        st.info(f"Training uses the first {used:,} of {len(text.text):,} characters (its one-hot "
                "inputs and targets must fit in memory).")

# ---------------------------------------------------------------- 2. how to train
st.header("How to train")
c1, c2, c3, c4 = st.columns(4)
c1.radio("Optimizer", list(OPTIMIZERS), key="train_optimizer", format_func=OPTIMIZERS.get,
         horizontal=True, help="SGD takes a step of η·g; Adam scales each weight's step by the "
                                "running size of its gradients.")
c2.select_slider("Learning rate η", LR_CHOICES, key="train_lr",
                 help="Step size. Adam works well near 0.01; SGD often needs 0.1 or more.")
c3.number_input("Epochs", 1, 500, key="train_epochs", step=1,
                help="Passes over the whole text. Training stops by itself after "
                     f"{training.MAX_SECONDS / 60:.0f} minutes.")
c4.radio("Loss", list(LOSSES), key="train_loss", format_func=LOSSES.get, horizontal=True,
         help="Cross-entropy (Part 2) or the L2 cost ½‖ŷ − y‖² of the Only-NumPy derivation.")
c1, c2, c3, c4 = st.columns(4)
c1.radio("Gradient clipping", list(CLIPS), key="train_clip_kind", format_func=CLIPS.get,
         horizontal=True, help="By value: every element into [−c, c] (the NumPy chapter). By global norm: all "
                               "gradients scaled together so their joint length is at most c.")
c2.number_input("Clip threshold c", 0.01, 100.0, key="train_clip", step=0.5,
                disabled=st.session_state["train_clip_kind"] == "none")
c3.radio("Batch layout", ("tutorial", "streams"), key="train_layout", horizontal=True,
         help="streams: row b of the next batch continues row b of this one, so the hidden state "
              "carried between batches belongs to the same stretch of text.")
if text is not None and text.source == "sidebar":
    B, S = settings.batch_size, settings.seq_len
    c4.caption(f"Batch size B = {B} and sequence length S = {S} follow the sidebar "
               "(so the trained weights can be shown batch by batch on every page).")
elif text is not None:
    B = c4.slider("Batch size B", 1, 64, key="train_batch", help="Rows trained side by side.")
    S = c4.slider("Sequence length S", 1, 100, key="train_seq",
                  help="Time steps per batch; gradients flow back at most S steps.")
H = settings.hidden_size
clip_kind = None if st.session_state["train_clip_kind"] == "none" else st.session_state["train_clip_kind"]
options = training.Options(optimizer=st.session_state["train_optimizer"], lr=float(st.session_state["train_lr"]),
                           epochs=int(st.session_state["train_epochs"]), clip_kind=clip_kind,
                           clip=float(st.session_state["train_clip"]), loss=st.session_state["train_loss"])
st.latex(training.SGD_TEX if options.optimizer == "sgd" else training.ADAM_TEX)
st.latex(training.CLIP_TEX[clip_kind])

if text is not None:
    try:
        vocab, batches = learning_batches(body, text.order, B, S, st.session_state["train_layout"])
    except InputError as err:
        st.error(f"{store.md_literal(str(err))} Lower B or S, or pick a longer text.")
if batches is not None:
    model = store.model()
    fresh, fresh_what = training.fresh_params(settings, vocab)
    can_continue = training.compatible(model, vocab, H, settings.config)
    if can_continue:
        st.radio("Start from", ("fresh", "continue"), key="train_from", horizontal=True,
                 format_func={"fresh": f"fresh: {fresh_what}",
                              "continue": "continue: the weights " + store.md_literal(model.description)}.get)
    start_continue = can_continue and st.session_state["train_from"] == "continue"
    N = batches.num_batches
    st.caption(f"Vocabulary V = {vocab.size} characters, hidden size H = {H} (sidebar). One epoch "
               f"= {N:,} batch(es) of B×S = {B}×{S} characters, so {options.epochs} epochs are "
               f"{options.epochs * N:,} steps. Weights start as "
               f"{'the weights ' + store.md_literal(model.description) if start_continue else fresh_what}; reset gate "
               f"{settings.reset}, update rule '{settings.update}' (sidebar).")
    if text.source != "sidebar" and H < 16:
        st.info(f"H = {H} hidden units is small for a text like this: set the sidebar's hidden size "
                "to 32 for a model that learns words (training takes a little longer).")

# ---------------------------------------------------------------- 3. train
st.header("Train")
job = training.current_job()
if st.session_state.pop(training.REQUEST_KEY, False) and (job is None or job.done) and batches is not None:
    initial = model.params if start_continue else fresh
    job = training.TrainJob(initial, batches, vocab, settings.config,
                            options, text_name=text.name, text_chars=len(body),
                            start=f"the weights {model.description}" if start_continue else fresh_what,
                            text_start=body[:40], previous=model if start_continue else None)
    try:
        training.start(job)
    except training.Busy as busy:
        st.warning(str(busy))
        job = training.current_job()
running = job is not None and not job.done
b1, b2, b3 = st.columns([1, 1, 4])
b1.button("Train", type="primary", key="train_go", width="stretch", disabled=running or batches is None,
          on_click=training.request_training)
b2.button("Stop", key="train_stop_button", on_click=training.request_stop, width="stretch",
          disabled=not running, help="Stops before the next step; the weights trained so far are kept.")
b3.caption("Training runs in the background: the curve below grows while it trains, and Stop "
           "keeps every step done so far.")

if running:
    @st.fragment(run_every=LIVE_SECONDS)
    def live():
        if job.done:
            st.rerun()                                  # collect the result in a full run
        steps, losses = job.live_curve()     # at most training.LIVE_POINTS points
        done = int(steps[-1]) if steps.size else 0
        last = job.last_progress()
        epoch = (last.epoch + 1) if last else 1
        loss = f"loss {last.loss:.4f}" if last else "first step running"
        st.progress(min(done / max(job.total, 1), 1.0),
                    text=f"Epoch {epoch} of {job.options.epochs} · step {done:,} of {job.total:,} · "
                         f"{loss} · {job.elapsed():.1f} s")
        draw.chart(plots.xy_lines({"loss per step" if done <= training.LIVE_POINTS else
                                   f"loss, mean of every {done / training.LIVE_POINTS:.0f} steps":
                                   (steps, losses)},
                                  title=f"{LOSSES[job.options.loss]} loss while training",
                                  x_title="step", y_title="loss"), key="live_loss_curve")
    live()

# ---------------------------------------------------------------- 4. what training did
model = store.model()                    # trained here, edited on What if or from a lesson file
outcome = outcome.training if outcome is not None else None
if outcome is not None:
    if outcome.error and not outcome.run_steps:
        st.error(f"Training failed: {store.md_literal(outcome.error)}")
    elif outcome.diverged:
        st.warning(f"The weights became infinite or NaN after step {outcome.run_steps:,}; the last finite "
                   "weights are kept. Lower the learning rate or clip the gradients.")
    elif outcome.stopped:
        why = outcome.error or "Stopped"
        st.warning(f"{why[0].upper() + why[1:]} after {outcome.run_steps:,} of {outcome.run_total:,} "
                   f"steps: the weights of those {outcome.run_steps:,} steps are kept"
                   + ("." if outcome.run_steps else " (none: the previous weights stay)."))
    else:
        st.success(f"Trained {outcome.run_steps:,} steps in {outcome.run_seconds:.1f} s.")

rec = model.training if model is not None else None
if rec is not None and not running:
    st.header("What training did")
    hist = rec.history
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Steps", f"{rec.steps:,}",
              help="All steps so far" + (f", in {rec.runs} runs (continued)" if rec.runs > 1 else "") + ".")
    m2.metric("First loss", f"{hist[0]:.4f}" if len(hist) else "–")
    m3.metric("Last loss", f"{hist[-1]:.4f}" if len(hist) else "–",
              delta=f"{hist[-1] - hist[0]:+.4f}" if len(hist) else None, delta_color="inverse")
    m4.metric("Time", f"{rec.seconds:.1f} s")
    o = rec.options
    st.caption(f"Trained on {rec.text_name} ({rec.text_chars:,} characters, V = {len(model.chars)}, "
               f"H = {model.hidden_size}) with {OPTIMIZERS[o.optimizer]}, η = {o.lr:g}, "
               f"{LOSSES[o.loss]} loss, clipping {CLIPS[o.clip_kind or 'none']}"
               f"{f' (c = {o.clip:g})' if o.clip_kind else ''}, B×S = {rec.batch_size}×{rec.seq_len} "
               f"({rec.layout}), starting from {rec.start}"
               + (f"; {rec.runs} runs, the settings are the latest run's." if rec.runs > 1 else "."))
    l1, l2 = st.columns(2)
    with l1:
        per_step = ("loss per step" if len(hist) <= CURVE_POINTS else
                    f"loss, mean of every {len(hist) / CURVE_POINTS:.0f} steps")
        draw.chart(plots.xy_lines({per_step: training.stretch_means(hist, CURVE_POINTS),
                                   "mean over each epoch": (rec.epoch_ends, rec.epoch_losses)},
                                  title=f"{LOSSES[o.loss]} loss", x_title="step", y_title="loss",
                                  faint=(per_step,)),
                   key="loss_curve")
    with l2:
        norms = {"‖g‖ before clipping": training.stretch_means(rec.grad_norms, CURVE_POINTS)}
        if o.clip_kind == "norm":
            norms[f"c = {o.clip:g}"] = ([1, max(len(rec.grad_norms), 1)], [o.clip, o.clip])
        draw.chart(plots.xy_lines(norms, title="Gradient norm ‖g‖ over all weights", x_title="step",
                                  y_title="‖g‖"), key="grad_norm_curve")
elif model is not None and not running:
    st.header("The weights in use")
    st.info(f"The session's weights were {store.md_literal(model.description)}. They are what "
            "'Weights = trained' shows on every page and what the GRU writes with below; train "
            "to replace them, or continue training from them.")
if model is not None and model.chars is not None and model.initial is not None and not running:
    # -- the trained weights on every page
    s1, s2 = st.columns([1, 2])
    s1.button("Show trained weights on every page", key="train_show_everywhere",
              on_click=training.show_everywhere, type="primary",
              disabled=st.session_state.get("weights") == "trained",
              help="Sets the sidebar's Weights to 'trained'.")
    try:
        side_order, _ = effective_order(settings)
        side_vocab = gc.Vocab.from_text(settings.text, side_order)
        fits_sidebar = training.compatible(model, side_vocab, H)
    except ValueError:
        fits_sidebar = False
    if fits_sidebar and model.config == settings.config:
        s2.caption("The sidebar text has exactly this vocabulary and H: with Weights = 'trained' "
                   "every page (gates, candidate, output, loss, backprop) shows the trained GRU.")
    elif fits_sidebar:
        s2.warning("The sidebar's reset/update convention differs from the one these weights were "
                   "trained with; the other pages will run them with the sidebar's convention.")
    else:
        s2.info("The other pages run on the sidebar text, whose vocabulary or hidden size differs "
                f"from these weights (V = {len(model.chars)}, H = {model.hidden_size}), so they fall "
                "back to random weights. Train on the sidebar text to see them there; the Gate "
                "explorer (page 8) runs these weights on any text made of their characters.")

    # -- how every weight moved
    st.subheader("How every weight moved: after − before")
    st.latex(r"\Delta W = W_{\text{after}} - W_{\text{before}}")
    voc, hid = plots.char_labels(model.chars), plots.hidden_labels(model.hidden_size)
    after, before = model.params, model.initial
    delta = {name: a - getattr(before, name) for name, a in after.items()}
    for g, gate in (("z", "update gate"), ("r", "reset gate"), ("h", "candidate")):
        c1, c2 = st.columns(2)
        with c1:
            draw.matrix(delta[f"W_{g}"], f"ΔW_{g}  {gate}", x=hid, y=voc, width=0.5,
                        key=f"delta_W_{g}", x_title="unit", y_title="character")
        with c2:
            draw.matrix(delta[f"U_{g}"], f"ΔU_{g}  {gate}", x=hid, y=hid, width=0.5,
                        key=f"delta_U_{g}", x_title="unit", y_title="unit of h_(t−1)")
    biases = ["b_z", "b_r", "b_h"] + (["b_hn"] if model.config.reset == "after" else [])
    c1, c2 = st.columns(2)
    with c1:
        draw.matrix(np.stack([delta[n] for n in biases]),
                    f"Δ{', Δ'.join(biases)}, one row each", x=hid, y=biases, width=0.5,
                    key="delta_biases", x_title="unit", height=120 + 40 * len(biases))
    with c2:
        draw.matrix(delta["b_y"][None, :], "Δb_y", x=voc, y=["b_y"], key="delta_b_y",
                    x_title="character", height=190, width=0.5)
    draw.matrix(delta["W_y"], "ΔW_y  output layer", x=voc, y=hid, key="delta_W_y",
                x_title="character", y_title="unit")
    draw.look_at(
        "Red cells grew, blue cells shrank (the colour range is ± the largest change). Rows of W_z, "
        "W_r, W_h for characters that never occur do not move: their one-hot input is always 0. "
        + ("" if model.config.reset == "after" else "b_hn is not shown: with the reset gate applied "
           "before U_h it is not used. "))

    with st.expander("One parameter before and after"):
        name = st.selectbox("Parameter", [n for n in gc.PARAM_NAMES if n in delta and
                                          (n != "b_hn" or model.config.reset == "after")],
                            key="train_detail")
        x_ax, y_ax = {"W": (hid, voc), "U": (hid, hid), "b": (hid, ["b"]), "W_y": (voc, hid),
                      "b_y": (voc, ["b"])}.get(name, None) or {"W": (hid, voc), "U": (hid, hid),
                                                                "b": (hid, ["b"])}[name[0]]
        d1, d2, d3 = st.columns(3)
        for col, (what, arr, key) in zip((d1, d2, d3), (("before", getattr(before, name), "detail_before"),
                                                         ("after", getattr(after, name), "detail_after"),
                                                         ("after − before", delta[name], "detail_delta"))):
            with col:
                draw.matrix(np.atleast_2d(arr), f"{name} {what}", x=x_ax, y=y_ax, key=key,
                            width=1 / 3)

# ---------------------------------------------------------------- 5. sampling
st.header("Let the GRU write")
st.markdown("Feed a primer, then draw each next character from the output distribution and feed "
            "it back in. The temperature T flattens (T > 1) or sharpens (T < 1) the distribution; "
            "greedy always takes the most likely character.")
st.latex(r"p = \operatorname{softmax}(\text{logits} / T),\qquad c_{k+1} \sim p,\qquad "
         r"x_{k+1} = \text{onehot}(c_{k+1})")
if model is not None and model.chars is not None:
    s_vocab, s_config = model.vocab, model.config
    if model.initial is not None:
        st.radio("Weights", ("trained", "initial"), key="sample_weights", horizontal=True,
                 format_func={"trained": f"in use ({model.source})",
                              "initial": "initial (before " + {"trained": "training", "edited": "editing"}
                              .get(model.source, model.source) + ")"}.get)
    use_initial = model.initial is not None and st.session_state["sample_weights"] == "initial"
    s_params = model.initial if use_initial else model.params
    st.caption(f"Writing with the weights {store.md_literal(model.description)}"
               + (" (their initial values)." if use_initial else "."))
    start_text = model.text_start or (text.text[:40] if text is not None else "")
elif batches is not None:
    s_vocab, s_config, s_params = vocab, settings.config, fresh
    st.caption("Not trained yet: sampling from the initial weights (expect gibberish). Train first.")
    start_text = text.text[:40]
else:
    s_vocab = None
if s_vocab is not None:
    # a new vocabulary (another text or other weights): a new primer, unless the old one fits
    primer = st.session_state.get("sample_primer")
    if st.session_state.get(store.PRIMER_VOCAB_KEY) != s_vocab.chars:
        st.session_state[store.PRIMER_VOCAB_KEY] = s_vocab.chars
        if primer is not None and not set(primer) <= set(s_vocab.chars):
            primer = None
    if primer is None:
        suggestion = "Shall I compare thee"
        st.session_state["sample_primer"] = (suggestion if set(suggestion) <= set(s_vocab.chars)
                                             else start_text[:1] or s_vocab.chars[0])
    p1, p2, p3, p4, p5 = st.columns([3, 2, 2, 1.5, 1.2])      # room for "Greedy" at 1280 px
    primer = p1.text_input("Primer", key="sample_primer",
                           help="The characters fed in first; they must all be in the vocabulary.")
    p2.slider("Characters to generate", 1, 1000, key="sample_len")
    greedy = p4.toggle("Greedy", key="sample_greedy", help="Always the most likely character (no randomness).")
    p3.slider("Temperature T", 0.05, 2.0, key="sample_temperature", step=0.05, disabled=greedy)
    p5.number_input("Seed", 0, 2**31 - 1, key="sample_seed", step=1,
                    help="Same seed, same settings, same text.")
    try:
        res = sample_text(s_params, s_vocab, s_config, primer, st.session_state["sample_len"],
                          temperature=st.session_state["sample_temperature"], greedy=greedy,
                          seed=int(st.session_state["sample_seed"]))
    except InputError as err:
        st.error(store.md_literal(str(err)))
        st.caption("Known characters: " + store.md_literal(" ".join(plots.char_labels(s_vocab.chars))))
        res = None
    if res is not None:
        st.caption("Primer (given):")
        st.code(primer, language=None, wrap_lines=True)
        st.caption(f"Generated ({len(res.text):,} characters):")
        st.code(res.text, language=None, wrap_lines=True)
        draw.chart(plots.char_grid(res.text, res.probs, per_row=50, value_name="probability",
                                   title=f"Probability the model gave each generated character  "
                                         f"({len(res.text)} characters, 50 per row)"),
                   key="sample_probs")
        draw.look_at("Yellow characters were near-certain, purple ones were surprising draws. After "
                     "training, word endings and spaces turn yellow; with greedy sampling every "
                     "character is the most likely one, and the text soon repeats itself.")
        with st.expander("Each character's probability as a table"):
            best = res.dists.argmax(axis=1)
            st.dataframe(pd.DataFrame({
                "position": np.arange(1, len(res.text) + 1),
                "character": plots.char_labels(res.text),
                "probability": res.probs,
                "most likely": plots.char_labels(s_vocab.chars[i] for i in best),
                "its probability": res.dists[np.arange(len(best)), best]}),
                hide_index=True, width="stretch")

draw.downloads()

page.end("training")
