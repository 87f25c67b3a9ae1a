"""rnnlib: recurrent neural networks in numpy, exact to PyTorch, written to be read.

The core (everything imported here) needs numpy only. Figures live in ``rnnlib.plots``
(matplotlib), widgets in ``rnnlib.widgets`` (ipywidgets), exercises in ``rnnlib.exercises``.
See docs/ARCHITECTURE.md for which file answers which question.
"""

from . import analysis, cells, data, gradcheck, losses, optim, tbptt
from ._checks import NonFiniteError
from .cell_registry import CELL_LABELS, CELLS, cell_label, cell_layer, cell_name
from .composite import Bidirectional, Stack, stacked
from .embedding import Embedding, TokenLanguageModel
from .gradcheck import check_module, numerical_gradient, relative_error
from .layers import GRU, LSTM, RNN, RecurrentLayer
from .losses import mse_loss, softmax, softmax_cross_entropy
from .networks import ElmanNetwork, EncoderDecoder, JordanNetwork, Linear, RecurrentNetwork
from .optim import (
                    SGD,
                    Adagrad,
                    Adam,
                    clip_grad_norm,
                    clip_grad_norm_per_param,
                    clip_grad_value,
                    global_norm,
)
from .tbptt import truncated_bptt
from .torch_bridge import load_torch_state_dict

__version__ = "0.1.0"

__all__ = [
    "RNN", "LSTM", "GRU", "RecurrentLayer", "CELLS", "CELL_LABELS", "cell_layer", "cell_label",
    "cell_name", "Stack", "Bidirectional", "stacked",
    "Embedding", "TokenLanguageModel", "Linear", "RecurrentNetwork", "ElmanNetwork",
    "JordanNetwork", "EncoderDecoder",
    "softmax", "softmax_cross_entropy", "mse_loss",
    "SGD", "Adagrad", "Adam", "clip_grad_norm", "clip_grad_norm_per_param", "clip_grad_value",
    "global_norm", "truncated_bptt", "check_module", "numerical_gradient", "relative_error",
    "load_torch_state_dict", "NonFiniteError",
    "analysis", "cells", "data", "gradcheck", "losses", "optim", "tbptt",
]
