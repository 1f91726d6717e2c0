"""The suite's own randomness is reproducible: each test draws numbers fixed by the suite seed
and its own id (not by the worker or what ran before), TEST_SEED chooses other numbers, and a
failing test's report names the seed."""
from __future__ import annotations

import random
import re

import pytest

from tests.conftest import seed_for

pytest_plugins = ["pytester"]

INNER = """
import random

def test_draws(seeded_random, rng):
    print("DRAWN", repr(random.random()), repr(rng.random()), seeded_random)
    assert False, "fails on purpose"
"""


@pytest.fixture
def inner(pytester, monkeypatch):
    """Run a failing test under the suite's conftest, in a process of its own so that
    TEST_SEED is read afresh; answer its output and what it drew."""
    from consult.config import PROJECT_ROOT

    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    pytester.makepyfile(test_inner=INNER)

    def _run(seed: str | None):
        if seed is None:
            monkeypatch.delenv("TEST_SEED", raising=False)
        else:
            monkeypatch.setenv("TEST_SEED", seed)
        result = pytester.runpytest_subprocess("-p", "tests.conftest", "-p",
                                               "no:cacheprovider", "-s")
        result.assert_outcomes(failed=1)
        out = result.stdout.str()
        drawn = re.search(r"DRAWN (\S+) (\S+) (\d+)", out)
        assert drawn, out
        return out, (float(drawn[1]), float(drawn[2]), int(drawn[3]))

    return _run


def test_a_test_draws_what_its_seed_says_and_a_failure_names_the_seed(inner):
    out, (shared, own, seed) = inner(None)
    assert seed == seed_for("test_inner.py::test_draws", 20261206)  # the default, by test id
    expected = random.Random(seed).random()
    assert shared == own == expected
    assert "random seed: TEST_SEED=20261206" in out  # in the header of every run
    assert f"TEST_SEED=20261206 (this test's seed {seed})" in out  # with the failure

    other_out, (other_shared, _own, other_seed) = inner("7")
    assert other_seed == seed_for("test_inner.py::test_draws", 7)
    assert other_seed != seed and other_shared != shared
    assert f"TEST_SEED=7 (this test's seed {other_seed})" in other_out


def test_the_seed_of_a_test_depends_on_its_id_not_on_what_ran_before():
    assert seed_for("tests/a.py::test_x") == seed_for("tests/a.py::test_x")
    assert seed_for("tests/a.py::test_x") != seed_for("tests/a.py::test_y")
