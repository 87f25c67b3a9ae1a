"""Shared fixtures. torch is optional: tests marked ``torch`` skip cleanly without it."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def torch_or_skip():
    """Import torch in float64 mode, or skip the calling test."""
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)
    return torch
