"""The ``params`` of a module made of modules (a Stack, a Bidirectional layer, a network).

``net.params`` is a fresh dict each time it is read, named like PyTorch's ``state_dict``, whose
values are the sub-modules' own arrays: in-place edits (``net.params["rnn.weight_hh"][0] = 1``,
an optimiser's ``p -= lr * g``) change the sub-modules. Assigning a whole array
(``net.params["rnn.weight_ih"] = W``, or ``.update(...)``) is passed on to the sub-module that
owns the entry, so it is not lost either; an unknown name or a wrong shape is refused.
"""

from __future__ import annotations

import numpy as np


class ParamDict(dict):
    """A dict of a composite's parameters whose assignments reach the sub-modules.

    Args:
        routes: full name -> (sub-module, the sub-module's own name for the entry), in order.
    """

    def __init__(self, routes: dict):
        super().__init__((name, module.params[key]) for name, (module, key) in routes.items())
        self._routes = routes

    def __setitem__(self, name, value):
        if name not in self._routes:
            raise ValueError(f"there is no parameter named {name!r}; the parameters are "
                             f"{list(self._routes)}")
        module, key = self._routes[name]
        old = module.params[key]
        new = np.asarray(value)
        if new.shape != old.shape:
            raise ValueError(f"parameter {name!r} has shape {old.shape}, "
                             f"got an array of shape {new.shape}")
        if new.dtype != old.dtype:
            new = new.astype(old.dtype)
        module.params[key] = new                 # the sub-module computes with it from now on
        super().__setitem__(name, new)

    def update(self, *args, **kwargs):
        for name, value in dict(*args, **kwargs).items():
            self[name] = value

    def _refuse(self, *args, **kwargs):
        raise ValueError("a module's parameters are fixed by its layers: entries can be "
                         "changed or assigned, not removed or added")

    __delitem__ = pop = popitem = clear = setdefault = _refuse

    def copy(self) -> dict:
        """A plain dict with the same arrays (not copies of them), as ``dict.copy``."""
        return dict(self)
