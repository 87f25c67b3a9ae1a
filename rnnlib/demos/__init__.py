"""Small numeric helpers behind the notebooks' demonstrations, one module per topic.

Each module needs numpy (and rnnlib's core) only. They build the seeded toy networks and
inputs a notebook talks about and compute the numbers its text, figures and widgets show, so
that the notebooks stay short and the tests can check the very same numbers. The course's
teaching code (one time step, a whole layer, BPTT) lives in rnnlib's core, not here.
"""
