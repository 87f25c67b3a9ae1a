#!/usr/bin/env python3
"""The long run behind notebook 06: the adding problem at longer lengths and for more steps.

    .venv/bin/python scripts/long_range_long_run.py                 # the run quoted in notebook 06
    .venv/bin/python scripts/long_range_long_run.py --steps 2000 --lengths 100 --seeds 0

Notebook 06 trains each cell for 1000 steps so that it runs in under a minute. This script
trains the same models (rnnlib.demos.memory.Trainer: H = 16, batch 32, Adam lr 0.01, gradient
norm clipped at 1, a fresh batch every step, 256 held-out sequences) for longer, at several
sequence lengths and seeds, and prints one row per run: the final and best held-out MSE and the
first step at which the held-out MSE fell below 0.1 x the baseline of 1/6 ("solved").
"LSTM+fb3" is an LSTM whose forget-gate bias starts at 3 (notebook 05, section 6).

Measured on the course's 2-core machine with the default arguments (6000 steps; one core, under
`nice`, while the machine was shared; 1460 s in all). Notebook 06, section 6, quotes this table:

    cell         T  seed   final MSE   best MSE  solved from step  seconds
    RNN         50     0      0.1122     0.0729                 -      6.1
    LSTM        50     0      0.0002     0.0001               850     19.8
    GRU         50     0      0.0000     0.0000               250     26.0
    LSTM+fb3    50     0      0.0001     0.0001              1800     43.2
    RNN         50     1      0.1814     0.0824                 -      7.4
    LSTM        50     1      0.0002     0.0001              1200     36.4
    GRU         50     1      0.0000     0.0000               300     33.3
    LSTM+fb3    50     1      0.0001     0.0001              2350     25.1
    RNN        100     0      0.1919     0.1673                 -     16.2
    LSTM       100     0      0.0003     0.0001              1600     82.1
    GRU        100     0      0.0002     0.0000               300     72.4
    LSTM+fb3   100     0      0.0001     0.0001               800    111.7
    RNN        100     1      0.1528     0.1442                 -     21.0
    LSTM       100     1      0.0004     0.0001              1850     58.0
    GRU        100     1      0.0000     0.0000               350     40.1
    LSTM+fb3   100     1      0.0002     0.0002              3300     36.0
    RNN        200     0      0.2042     0.1496                 -     25.4
    LSTM       200     0      0.0002     0.0002              3650    207.8
    GRU        200     0      0.0000     0.0000               400    100.6
    LSTM+fb3   200     0      0.0001     0.0001              2750     80.4
    RNN        200     1      0.1451     0.1411                 -     30.8
    LSTM       200     1      0.0003     0.0002              3050    119.4
    GRU        200     1      0.0002     0.0000               400    148.5
    LSTM+fb3   200     1      0.0006     0.0006              4400    111.5

"solved from step": the first evaluation (every 50 steps) with held-out MSE below 0.1 x 1/6;
"-": never within the run.

--json FILE also writes the rows to FILE ({"written_by": ..., "rows": [...]}). It creates FILE,
or replaces a FILE this script wrote before; any other existing file is refused before the run
starts, and so is a folder that cannot be written (exit code 2).
"""

import argparse
import json
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _safe_output import OutputError, writable_dir, write_owned  # noqa: E402

from rnnlib.demos.memory import SOLVED_FRACTION, Trainer  # noqa: E402

WRITTEN_BY = "scripts/long_range_long_run.py"
SIGNATURE = f'"written_by": "{WRITTEN_BY}"'


def json_text(rows) -> str:
    return json.dumps({"written_by": WRITTEN_BY, "rows": rows}, indent=1) + "\n"


def check_json_target(path) -> None:
    """Refuse, before hours of training, a --json FILE this script may not write."""
    path = pathlib.Path(path)
    writable_dir(
        path.parent if str(path.parent) else pathlib.Path("."),
        "the --json file",
        "--json PATH in a folder you can write to",
    )
    if path.exists() or path.is_symlink():
        head = "" if path.is_dir() else path.read_text(encoding="utf-8", errors="replace")[:4000]
        if path.is_dir() or path.is_symlink() or SIGNATURE not in head:
            raise OutputError(
                f"{path} exists and was not written by this script; it is left as it "
                f"is. Choose another --json path"
            )


VARIANTS = {
    "RNN": ("RNN", None),
    "LSTM": ("LSTM", None),
    "GRU": ("GRU", None),
    "LSTM+fb3": ("LSTM", 3.0),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--lengths", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--cells", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.json:
        try:
            check_json_target(args.json)
        except OutputError as err:
            print(f"long run: {err}", file=sys.stderr)
            return 2

    start = time.perf_counter()
    rows = []
    print(
        f"{'cell':<9}{'T':>5}{'seed':>6}{'final MSE':>12}{'best MSE':>11}"
        f"{'solved from step':>18}{'seconds':>9}",
        flush=True,
    )
    for T in args.lengths:
        for seed in args.seeds:
            for name in args.cells:
                cell, forget_bias = VARIANTS[name]
                tr = Trainer(cell=cell, T=T, seed=seed, forget_bias=forget_bias)
                tr.run(args.steps)
                first = tr.first_solved_step(SOLVED_FRACTION)
                row = {
                    "cell": name,
                    "T": T,
                    "seed": seed,
                    "steps": args.steps,
                    "final": tr.final_eval(),
                    "best": tr.best_eval(),
                    "solved_from": first,
                    "seconds": round(tr.seconds, 1),
                }
                rows.append(row)
                print(
                    f"{name:<9}{T:>5}{seed:>6}{row['final']:>12.4f}{row['best']:>11.4f}"
                    f"{(str(first) if first >= 0 else '-'):>18}{tr.seconds:>9.1f}",
                    flush=True,
                )
    print(f"total {time.perf_counter() - start:.0f} s", flush=True)
    if args.json:
        try:
            write_owned(args.json, json_text(rows), SIGNATURE)
        except (OutputError, OSError) as err:
            print(f"long run: the table above was not saved: {err}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
