r"""Exercises for notebook 04 (gradient clipping).

1. :func:`check_clip_global_norm`: clip a whole gradient (a dict of arrays) to a global norm,
   :math:`g \leftarrow \mu\, g / \|g\|` when :math:`\|g\| > \mu`.
2. :func:`check_gradient_cosine`: the cosine between two gradients seen as single vectors.
3. :func:`check_clip_per_param`: clip every parameter's gradient to norm ``max_norm`` on its own.
4. :func:`check_train_chunks`: the training loop itself: forward, loss, backward, clip, step,
   carry the state, on a long sequence cut into chunks.

Gradients are dicts ``{name: array}``, as rnnlib's ``backward`` returns them. Each check runs the
learner's function on fresh inputs beside a reference written another way, with rnnlib's own
functions (``_reference_*``), prints what it found and never raises (see
:func:`rnnlib.exercises.run_check`). A failed check prints the first of three hint levels in
:data:`HINTS` (the idea, the formula, a skeleton of the code);
``rnnlib.exercises.hint(check, level)`` prints the others, and level 4 the reference solution.
"""

from __future__ import annotations

import copy

import numpy as np

from .. import _checks
from ..losses import mse_loss
from ..networks import ElmanNetwork
from ..optim import SGD, clip_grad_norm, global_norm
from ..tbptt import chunk_slices, truncated_bptt
from ._feedback import CheckResult, known_mistakes, run_check

__all__ = [
    "HINTS",
    "check_clip_global_norm", "solution_clip_global_norm",
    "check_gradient_cosine", "solution_gradient_cosine",
    "check_clip_per_param", "solution_clip_per_param",
    "check_train_chunks", "solution_train_chunks", "sine_problem", "training_case",
]

#: three levels of help per exercise (the idea, the formula, a skeleton of the code), printed
#: by ``rnnlib.exercises.hint(check, level)``; the first is printed when a check fails
HINTS = {
    "check_clip_global_norm": (
        "Treat all the parameters' gradients as one long vector: measure its length once, and "
        "if it is too long shrink every array by the same factor, so the direction stays.",
        """\
        norm = sqrt( sum over every array g of sum(g**2) )        one number for everything
        scale = max_norm / norm   if norm > max_norm   else 1
        clipped[name] = scale * grads[name]                       for every name""",
        """\
        def clip_global_norm(grads, max_norm):
            norm = np.sqrt(sum(... for g in grads.values()))
            scale = ...
            return {name: ... for name, g in grads.items()}"""),
    "check_gradient_cosine": (
        "A gradient dict is one long vector written in pieces. Glue each dict into one vector "
        "(the same order of keys for both) and take the ordinary cosine of two vectors.",
        """\
        a = concatenate(g1[k].ravel() for k in keys)      b = the same for g2, same key order
        cos = (a . b) / (||a|| ||b||)""",
        """\
        def gradient_cosine(g1, g2):
            a = np.concatenate([g1[k].ravel() for k in g1])
            b = np.concatenate([... for k in g1])         # the same key order as a
            return float(...)"""),
    "check_clip_per_param": (
        "Like global clipping, but every parameter is on its own: each array gets its own norm "
        "and its own factor, and arrays that are short enough stay as they are.",
        """\
        for every name:
            n = ||grads[name]||                            this parameter's norm only
            clipped[name] = grads[name] * max_norm / n     if n > max_norm, else a copy""",
        """\
        def clip_per_param(grads, max_norm):
            out = {}
            for name, g in grads.items():
                norm = ...
                out[name] = ... if norm > max_norm else g.copy()
            return out"""),
    "check_train_chunks": (
        "One update per chunk, in the order forward, loss, backward, clip, step. The hidden "
        "state at the end of a chunk is where the next chunk starts (the gradient does not "
        "flow back into the previous chunk), and every pass over the data starts from zero.",
        """\
        for each pass:    state = None                               (h_0 = 0)
          for each chunk  x[s:s+k], y[s:s+k]:
            ys, state, cache = net.forward(x_chunk, state)           carry the state in and out
            loss, dys = rnnlib.mse_loss(ys, y_chunk, reduction="mean")
            _, _, grads = net.backward(dys, cache)                   this chunk's gradient only
            rnnlib.clip_grad_norm(grads, max_norm)                   clip BEFORE the step
            opt.step(grads)
            keep the loss""",
        """\
        def train_chunks(net, opt, x, y, k, max_norm, epochs):
            losses = []
            for _ in range(epochs):
                state = None
                for s in range(0, len(x), k):
                    ys, state, cache = net.forward(x[s:s + k], ...)
                    loss, dys = rnnlib.mse_loss(..., reduction="mean")
                    _, _, grads = net.backward(...)
                    ...                                  # clip
                    ...                                  # step
                    losses.append(loss)
            return losses"""),
}

