"""Benchmark: the "broad support" ranking of a busy topic, 1,000 comments and 500 residents
who each mark 100 of them, in two opinion camps.

    .venv/bin/python bench/consensus.py
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from consult.topics import consensus  # noqa: E402


def main() -> None:
    rng = random.Random(7)
    votes = []
    for resident in range(500):
        camp = resident % 2
        for comment in rng.sample(range(1000), 100):
            if comment < 50:  # common ground
                value = "agree" if rng.random() < 0.8 else "disagree"
            elif (comment < 525) == (camp == 0):
                value = "agree" if rng.random() < 0.85 else "pass"
            else:
                value = "disagree" if rng.random() < 0.85 else "pass"
            votes.append((comment, resident, value))
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        result = consensus.rank(votes, [(c, c) for c in range(1000)])
        timings.append(time.perf_counter() - started)
    print(f"{len(votes):,} marks, {result.groups} opinion groups: best {min(timings):.3f} s, "
          f"worst {max(timings):.3f} s")


if __name__ == "__main__":
    main()
