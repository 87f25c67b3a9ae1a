"""Self-checks for the notebooks' exercises, one module per topic
(``unfolding`` serves notebooks 00 and 01).

Each ``check_*`` function runs the learner's function on fresh inputs, compares it with a
reference solution and prints specific, friendly feedback. It never raises: a wrong shape, an
exception inside the learner's code, a NaN or a missing ``return`` each get their own message.
``solution(check)`` prints the reference solution, for when you are stuck.
"""

from ._feedback import CheckResult, known_mistakes, run_check, solution

__all__ = ["CheckResult", "known_mistakes", "run_check", "solution"]
