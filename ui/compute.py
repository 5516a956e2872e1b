"""Everything a page shows is computed here, by gru_core, once per input.

`get_run(settings, model)` decides the weights (once, `choose_weights`) and runs the GRU over
every batch; the Run carries its own cache key, so every other getter takes the run:
`get_grads(run, n, loss)`, `get_bptt(run, n, loss)`, ... Results are arrays (not figures) in
one server-wide cache bounded in bytes (ui/cache.py), shared read-only by every session:
moving a time-step or batch selector only redraws. Bad input raises `InputError` with a
message for the user; pages show it with `st.error` and stop.
"""
from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

import gru_core as gc
from gru_core.params import TUTORIAL_ORDER
from gru_core.snippets import numpy_snippet, torch_snippet

from .cache import BytesLRU, digest
from .store import TEXT_LIMIT, Model, Settings, md_literal

# Everything computed, for the whole server (runs, gradients, what-if, conventions, ...): the
# environment variable GRU_LAB_CACHE_MB, default 512 (sizing: docs/deploy.md).
CACHE_BYTES = int(float(os.environ.get("GRU_LAB_CACHE_MB", "512")) * 2**20)
CACHE = BytesLRU(CACHE_BYTES)
# What one input may ask for: characters × vocabulary size, the size of each (·, V) matrix of a
# run (one-hot x, logits, exp, ŷ, the cross-entropy terms); 16 MB each in float64.
MAX_CELLS = 2_000_000


def cached(key, make):
    """CACHE.get_or_make: one shared, read-only result per key."""
    return CACHE.get_or_make(key, make)


class InputError(ValueError):
    """Something the user typed or chose cannot run; the message says what would work."""


class PerBatch(Sequence):
    """A read-only list whose item n is made on demand from arrays computed over all batches."""

    def __init__(self, count: int, item: Callable[[int], object]):
        self._count, self._item = count, item

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, n):
        if isinstance(n, slice):
            return [self[i] for i in range(*n.indices(self._count))]
        if not -self._count <= n < self._count:
            raise IndexError(f"batch {n} of {self._count}")
        return self._item(n % self._count)


@dataclass
class Run:
    """The run over every batch, kept as a few large arrays (one Trace over all N·S steps and
    the losses of all batches), so the cache pickles arrays, not thousands of small objects."""

    settings: Settings
    vocab: gc.Vocab
    ids: np.ndarray
    batches: gc.Batches
    params: gc.Params
    config: gc.GRUConfig
    trace_all: gc.Trace                # (N·S, B, ...) the state carried from batch to batch
    ce_all: gc.losses.CrossEntropy     # term1 (N, S, B, V), term2 (N, S, B), term3 (N, S)
    l2_all: gc.losses.L2Loss           # per_position (N, S, B), per_step (N, S)
    notes: list[str] = field(default_factory=list)   # what was adjusted, shown to the user
    weights_source: str = "random"     # "tutorial", "random" or the model's source
    key: tuple = ()                    # (settings, (weights digest, vocabulary) or None)

    @property
    def num_batches(self) -> int:
        return self.batches.num_batches

    @property
    def traces(self) -> PerBatch:
        """gru_core.Trace of each batch (views into trace_all)."""
        return per_batch_traces(self.trace_all, self.batches.seq_len)

    @property
    def ce(self) -> PerBatch:
        """gru_core CrossEntropy of each batch."""
        return per_batch_ce(self.ce_all)

    @property
    def l2(self) -> PerBatch:
        """gru_core L2Loss of each batch."""
        c = self.l2_all
        return PerBatch(self.num_batches, lambda n: gc.losses.L2Loss(
            c.per_position[n], c.per_step[n], float(c.per_step[n].mean())))


