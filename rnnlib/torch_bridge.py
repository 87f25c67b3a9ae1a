"""Copy weights from a PyTorch module's ``state_dict`` into an rnnlib module, one-to-one.

No torch import here: pass ``{k: v.detach().numpy() for k, v in module.state_dict().items()}``
(or the tensors themselves; anything ``np.asarray`` accepts).
"""

from __future__ import annotations

import numpy as np


def load_torch_state_dict(module, state_dict, prefix=""):
    """Write PyTorch weights into ``module.params`` in place.

    ``torch.nn.RNN/LSTM/GRU`` with one layer name their weights ``weight_ih_l0`` etc.; rnnlib's
    single layers call them ``weight_ih``. Stacks and bidirectional layers use PyTorch's names
    already. ``prefix`` selects a sub-module's entries (e.g. "rnn.").

    Raises:
        ValueError: a missing key or a shape mismatch, naming both.
    """
    sd = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
    for key, target in module.params.items():
        candidates = [key, key + "_l0"]    # "weight_ih" or "rnn.weight_ih" <- "..._l0"
        source = next((sd[c] for c in candidates if c in sd), None)
        if source is None:
            raise ValueError(f"state_dict has no entry for {key!r} (looked for {candidates})")
        source = np.asarray(source.detach().cpu().numpy() if hasattr(source, "detach") else source)
        if source.shape != target.shape:
            raise ValueError(f"{key!r}: state_dict has shape {source.shape}, "
                             f"rnnlib expects {target.shape}")
        target[...] = source
    return module
