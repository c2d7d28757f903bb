"""Side by side, in one process: scoring in fp32 against the same path under bf16 autocast (matmuls in
bfloat16, the rest in float32: `Engine.score_dtype`, engine/precision.py; the default where the CPU
has bf16 instructions). The same candidates (the grammar's, at the bug
lines of `dagent bench engine`'s held-out examples), alternating rounds, the largest score difference,
and how often the top-scored candidate at a bug line stays the same.

    python scripts/bf16_scoring_bench.py [--rounds 3] [--examples 40]

Run it alone: its figures are timings.
"""

from __future__ import annotations

from functools import partial

import torch

from dagent.agent.bench.score import compare_scoring, comparison_setup, report_rates


def main() -> None:
    rounds, engine, work = comparison_setup(__doc__)
    dtypes = {"fp32": None, "bf16 autocast": torch.bfloat16}
    variants = {name: partial(setattr, engine, "score_dtype", dtype) for name, dtype in dtypes.items()}
    found = compare_scoring(engine, work, variants, rounds)
    report_rates(found, rounds)
    lines = list(zip(found.scores["fp32"], found.scores["bf16 autocast"], strict=True))
    pairs = [(a, b) for line_a, line_b in lines for a, b in zip(line_a, line_b, strict=True) if abs(a) < 1e30]
    same_top = sum(max(range(len(a)), key=a.__getitem__) == max(range(len(b)), key=b.__getitem__) for a, b in lines)
    print(f"bf16 / fp32: {found.median('bf16 autocast') / found.median('fp32'):.2f}x; score differences: largest "
          f"{max(abs(a - b) for a, b in pairs):.3f}, mean {sum(abs(a - b) for a, b in pairs) / len(pairs):.3f} nats; "
          f"the same top candidate at {same_top} of {len(lines)} lines")


if __name__ == "__main__":
    main()
