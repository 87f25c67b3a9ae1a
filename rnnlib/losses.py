r"""Losses with their gradients.

Convention for sequences: a loss at every time step, summed over time,
:math:`L = \sum_t L_t`, where :math:`L_t` averages over the batch (``reduction="sum"``, the
default), or one average over all steps and sequences (``reduction="mean"``, PyTorch's default,
e.g. the loss per character). Without a time axis both average over the batch.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import _checks


def softmax(logits: ArrayLike, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax: subtracting the max changes nothing but prevents overflow."""
    z = logits - np.max(logits, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(logits: ArrayLike, axis: int = -1) -> np.ndarray:
    """log(softmax(logits)) without ever forming a 0 or an inf."""
    z = logits - np.max(logits, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def _reduce_weights(shape, has_time, reduction):
    """The factor each element's loss is multiplied by."""
    if reduction == "mean":
        return 1.0 / int(np.prod(shape))
    if reduction == "sum":
        return 1.0 / int(np.prod(shape[1:] if has_time else shape))
    raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")


def _valid_entries(mask, shape, name="mask") -> np.ndarray | None:
    """``mask`` as a bool array of ``shape`` (True: this prediction counts), or None."""
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.shape != tuple(shape):
        raise ValueError(f"{name} has shape {m.shape}, expected {tuple(shape)}: one entry per "
                         "prediction, True where it counts")
    if m.dtype != bool:
        if m.dtype.kind not in "biu" or not np.isin(m, (0, 1)).all():
            raise ValueError(f"{name} must hold True/False (or 1/0), got dtype {m.dtype}")
        m = m.astype(bool)
    return m


def softmax_cross_entropy(logits: ArrayLike, targets: ArrayLike, reduction: str = "sum",
                          mask: ArrayLike | None = None, ignore_index: int | None = None
                          ) -> tuple[float, np.ndarray]:
    """Softmax cross-entropy (negative log-likelihood of the target class), in nats.

    Args:
        logits: (T, B, C) scores per step, or (B, C) for one prediction per sequence.
        targets: (T, B) or (B,) integer classes in [0, C).
        reduction: "sum" (sum over time of the batch mean) or "mean" (mean over everything).
        mask: like targets, True where a prediction counts (e.g. not padding); None: all count.
        ignore_index: a target value that does not count (as PyTorch's ``ignore_index``); it
            may lie outside [0, C), e.g. -100.

    Predictions that do not count add nothing to the loss and get zero gradient. With
    "mean" the loss is averaged over the predictions that count (as PyTorch); with "sum" the
    factor stays 1/B per step.

    Returns:
        loss: float; dlogits: same shape as logits, = (softmax - one_hot) times the reduction
        factor.
    """
    logits = _checks.as_float_array(logits, "logits")
    if logits.ndim not in (2, 3):
        raise ValueError(f"logits must be (T, B, C) or (B, C), got shape {logits.shape}")
    _checks.check_finite(logits, "logits")
    targets = np.asarray(targets)
    if targets.shape != logits.shape[:-1]:
        raise ValueError(f"targets has shape {targets.shape}, expected {logits.shape[:-1]} "
                         f"(one class index per prediction)")
    if targets.dtype.kind not in "iu":
        raise ValueError(f"targets must be integer class indices, got dtype {targets.dtype}")
    valid = _valid_entries(mask, targets.shape)
    if ignore_index is not None:
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
            raise ValueError(f"ignore_index must be an int, got {ignore_index!r}")
        kept = targets != ignore_index
        valid = kept if valid is None else valid & kept
    C = logits.shape[-1]
    counted = targets if valid is None else targets[valid]
    if counted.size and (counted.min() < 0 or counted.max() >= C):
        raise ValueError(f"targets must lie in [0, {C}), got values from {counted.min()} "
                         f"to {counted.max()}")
    if valid is not None:
        if not valid.any():
            raise ValueError("mask and ignore_index leave no prediction to count")
        targets = np.where(valid, targets, 0)         # any class: these rows are zeroed below
    if reduction == "mean" and valid is not None:
        scale = 1.0 / int(valid.sum())
    else:
        scale = _reduce_weights(targets.shape, logits.ndim == 3, reduction)
    logp = log_softmax(logits)
    nll = -np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    dlogits = np.exp(logp)
    np.put_along_axis(dlogits, targets[..., None],
                      np.take_along_axis(dlogits, targets[..., None], axis=-1) - 1.0, axis=-1)
    if valid is not None:
        nll = np.where(valid, nll, 0.0)
        dlogits *= valid[..., None]
    return float(nll.sum() * scale), dlogits * scale


def softmax_cross_entropy_per_step(logits: ArrayLike, targets: ArrayLike) -> np.ndarray:
    """L_t for every step: (T,) batch-mean cross-entropies, whose sum is the "sum" loss."""
    logits = _checks.as_float_array(logits, "logits")
    if logits.ndim != 3:
        raise ValueError(f"logits must be (T, B, C), got shape {logits.shape}")
    targets = np.asarray(targets)
    logp = log_softmax(logits)
    nll = -np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    return nll.mean(axis=1)


def mse_loss(pred: ArrayLike, target: ArrayLike, reduction: str = "sum",
             mask: ArrayLike | None = None) -> tuple[float, np.ndarray]:
    """Mean squared error.

    Args:
        pred, target: (T, B, O) per-step predictions, or (B, O) one per sequence.
        reduction: "sum": L = sum_t L_t with L_t the mean over batch and outputs; "mean": the
            mean over everything (= ``torch.nn.MSELoss()``).
        mask: (T, B) or (B,) (one entry per prediction), True where a prediction counts, e.g.
            not padding; those that do not count add nothing and get zero gradient. "mean" then
            averages over the predictions that count.

    Returns:
        loss: float; dpred: same shape as pred.
    """
    pred = _checks.as_float_array(pred, "pred")
    if pred.ndim not in (2, 3):
        raise ValueError(f"pred must be (T, B, O) or (B, O), got shape {pred.shape}")
    _checks.check_finite(pred, "pred")
    target = _checks.check_matrix(target, pred.shape, "target")
    valid = _valid_entries(mask, pred.shape[:-1])
    if valid is not None and not valid.any():
        raise ValueError("mask leaves no prediction to count")
    if reduction == "mean" and valid is not None:
        scale = 1.0 / (int(valid.sum()) * pred.shape[-1])
    else:
        scale = _reduce_weights(pred.shape, pred.ndim == 3, reduction)
    with np.errstate(over="ignore", invalid="ignore"):   # a diverging model: inf, no warning
        err = pred - target
        if valid is not None:
            err = err * valid[..., None]
        return float(np.sum(err * err) * scale), 2.0 * err * scale


def mse_loss_per_step(pred: ArrayLike, target: ArrayLike) -> np.ndarray:
    """L_t for every step: (T,) means over batch and outputs."""
    err = np.asarray(pred, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    return np.mean(err * err, axis=tuple(range(1, err.ndim)))