# ---------------------------------------------------------------------------------------------
# Fresh gradients


def _grads(rng, scale):
    return {"weight_ih": scale * rng.standard_normal((4, 3)),
            "weight_hh": scale * rng.standard_normal((4, 4)),
            "bias": scale * rng.standard_normal(4),
            "out.weight": 0.1 * scale * rng.standard_normal((2, 4))}


def _clip_cases():
    rng = np.random.default_rng(404)
    return [(_grads(rng, 10.0), 1.0),      # far above the threshold
            (_grads(rng, 0.05), 1.0),      # below: nothing changes
            (_grads(rng, 1.0), 2.5),       # total above, some parameters below
            (_grads(rng, 300.0), 0.5)]


def _dict_check(name, learner_fn, reference_fn, cases, quiet):
    """run_check for functions that return a dict of arrays like their first argument: the
    dict is handed to run_check as a tuple in the input's key order."""
    keys = list(cases[0][0])
    hint = HINTS[f"check_{name}"][0]
    try:                                   # a dict with the wrong keys gets its own message
        with np.errstate(all="ignore"):
            first = learner_fn(*copy.deepcopy(cases[0])) if callable(learner_fn) else None
    except Exception:                      # run_check reports exceptions (and stubs) itself
        first = None
    text = None
    if isinstance(first, dict) and set(first) != set(keys):
        text = (f"❌ {name}: your function returned a dict with keys {sorted(first)}, expected "
                f"the same keys as the input, {sorted(keys)}.\n   Hint: {hint}")
    elif first is not None and not isinstance(first, dict):
        text = (f"❌ {name}: your function returned a {type(first).__name__}, expected a dict "
                f"{{name: array}} with the same keys as the input.\n   Hint: {hint}")
    if text is not None:
        if not quiet:
            print(text)
        return CheckResult(False, "type", text, 1)

    def as_tuple(fn):
        def wrapped(*args):
            out = fn(*args)
            return tuple(out[k] for k in keys) if isinstance(out, dict) else out
        return wrapped

    run_learner = as_tuple(learner_fn) if callable(learner_fn) else learner_fn
    return run_check(name, run_learner, as_tuple(reference_fn), cases,
                     output_names=[f"the gradient of {k!r}" for k in keys], quiet=quiet,
                     hints=HINTS[f"check_{name}"], check=f"check_{name}")


# ---------------------------------------------------------------------------------------------
# 1. Global norm clipping


def solution_clip_global_norm(grads, max_norm):
    """A clipped copy of ``grads``: all parameters rescaled together so that their global norm
    is at most ``max_norm`` (Pascanu et al. 2013). The direction is unchanged."""
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))    # one norm for everything
    scale = max_norm / total if total > max_norm else 1.0
    return {name: g * scale for name, g in grads.items()}


def _reference_clip_global_norm(grads, max_norm):
    # rnnlib's global norm, and the factor written as a min (no 1e-6 as in clip_grad_norm)
    factor = min(1.0, max_norm / global_norm(grads))
    return {name: factor * g for name, g in grads.items()}


def check_clip_global_norm(clip_global_norm, quiet=False):
    """Check ``clip_global_norm(grads, max_norm) -> dict`` on four fresh gradients."""
    return _dict_check("clip_global_norm", clip_global_norm, _reference_clip_global_norm,
                       _clip_cases(), quiet=quiet)


# ---------------------------------------------------------------------------------------------
# 2. The cosine between two gradients


def solution_gradient_cosine(g1, g2):
    """cos of the angle between two gradients (dicts with the same keys), each flattened into
    one long vector: 1 means the same direction."""
    a = np.concatenate([g1[k].ravel() for k in g1])
    b = np.concatenate([g2[k].ravel() for k in g1])                  # the same key order
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _reference_gradient_cosine(g1, g2):
    # the cosine from the parts: the dot product and the squared norms are sums over the arrays
    dot = sum(np.vdot(g1[k], g2[k]) for k in g1)
    return float(dot / (global_norm(g1) * global_norm(g2)))


def _cosine_cases():
    rng = np.random.default_rng(405)
    cases = []
    for scale in (1.0, 50.0):
        g = _grads(rng, scale)
        noisy = {k: v + scale * rng.standard_normal(v.shape) for k, v in g.items()}
        cases.append((g, noisy))
        cases.append((g, {k: np.clip(v, -0.5 * scale, 0.5 * scale) for k, v in g.items()}))
    g = _grads(rng, 1.0)
    cases.append((g, {k: -3.0 * v for k, v in g.items()}))            # opposite: -1
    return cases


