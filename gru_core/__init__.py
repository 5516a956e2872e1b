"""gru_core: a NumPy GRU that keeps every matrix, for GRU Matrix Lab.

    vocab    Vocab: the character dictionary, encode/decode, one-hot
    batches  make_batches: the tutorial's (num_batches, S, B, V) tensors, two layouts
    params   Params, init_params, the tutorial's published weights, torch.nn.GRU layout
    gru      GRUConfig (reset before/after, update keep/take), forward -> Trace (every
             intermediate, for display), run_batches; forward(..., record="train") -> TrainTrace
             (only what backward reads, for training)
    memory   the pooled memory block of a forward/backward run
    losses   cross_entropy (term1, term2, term3), l2_loss
    backward backward -> Grads: BPTT, summed and per time step
    train    clipping, SGD, Adam, train
    sample   sample: primer, temperature, greedy, fed back
    gradcheck  central finite differences
No Streamlit or plotting here: the app draws what this package computes.
"""
from .backward import Grads, backward
from .batches import LAYOUTS, Batches, check_sizes, make_batches, min_text_length
from .gradcheck import gradient_check, numeric_gradient
from .gru import (RESETS, TORCH_CONFIG, TUTORIAL_CONFIG, UPDATES, GRUConfig, Trace, TrainTrace,
                  forward, run_batches, sigmoid, softmax, forward_all, forward_train, split_batches)
from .losses import LOSSES, batch_loss, cross_entropy, l2_loss
from .params import (PARAM_NAMES, TUTORIAL_ORDER, TUTORIAL_SIZES, TUTORIAL_TEXT, NonFiniteError,
                     Params, from_torch_state_dict, init_params, param_shapes, to_torch_state_dict,
                     tutorial_params)
from .sample import SampleResult, sample
from .train import (CLIP_KINDS, OPTIMIZERS, SGD, Adam, Progress, TrainResult, clip_by_global_norm,
                    clip_by_value, clip_grads, global_norm, train)
from .vocab import Vocab, one_hot
from .explain import QUANTITIES, Explanation, explain_cell
from .whatif import concat_traces, forward_from, run_batches_from