def per_batch_traces(trace_all: gc.Trace, S: int) -> PerBatch:
    """A run over N·S steps as the N batch Traces, each made when asked for (views)."""
    return PerBatch(trace_all.shape[0] // S, lambda n: trace_all.window(n * S, (n + 1) * S))


def per_batch_ce(c: gc.losses.CrossEntropy) -> PerBatch:
    """Cross-entropy over all batches (term1 (N, S, B, V), ...) as each batch's CrossEntropy."""
    return PerBatch(c.term3.shape[0], lambda n: gc.losses.CrossEntropy(
        c.term1[n], c.term2[n], c.term3[n], float(c.term3[n].mean())))


def run_all(params: gc.Params, batches: gc.Batches, config: gc.GRUConfig, **clamps):
    """Every batch as one run over N·S steps, the state carried (gru_core.forward_from: clamps
    from step `start` of that run on): (trace over N·S steps, cross-entropy (N, S, ...))."""
    N, S, B, V = batches.X.shape
    trace = gc.forward_from(params, batches.X.reshape(N * S, B, V), None, config, **clamps)
    return trace, gc.cross_entropy(trace.probs.reshape(batches.Y.shape), batches.Y)


def order_used(settings: Settings) -> str:
    """Which order numbers the text's characters: "tutorial", "sorted", "first" or "custom".

    The sidebar's "auto" (the default) is the tutorial's dictionary 'hatM' when the text's set of
    characters is exactly {h, a, t, M} (Part 1's string, or "Math" typed again), otherwise the
    sorted characters (by code point): a typed text gets its own characters only."""
    if settings.order != "auto":
        return settings.order
    return "tutorial" if set(settings.text) == set(TUTORIAL_ORDER) else "sorted"


def effective_order(settings: Settings) -> tuple[str | None, list[str]]:
    """The order for Vocab.from_text (see `order_used`), and notes for the user: a custom order
    missing characters of the text gets them appended in order of first appearance."""
    used = order_used(settings)
    if used == "tutorial":
        return TUTORIAL_ORDER, []
    if used != "custom":
        return used, []
    custom = "".join(dict.fromkeys(settings.custom_order))     # drop repeats
    missing = "".join(c for c in dict.fromkeys(settings.text) if c not in custom)
    notes = []
    if missing:
        notes.append(f"The custom order does not list {len(missing)} character(s) of the text; "
                     "they were added at the end in order of first appearance.")
    return (custom + missing) or None, notes


def validate_text(text: str) -> None:
    if len(text) > TEXT_LIMIT:
        raise InputError(f"The text has {len(text):,} characters; the limit is {TEXT_LIMIT:,}. "
                         "Shorten it (the Training page can learn from longer texts).")
    if not text.strip():
        raise InputError("The text is empty. Type at least two different characters, "
                         "for example `MathMathMathMathMath`.")


def check_cells(n_chars: int, vocab_size: int) -> None:
    """InputError when characters × vocabulary size exceeds MAX_CELLS (the message says what
    would fit)."""
    if n_chars * vocab_size > MAX_CELLS:
        raise InputError(
            f"This text has {n_chars:,} characters and a vocabulary of {vocab_size:,} different "
            f"characters; every output matrix would hold "
            f"{n_chars * vocab_size:,} numbers, and the limit is {MAX_CELLS:,}. Use at most "
            f"{MAX_CELLS // n_chars:,} different characters, or at most {MAX_CELLS // vocab_size:,} "
            "characters of text.")


def choose_weights(settings: Settings, vocab: gc.Vocab,
                   model: Model | None = None) -> tuple[gc.Params, str, list[str]]:
    """The weights a run shows, and where they come from, decided once for every page:
    (params, source, notes for the user).

    weights "trained": the store's model if it belongs to this vocabulary (same characters in
    the same row order: equal sizes are not enough, rows of W would sit under the wrong
    characters) and H; "tutorial": the published weights if they fit ('hatM', H = 2);
    otherwise random weights with the sidebar's seed, and a note saying why."""
    V, H = vocab.size, settings.hidden_size

    def random() -> gc.Params:                   # made only where they are shown
        return gc.init_params(V, H, seed=settings.seed)

    if settings.weights == "trained":
        if model is None:
            return random(), "random", [
                "No trained weights yet: train on the Training page. Showing random weights."]
        if not model.fits(vocab.chars, H):
            what = (f"{len(model.chars)} characters" if model.chars is not None
                    else f"{model.params.vocab_size} characters")
            return random(), "random", [
                f"The trained weights belong to another vocabulary or hidden size ({what}, "
                f"H = {model.hidden_size}; {md_literal(model.description)}); this text has {V} characters "
                f"and H = {H}. Showing random weights (seed {settings.seed}); train on this text "
                "on the Training page."]
        return model.params, model.source, []
    if settings.weights == "tutorial":
        if vocab.chars == tuple(TUTORIAL_ORDER) and H == 2:
            return gc.tutorial_params(), "tutorial", []
        differences = ([f"this dictionary has {V} characters" + (" in another order" if V == 4 else "")]
                       if vocab.chars != tuple(TUTORIAL_ORDER) else []) + ([f"H = {H}"] if H != 2 else [])
        return random(), "random", [
            f"The tutorial's published weights fit its dictionary ('hatM') and hidden size 2; "
            f"here {' and '.join(differences)}, so random weights (seed {settings.seed}) are shown."]
    return random(), "random", []


def _compute(settings: Settings, model: Model | None, key: tuple) -> Run:
    validate_text(settings.text)
    order, notes = effective_order(settings)
    try:
        vocab = gc.Vocab.from_text(settings.text, order)
        check_cells(len(settings.text), vocab.size)
        ids = vocab.encode(settings.text)
        batches = gc.make_batches(ids, vocab.size, settings.batch_size, settings.seq_len, settings.layout)
        params, source, more = choose_weights(settings, vocab, model)
    except InputError:
        raise
    except ValueError as err:
        raise InputError(f"This input cannot run: {err}.") from None
    trace = gc.forward_all(params, batches, settings.config)         # (N·S, B, ...)
    probs = trace.probs.reshape(batches.Y.shape)                     # (N, S, B, V)
    ce, l2 = gc.cross_entropy(probs, batches.Y), gc.l2_loss(probs, batches.Y)
    return Run(settings, vocab, ids, batches, params, settings.config, trace, ce, l2,
               notes + more, source, key)


def get_run(settings: Settings, model: Model | None = None) -> Run:
    """The whole forward run for these settings and, with weights "trained", the store's model
    (cached). Raises InputError for bad input."""
    uses_model = settings.weights == "trained" and model is not None
    # everything the weights depend on: the settings, and the model's weights and vocabulary
    key = (settings, (digest(model.params.as_dict()), model.chars) if uses_model else None)
    return cached(("run", key), lambda: _compute(settings, model if uses_model else None, key))


def get_grads(run: Run, n: int, loss: str = "ce") -> gc.Grads:
    """BPTT gradients of batch n's loss (cached)."""
    return cached(("grads", run.key, n, loss), lambda: gc.backward(
        run.params, run.traces[n], run.batches.Y[n], run.config, loss))


# ---------------------------------------------------------------- backprop through time page

@dataclass
class BPTT:
    """What the BPTT page draws for one batch and loss, from gru_core.backward."""

    grads: gc.Grads
    per_step: dict                     # name -> (S, *shape): each step's contribution
    dh_prev: np.ndarray                # (S, B, H) dL/dh_{t-1} sent back by step t (sum of the parts)
    loss: float


def _bptt(run: Run, n: int, loss: str) -> BPTT:
    g = get_grads(run, n, loss)
    per_step = {name: g.per_step(name) for name in gc.PARAM_NAMES}
    dh_prev = sum(g.dh_prev_parts[k] for k in ("direct", "via_z", "via_r", "via_h"))
    value = run.ce[n].loss if loss == "ce" else run.l2[n].loss
    return BPTT(g, per_step, dh_prev, value)


def get_bptt(run: Run, n: int, loss: str = "ce") -> BPTT:
    """Batch n's gradients, each step's contribution, and dL/dh_{t-1} per step (cached)."""
    return cached(("bptt", run.key, n, loss), lambda: _bptt(run, n, loss))


def _norms_back(run: Run, n: int, loss: str, u_scale: float) -> dict[str, np.ndarray]:
    p = run.params
    if u_scale != 1.0:
        p = p.replace(U_z=p.U_z * u_scale, U_r=p.U_r * u_scale, U_h=p.U_h * u_scale)
    tr = gc.forward(p, run.batches.X[n], run.traces[n].h0, run.config)
    Y = np.array(run.batches.Y[n], dtype=p.dtype)
    every = gc.backward(p, tr, Y, run.config, loss)
    # Only the last step's loss: the earlier steps' targets are set so their dL/dlogits is exactly
    # zero (cross-entropy: an all-zero target row; L2: the model's own prediction ŷ_t).
    last = Y.copy()
    last[:-1] = 0.0 if loss == "ce" else tr.probs[:-1]
    only_last = gc.backward(p, tr, last, run.config, loss)
    return {"every": np.linalg.norm(every.dh, axis=-1).mean(axis=-1),
            "last": np.linalg.norm(only_last.dh, axis=-1).mean(axis=-1)}


def get_norms_back(run: Run, n: int, loss: str = "ce", u_scale: float = 1.0) -> dict[str, np.ndarray]:
    """‖dL/dh_t‖ (mean over the batch rows) for t = 1..S, with U_z, U_r, U_h scaled by u_scale:
    "every" for the loss at every step, "last" for the loss at the last step only (cached)."""
    u_scale = float(u_scale)
    return cached(("norms", run.key, n, loss, u_scale), lambda: _norms_back(run, n, loss, u_scale))


@dataclass
class Clipped:
    before: gc.Params
    after: gc.Params
    norm_before: float
    norm_after: float
    changed: int                       # elements the clipping changed, over all parameters
    total: int
    changed_by: dict                   # name -> elements changed in that parameter
    largest: dict                      # name -> max |g| before clipping


def get_clipped(run: Run, n: int, loss: str, kind: str, c: float) -> Clipped:
    """Batch n's summed gradients before and after gru_core.clip_grads(kind, c)."""
    g = get_grads(run, n, loss)
    before = g.as_params()
    after, norm_before = gc.clip_grads(g, kind, c)
    changed_by = {k: int(np.count_nonzero(a != getattr(before, k))) for k, a in after.items()}
    largest = {k: float(np.abs(a).max()) if a.size else 0.0 for k, a in before.items()}
    total = sum(a.size for _, a in before.items())
    return Clipped(before, after, norm_before, gc.global_norm(after), sum(changed_by.values()), total,
                   changed_by, largest)


GRADCHECK_ALL_UP_TO = 200              # check every element when the model has this few
GRADCHECK_PER_PARAM = 20               # else this many random elements of each parameter


def gradient_check_plan(run: Run) -> tuple[int | None, int, float]:
    """(max_checks, elements checked, estimated seconds) of the finite-difference check."""
    sizes = [a.size for _, a in run.params.items()]
    max_checks = None if sum(sizes) <= GRADCHECK_ALL_UP_TO else GRADCHECK_PER_PARAM
    checked = sum(sizes) if max_checks is None else sum(min(s, max_checks) for s in sizes)
    S, B, H = run.batches.seq_len, run.batches.batch_size, run.params.hidden_size
    per_forward = 3e-4 + S * (2e-5 + 2.5e-9 * B * H * H)      # seconds per forward, measured
    return max_checks, checked, 4 * checked * per_forward


def get_gradient_check(run: Run, n: int, loss: str = "ce") -> dict[str, float]:
    """Max relative error (analytic vs. central differences) per parameter, batch n (cached)."""
    max_checks, _, _ = gradient_check_plan(run)
    return cached(("gradcheck", run.key, n, loss, max_checks), lambda: gc.gradient_check(
        run.params, run.batches.X[n], run.batches.Y[n], run.traces[n].h0, run.config, loss,
        max_checks=max_checks))


# ---------------------------------------------------------------- learning pages (training, sampling, gate explorer)

LEARN_CELLS = 3_000_000        # characters × vocabulary size of one-hot data one training run may hold
EXPLORE_LIMIT = 20_000         # characters the gate explorer runs over


def learning_length(n_chars: int, vocab_size: int) -> int:
    """How many characters of a text training uses: its one-hot X and Y stay below ~50 MB."""
    return min(n_chars, max(2, LEARN_CELLS // max(vocab_size, 1)))


def learning_batches(text: str, order: str | None, batch_size: int, seq_len: int,
                     layout: str) -> tuple[gc.Vocab, gc.Batches]:
    """The vocabulary and the training batches of a text (cached). Raises InputError for sizes
    that leave no full batch (the message says what would work)."""
    def make():
        vocab = gc.Vocab.from_text(text, order)
        return vocab, gc.make_batches(vocab.encode(text), vocab.size, batch_size, seq_len, layout)
    try:
        return cached(("batches", text, order, batch_size, seq_len, layout), make)
    except ValueError as err:
        raise InputError(f"This text cannot be cut into batches: {err}.") from None


@dataclass(frozen=True)
class Explored:
    """The GRU read over a whole text as one sequence (B = 1), the state carried throughout."""

    ids: np.ndarray            # (L,) the text's ids
    z: np.ndarray              # (L, H) update gate at each character
    r: np.ndarray              # (L, H) reset gate
    h: np.ndarray              # (L, H) hidden state after reading each character
    p_next: np.ndarray         # (L - 1,) probability given to the character that actually follows
    by_char: dict              # "z", "r", "h" -> (V, H) mean at the steps that read each character
    counts: np.ndarray         # (V,) how often each character occurs

    @property
    def loss(self) -> float:
        """Mean cross-entropy of predicting each next character of the text."""
        return float(-np.mean(np.log(np.maximum(self.p_next, 1e-300)))) if self.p_next.size else 0.0


def _explore(text: str, vocab: gc.Vocab, params: gc.Params, config: gc.GRUConfig) -> Explored:
    ids = vocab.encode(text)
    trace = gc.forward(params, ids[:, None], None, config)
    p_next = trace.probs[:-1, 0, :][np.arange(len(ids) - 1), ids[1:]]
    counts = np.bincount(ids, minlength=vocab.size)
    by_char = {}
    for name in ("z", "r", "h"):
        sums = np.zeros((vocab.size, trace.h.shape[-1]))
        np.add.at(sums, ids, getattr(trace, name)[:, 0])
        with np.errstate(invalid="ignore", divide="ignore"):
            by_char[name] = sums / counts[:, None]          # NaN for characters the text lacks
    return Explored(ids, trace.z[:, 0], trace.r[:, 0], trace.h[:, 0], p_next, by_char, counts)


def explore_text(text: str, vocab: gc.Vocab, params: gc.Params, config: gc.GRUConfig) -> Explored:
    """z, r, h over the whole text (cached). Raises InputError if the text has characters the
    vocabulary lacks."""
    unknown = [c for c in dict.fromkeys(text) if c not in vocab.index]
    if unknown:
        shown = " ".join(repr(c) for c in unknown[:20])
        raise InputError(f"These weights were trained on another vocabulary and do not know "
                         f"{len(unknown)} character(s) of this text: {shown}.")
    return cached(("explore", text, vocab.chars, digest(params.as_dict()), config),
                  lambda: _explore(text, vocab, params, config))


def sample_text(params: gc.Params, vocab: gc.Vocab, config: gc.GRUConfig, primer: str, n: int, *,
                temperature: float = 1.0, greedy: bool = False, seed: int = 0) -> gc.SampleResult:
    """gru_core.sample, cached. Raises InputError for an empty primer or unknown characters."""
    n, temperature, greedy, seed = int(n), float(temperature), bool(greedy), int(seed)
    key = ("sample", digest(params.as_dict()), vocab.chars, config, primer, n, temperature,
           greedy, seed)
    try:
        return cached(key, lambda: gc.sample(params, vocab, primer, n, config,
                                             temperature=temperature, greedy=greedy, seed=seed))
    except ValueError as err:
        raise InputError(f"Cannot sample: {err}.") from None


# ---------------------------------------------------------------- cell inspector, what-if, conventions

def explain(run: Run, n: int, quantity: str, t: int, b: int, j: int) -> gc.Explanation:
    """One cell of batch n as a scalar equation with its numbers (gru_core.explain_cell): t, b, j
    0-based, shown counting from 1 as everywhere in the app."""
    return gc.explain_cell(run.params, run.traces[n], quantity, t, b, j, base=1)


@dataclass
class WhatIf:
    """The run again with gates forced and/or one weight changed, every batch, state carried."""

    params: gc.Params
    trace_all: gc.Trace                # (N·S, B, ...)
    ce_all: gc.losses.CrossEntropy     # (N, S, ...)

    @property
    def traces(self) -> PerBatch:
        return per_batch_traces(self.trace_all, self.ce_all.term3.shape[1])

    @property
    def ce(self) -> PerBatch:
        return per_batch_ce(self.ce_all)


def _clamp(values) -> np.ndarray | None:
    """(H,) tuple with None for a free unit -> gru_core's clamp array (NaN = free)."""
    if values is None:
        return None
    return np.array([np.nan if v is None else float(v) for v in values])


def _whatif(run: Run, clamp_z, clamp_r, edit, start: tuple[int, int]) -> WhatIf:
    p = run.params
    if edit is not None:
        name, index, value = edit
        arr = getattr(p, name).copy()
        arr[index] = value
        p = p.replace(**{name: arr})
    trace, ce = run_all(p, run.batches, run.config, start=start[0] * run.batches.seq_len + start[1],
                        clamp_z=_clamp(clamp_z), clamp_r=_clamp(clamp_r))
    return WhatIf(p, trace, ce)


def get_whatif(run: Run, clamp_z=None, clamp_r=None, edit=None,
               start: tuple[int, int] = (0, 0)) -> WhatIf:
    """clamp_z / clamp_r: tuples of length H (None = free, else the forced gate value), applied
    from start = (batch, step) (0-based) on; edit: (parameter name, index tuple, new value) or
    None, applied to the whole run (cached). Raises InputError for a bad edit."""
    if edit is not None:
        name, index, value = edit
        shape = getattr(run.params, name).shape
        if len(index) != len(shape) or any(not 0 <= i < s for i, s in zip(index, shape)):
            raise InputError(f"{name} has shape {shape}; index {index} is outside it.")
        if not np.isfinite(value):
            raise InputError("The new weight must be a finite number.")
        edit = (name, tuple(int(i) for i in index), float(value))
    clamp_z = None if clamp_z is None else tuple(clamp_z)
    clamp_r = None if clamp_r is None else tuple(clamp_r)
    start = (int(start[0]), int(start[1]))
    return cached(("whatif", run.key, clamp_z, clamp_r, edit, start),
                  lambda: _whatif(run, clamp_z, clamp_r, edit, start))


def h_over_time(trace_all: gc.Trace, b: int) -> np.ndarray:
    """Row b's hidden state after every step of every batch, (N·S, H)."""
    return trace_all.h[:, b]


CONVENTIONS = (("before", "keep"), ("before", "take"), ("after", "keep"), ("after", "take"))


def _conventions(run: Run) -> dict:
    out = {}
    for reset, update in CONVENTIONS:
        trace, ce = run_all(run.params, run.batches, gc.GRUConfig(reset, update))
        out[(reset, update)] = (trace, ce.term3.mean(axis=1))
    return out


def get_conventions(run: Run) -> dict:
    """{(reset, update): (traces per batch, cross-entropy per batch (N,))}: the same weights
    under the four conventions (cached: one trace over all N·S steps each)."""
    runs = cached(("conventions", run.key), lambda: _conventions(run))
    S = run.batches.seq_len
    return {c: (per_batch_traces(trace, S), losses) for c, (trace, losses) in runs.items()}


def _snippets(run: Run) -> tuple[str, str]:
    args = (run.params, run.settings.text, run.vocab.chars, run.batches.batch_size,
            run.batches.seq_len, run.config, run.settings.layout)
    return numpy_snippet(*args), torch_snippet(*args)


def get_snippets(run: Run) -> tuple[str, str]:
    """(NumPy source, PyTorch source) reproducing batch 1's h of this run (cached)."""
    return cached(("snippets", run.key), lambda: _snippets(run))


def torch_layout_npz(params: gc.Params) -> bytes:
    """The weights in torch.nn.GRU's state-dict layout plus the output layer (Linear(H, V):
    out.weight = W_y.T, out.bias = b_y), as an .npz file."""
    buf = io.BytesIO()
    np.savez(buf, **gc.to_torch_state_dict(params), **{"out.weight": params.W_y.T,
                                                       "out.bias": params.b_y})
    return buf.getvalue()