def check_gradient_cosine(gradient_cosine, quiet=False):
    """Check ``gradient_cosine(g1, g2) -> float`` on five pairs of gradients."""
    return run_check(
        "gradient_cosine", gradient_cosine, _reference_gradient_cosine, _cosine_cases(),
        output_names=["cosine"], quiet=quiet, diagnose=known_mistakes([
            (lambda a, b: float(np.mean([a[k].ravel() @ b[k].ravel() / np.linalg.norm(a[k])
                                         / np.linalg.norm(b[k]) for k in a])),
             "that is the average of one cosine per parameter; the cosine of the whole "
             "gradient glues all arrays into one vector first.")]))


# ---------------------------------------------------------------------------------------------
# 3. Per-parameter clipping


def solution_clip_per_param(grads, max_norm):
    """A clipped copy of ``grads``: each parameter's gradient rescaled on its own to norm at most
    ``max_norm``. Each block keeps its direction; the whole gradient's direction changes."""
    out = {}
    for name, g in grads.items():
        norm = np.sqrt(np.sum(g ** 2))                 # this parameter's norm only
        out[name] = g * (max_norm / norm) if norm > max_norm else g.copy()
    return out


def _reference_clip_per_param(grads, max_norm):
    # global-norm clipping of each parameter on its own, as a dict of one
    return {name: _reference_clip_global_norm({name: g}, max_norm)[name]
            for name, g in grads.items()}


def check_clip_per_param(clip_per_param, quiet=False):
    """Check ``clip_per_param(grads, max_norm) -> dict`` on four fresh gradients."""
    return _dict_check("clip_per_param", clip_per_param, _reference_clip_per_param,
                       _clip_cases(), quiet=quiet)


# ---------------------------------------------------------------------------------------------
# 4. The training loop


def sine_problem(seed=0, T=24, B=4):
    """A tiny seeded forecasting problem: ``B`` sine waves with random frequencies and phases;
    the target of every step is the next value.

    Returns:
        x, y: (T, B, 1) arrays.
    """
    rng = _checks.rng_from(seed)
    freq = rng.uniform(0.25, 0.6, B)
    phase = rng.uniform(0.0, 2 * np.pi, B)
    wave = np.sin(freq * np.arange(T + 1)[:, None] + phase)          # (T + 1, B)
    return wave[:-1, :, None].copy(), wave[1:, :, None].copy()


def solution_train_chunks(net, opt, x, y, k, max_norm, epochs):
    """Train ``net`` with ``opt`` on the sequences ``x`` -> ``y`` (both (T, B, ·)), cut into
    chunks of ``k`` steps: one update per chunk, the hidden state carried from chunk to chunk,
    every pass over the data starting from h_0 = 0.

    Returns:
        the list of the losses (the mean over the chunk), one per update, before the update.
    """
    losses = []
    for _ in range(epochs):
        state = None                                            # every pass starts at h_0 = 0
        for start in range(0, len(x), k):
            x_chunk, y_chunk = x[start:start + k], y[start:start + k]
            ys, state, cache = net.forward(x_chunk, state)      # 1. forward, from the carried state
            loss, dys = mse_loss(ys, y_chunk, reduction="mean")  # 2. the loss, averaged
            _, _, grads = net.backward(dys, cache)              # 3. backward, this chunk only
            clip_grad_norm(grads, max_norm)                     # 4. clip the gradient ...
            opt.step(grads)                                     # 5. ... then take the step
            losses.append(loss)
    return losses


def _reference_train_chunks(net, opt, x, y, k, max_norm, epochs):
    # rnnlib's truncated BPTT on one chunk at a time gives the chunk's loss, its gradient and the
    # state to carry on; then clip and step
    def loss_fn(ys, targets):
        return mse_loss(ys, targets, reduction="mean")
    losses = []
    for _ in range(epochs):
        state = None
        for chunk in chunk_slices(len(x), k):
            loss, grads, state = truncated_bptt(net, loss_fn, x[chunk], y[chunk], k, state)
            clip_grad_norm(grads, max_norm)
            opt.step(grads)
            losses.append(loss)
    return losses


#: the cases of :func:`check_train_chunks`: (seed, H, lr, momentum, k, max_norm, epochs)
TRAINING_CASES = [
    (0, 5, 0.1, 0.9, 6, 0.3, 4),        # clipping acts in some updates, not in others
    (1, 4, 0.05, 0.0, 8, 0.05, 3),      # plain SGD, clipping in most updates
    (2, 6, 0.2, 0.5, 5, 1.0, 3),        # T = 24 is not a multiple of k: a short last chunk
]


