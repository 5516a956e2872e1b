"""Every page of the app, once: the navigation, Home's index, the presentation narratives, the
previous / next links, lesson links and the tests all derive from `PAGES`.

Adding a page is one `Page(...)` entry here plus its script in pages/, which starts with
`ctx = page.setup("<key>")`. A leaf module: it imports nothing from ui/.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class Page:
    key: str                 # what the page script passes to page.setup
    title: str               # the page's heading
    file: str                # the script, relative to the app folder
    section: str             # the navigation group
    blurb: str               # one line on Home's index
    narrative: str           # presentation mode's note at the top of the page
    number: int | None = None  # the position in the tutorial's order, from 0 (None: Home)

    @property
    def label(self) -> str:
        """The navigation label, e.g. "2 · Gates z and r"."""
        return self.title if self.number is None else f"{self.number} · {self.title}"

    @property
    def url_path(self) -> str:
        """The page's address under `streamlit run app.py`: Streamlit names a page in pages/ after
        its file, without the leading number and ".py" ("" for the home page)."""
        if self.file == HOME_FILE:
            return ""
        return re.sub(r"^\d+_", "", self.file.removeprefix("pages/").removesuffix(".py"))

    def link(self, **params) -> str:
        """A relative lesson link to this page with URL parameters, e.g. "Gates_z_and_r?present=1"."""
        query = urlencode({k: v for k, v in params.items()})
        return self.url_path + (f"?{query}" if query else "")


HOME_FILE = "app.py"
FORWARD, LEARNING, ASK = "Forward pass", "Learning", "Ask why"

PAGES = (
    Page("home", "GRU Matrix Lab", HOME_FILE, "", "the run at a glance, every page, lessons",
         "A GRU reads a text one character at a time and keeps a small memory h. We follow every "
         "matrix it computes on the tutorial's string, step by step."),
    Page("cell", "The GRU cell", "pages/0_The_GRU_cell.py", FORWARD,
         "the whole cell drawn, with this step's numbers at every node",
         "Step 0 · One time step of the GRU on one picture: the character x_t and the memory "
         "h_(t−1) go in, the gates z and r decide, the candidate h̃ proposes, and h_t comes out "
         "and predicts the next character. Below, the same cell repeated over the sequence.", 0),
    Page("data", "Data & batches", "pages/1_Data_and_batches.py", FORWARD,
         "dictionary, ids, the 4-D one-hot tensor, targets",
         "Step 1 · Characters become numbers (the dictionary), numbers become one-hot rows, and the "
         "text is cut into batches of B sequences of S characters. The target is always the next "
         "character.", 1),
    Page("gates", "Gates z and r", "pages/2_Gates_z_and_r.py", FORWARD,
         "x_t W + h_(t−1) U + b, then σ",
         "Step 2 · Two gates look at the character and the memory: the update gate z decides how "
         "much memory to keep, the reset gate r how much of it the candidate may use.", 2),
    Page("candidate", "Candidate and new state", "pages/3_Candidate_and_state.py", FORWARD,
         "r resets, h̃, z mixes old and new",
         "Step 3 · The candidate h̃ is a proposal for the new memory; the new state h mixes the old "
         "memory and the candidate, unit by unit, in proportions set by z.", 3),
    Page("output", "Output and softmax", "pages/4_Output_and_softmax.py", FORWARD,
         "h W_y + b_y, the max trick, ŷ",
         "Step 4 · The memory h is turned into one score per character, and softmax turns the "
         "scores into probabilities for the next character.", 4),
    Page("loss", "Loss", "pages/5_Loss.py", FORWARD,
         "cross-entropy in three terms, and the L2 cost",
         "Step 5 · Cross-entropy: how surprised the model is by the true next character, averaged "
         "over rows and time steps.", 5),
    Page("backprop", "Backprop through time", "pages/6_Backprop_through_time.py", LEARNING,
         "every gradient, vanishing, clipping, checked",
         "Step 6 · The gradient of the loss flows backwards through every step; z and r decide how "
         "much of it reaches the past.", 6),
    Page("training", "Training and sampling", "pages/7_Training_and_sampling.py", LEARNING,
         "live loss curve, weight changes, generated text",
         "Step 7 · Repeating forward, backward and a small weight update lowers the loss; then the "
         "model writes text one sampled character at a time.", 7),
    Page("explorer", "Gate explorer", "pages/8_Gate_explorer.py", LEARNING,
         "z, r and h over a whole text",
         "Step 8 · After training, units specialise: watch which characters open and close each "
         "gate over a long text.", 8),
    Page("inspector", "Cell inspector", "pages/9_Cell_inspector.py", ASK,
         "one number with its equation filled in",
         "Step 9 · Why is this number what it is? Pick one cell and see its equation with the real "
         "numbers substituted.", 9),
    Page("whatif", "What if", "pages/10_What_if.py", ASK,
         "force a gate, edit a weight, see what changes",
         "Step 10 · Force a gate open or shut, or change one weight, and watch what changes "
         "downstream.", 10),
    Page("conventions", "Conventions", "pages/11_Conventions.py", ASK,
         "tutorial vs PyTorch vs Keras, runnable code",
         "Step 11 · The same weights under the four published GRU variants: which framework "
         "computes which, and how much the numbers differ.", 11),
)
BY_KEY = {p.key: p for p in PAGES}
BY_FILE = {p.file: p for p in PAGES}
HOME = BY_KEY["home"]


def get(key: str) -> Page:
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"no page {key!r} in ui/registry.py; known: {', '.join(BY_KEY)}") from None


def sections() -> dict[str, list[Page]]:
    """The numbered pages grouped by section, in order."""
    out: dict[str, list[Page]] = {}
    for p in PAGES:
        if p.number is not None:
            out.setdefault(p.section, []).append(p)
    return out


def first() -> Page:
    """The first numbered page: where Home's "Start here" leads."""
    return next(p for p in PAGES if p.number is not None)


START = first()


def neighbours(page: Page) -> tuple[Page | None, Page | None]:
    """(previous, next) in the tutorial's order; Home leads to the first numbered page."""
    i = PAGES.index(page)
    return (PAGES[i - 1] if i > 0 else None), (PAGES[i + 1] if i + 1 < len(PAGES) else None)