def training_case(train_fn, seed, H, lr, momentum, k, max_norm, epochs):
    """Run ``train_fn(net, opt, x, y, k, max_norm, epochs)`` on a fresh seeded network
    (``ElmanNetwork(1, H, 1)``, tanh) and optimiser (``SGD(lr, momentum)``) on
    :func:`sine_problem` (seed ``seed``).

    Returns:
        (losses (n,), every parameter after training as one vector).
    """
    x, y = sine_problem(seed)
    net = ElmanNetwork(1, H, 1, nonlinearity="tanh", seed=seed)
    opt = SGD(net.params, lr=lr, momentum=momentum)
    losses = train_fn(net, opt, x, y, k, max_norm, epochs)
    if losses is None:                   # a missing return: the check says so in its own words
        return None
    flat = np.concatenate([np.ravel(p) for p in net.params.values()])
    return np.asarray(losses, dtype=np.float64).ravel(), flat


def _slip(*, clip_after=False, accumulate=False, reduction="mean", carry=True, reset=True,
          clip=True):
    """The reference loop with one classic slip switched on (for the diagnoses and tests)."""
    def train(net, opt, x, y, k, max_norm, epochs):
        losses, total, state = [], None, None
        for _ in range(epochs):
            if reset:
                state = None
            for start in range(0, len(x), k):
                ys, new_state, cache = net.forward(x[start:start + k], state if carry else None)
                state = new_state
                loss, dys = mse_loss(ys, y[start:start + k], reduction=reduction)
                _, _, grads = net.backward(dys, cache)
                if accumulate:                     # never reset: the sum of all so far
                    total = grads if total is None else {n: total[n] + grads[n] for n in grads}
                    grads = {n: g.copy() for n, g in total.items()}
                if clip and not clip_after:
                    clip_grad_norm(grads, max_norm)
                opt.step(grads)
                if clip and clip_after:
                    clip_grad_norm(grads, max_norm)     # too late: the step has been taken
                losses.append(loss)
        return losses
    return train


_TRAINING_MISTAKES = [
    (_slip(clip_after=True), "each step used the unclipped gradient: the clipping is missing, "
     "or it comes after opt.step(grads), when the step has already been taken. Call "
     "rnnlib.clip_grad_norm(grads, max_norm) between backward and the step."),
    (_slip(accumulate=True), "your gradients are added up over all the updates so far: each "
     "update must use only this chunk's gradient (in PyTorch the same slip is a missing "
     "optimizer.zero_grad())."),
    (_slip(reduction="sum"), "the loss is summed over the steps of the chunk where it should "
     "be averaged: use rnnlib.mse_loss(ys, y_chunk, reduction=\"mean\") (the default, "
     "\"sum\", makes the gradient k times larger)."),
    (_slip(carry=False), "every chunk starts from h_0 = 0: carry the state, pass the final "
     "state of one chunk as the initial state of the next (net.forward(x_chunk, state))."),
    (_slip(reset=False), "the state runs on from one pass to the next: start every pass over "
     "the data from h_0 = 0 (state = None), as the first pass does."),
]


def check_train_chunks(train_chunks, quiet=False):
    """Check ``train_chunks(net, opt, x, y, k, max_norm, epochs) -> losses`` on three seeded tiny
    problems: the losses and every parameter after training must equal the reference's to
    1e-10, and the loss must fall."""
    def run(fn):
        return lambda *case: training_case(fn, *case)
    learner = run(train_chunks) if callable(train_chunks) else train_chunks
    mistakes = [(run(variant), words) for variant, words in _TRAINING_MISTAKES]
    result = run_check("train_chunks", learner, run(_reference_train_chunks), TRAINING_CASES,
                       rtol=1e-10, atol=1e-12, output_names=["the losses", "the parameters"],
                       quiet=quiet, diagnose=known_mistakes(mistakes, rtol=1e-10, atol=1e-12),
                       hints=HINTS["check_train_chunks"], check="check_train_chunks")
    if result.passed and not quiet:
        seed, H, lr, momentum, k, max_norm, epochs = TRAINING_CASES[0]
        losses, _ = training_case(train_chunks, seed, H, lr, momentum, k, max_norm, epochs)
        per_pass = losses.reshape(epochs, -1).mean(axis=1)
        print("   Your loop's loss, averaged over each pass of case 1: "
              + " -> ".join(f"{v:.3f}" for v in per_pass)
              + (" (falling)." if per_pass[-1] < per_pass[0] else " (not falling!)"))
    return result
