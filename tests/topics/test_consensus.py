"""The "broad support" ranking (consult.topics.consensus) on constructed marks."""
from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction

from consult.topics import consensus


def camps(n_per_camp: int = 10):
    """Two camps of residents, ``A0..`` and ``B0..``."""
    return [f"A{i}" for i in range(n_per_camp)], [f"B{i}" for i in range(n_per_camp)]


def mark(votes, comment, people, value):
    votes.extend((comment, p, value) for p in people)


def two_camp_votes():
    """Camp A and camp B disagree on the partisan comments 'a1'..'a3' / 'b1'..'b3' (which
    shapes the groups), and: 'loved' — all of A agree, all of B disagree; 'common' — 7 of 10
    in each camp agree, the rest disagree or pass."""
    a, b = camps()
    votes = []
    for c in ("a1", "a2", "a3"):
        mark(votes, c, a, "agree")
        mark(votes, c, b, "disagree")
    for c in ("b1", "b2", "b3"):
        mark(votes, c, b, "agree")
        mark(votes, c, a, "disagree")
    mark(votes, "loved", a, "agree")
    mark(votes, "loved", b, "disagree")
    mark(votes, "common", a[:7] + b[:7], "agree")
    mark(votes, "common", a[7:8] + b[7:8], "disagree")
    mark(votes, "common", a[8:] + b[8:], "pass")
    return votes


def test_two_camps_are_found():
    a, b = camps()
    group_of, k = consensus.opinion_groups(two_camp_votes())
    assert k == 2
    assert len({group_of[p] for p in a}) == 1 and len({group_of[p] for p in b}) == 1
    assert group_of[a[0]] != group_of[b[0]]


def test_a_comment_loved_by_one_camp_and_hated_by_the_other_ranks_below_common_ground():
    r = consensus.rank(two_camp_votes())
    order = r.order
    assert order[0] == "common"
    assert order.index("loved") > order.index("common")
    loved, common = r.support["loved"], r.support["common"]
    # every agree of 'loved' comes from one camp
    assert sorted(loved.groups) == [(0, 10), (10, 10)]
    assert loved.score == Fraction(11, 12) * Fraction(1, 12)
    assert common.score == Fraction(8, 12) * Fraction(8, 12)


def test_the_most_liked_is_not_necessarily_the_most_broadly_supported():
    """'popular' has more agrees in total than 'bridge', all from the big camp."""
    a, b = [f"A{i}" for i in range(14)], [f"B{i}" for i in range(6)]
    votes = []
    for c in ("a1", "a2", "a3"):
        mark(votes, c, a, "agree")
        mark(votes, c, b, "disagree")
    for c in ("b1", "b2"):
        mark(votes, c, b, "agree")
        mark(votes, c, a, "disagree")
    mark(votes, "popular", a, "agree")  # 14 agrees
    mark(votes, "popular", b, "disagree")
    mark(votes, "bridge", a[:8] + b[:4], "agree")  # 12 agrees
    mark(votes, "bridge", a[8:] + b[4:], "pass")
    r = consensus.rank(votes)
    assert r.groups == 2
    assert r.support["popular"].agrees > r.support["bridge"].agrees
    assert r.order.index("bridge") < r.order.index("popular")


def test_a_comment_with_few_marks_does_not_beat_a_broadly_supported_one():
    votes = two_camp_votes()
    a, b = camps()
    votes += [("newcomer", a[0], "agree"), ("newcomer", b[0], "agree")]  # 2 of 2 agree
    r = consensus.rank(votes)
    assert r.order.index("common") < r.order.index("newcomer")
    # ... and a comment nobody marked sits between the divisive and the common ground
    r = consensus.rank(votes, [(c, i) for i, c in enumerate(
        ["a1", "a2", "a3", "b1", "b2", "b3", "loved", "common", "newcomer", "unseen"])])
    assert r.support["unseen"].score == Fraction(1, 4)
    assert r.order.index("common") < r.order.index("unseen") < r.order.index("loved")


def test_ties_go_to_more_agrees_then_to_the_older_comment():
    votes = [("x", "u1", "agree"), ("y", "u1", "agree")]
    r = consensus.rank(votes, [("y", 1), ("x", 2), ("z", 3), ("w", 0)])
    assert r.groups == 1
    assert r.order == ["y", "x", "w", "z"]  # y older than x; w older than z (both unmarked)
    # an exact tie of scores, (1+1)/(2+2) = (2+1)/(4+2): more agrees first
    votes = [("few", "u1", "agree"), ("few", "u2", "disagree"),
             ("many", "u1", "agree"), ("many", "u2", "agree"), ("many", "u3", "disagree"),
             ("many", "u4", "disagree")]
    r = consensus.rank(votes, [("few", 0), ("many", 1)])
    assert r.support["few"].score == r.support["many"].score == Fraction(1, 2)
    assert r.order == ["many", "few"]


def test_passes_count_as_marks_without_agreement():
    r = consensus.rank([("p", "u1", "pass"), ("p", "u2", "pass"), ("q", "u1", "agree")])
    assert r.support["p"].score == Fraction(1, 4)
    assert r.support["p"].agrees == 0 and r.support["p"].marks == 2
    assert r.order == ["q", "p"]


def test_few_participants_make_one_group():
    votes = [("c1", "u1", "agree"), ("c1", "u2", "disagree"), ("c2", "u1", "disagree"),
             ("c2", "u2", "agree")]
    group_of, k = consensus.opinion_groups(votes)
    assert k == 1 and set(group_of.values()) == {0}


def test_without_division_everybody_is_one_group():
    people = [f"u{i}" for i in range(30)]
    votes = []
    for c in range(5):
        mark(votes, f"c{c}", people, "agree")
    assert consensus.opinion_groups(votes)[1] == 1


def test_empty_input():
    r = consensus.rank([])
    assert r.order == [] and r.support == {} and r.groups == 1
    r = consensus.rank([], [(1, 0), (2, 1)])
    assert r.order == [1, 2]
    assert r.support[1].score == Fraction(1, 2)
    assert consensus.opinion_groups([]) == ({}, 1)


def test_integer_values_work_like_words():
    words = two_camp_votes()
    numbers = [(c, p, {"agree": 1, "disagree": -1, "pass": 0}[v]) for c, p, v in words]
    assert consensus.rank(words).order == consensus.rank(numbers).order


def test_deterministic_whatever_the_order_of_the_marks():
    votes = two_camp_votes()
    first = consensus.rank(votes)
    for seed in range(5):
        shuffled = votes[:]
        random.Random(seed).shuffle(shuffled)
        again = consensus.rank(shuffled)
        assert again.order == first.order
        assert again.support == first.support
    assert consensus.rank(votes).group_of == first.group_of


def three_camps(n=12, comments_per_camp=4):
    votes = []
    names = "ABC"
    people = {x: [f"{x}{i}" for i in range(n)] for x in names}
    for x in names:
        for j in range(comments_per_camp):
            c = f"{x}{j}"
            for y in names:
                mark(votes, c, people[y], "agree" if x == y else "disagree")
    mark(votes, "all", [p for x in names for p in people[x][: n * 2 // 3]], "agree")
    return votes, people


def test_three_camps_are_found():
    votes, people = three_camps()
    group_of, k = consensus.opinion_groups(votes)
    assert k == 3
    assert len({group_of[people[x][0]] for x in "ABC"}) == 3
    for x in "ABC":
        assert len({group_of[p] for p in people[x]}) == 1
    assert consensus.rank(votes).order[0] == "all"


def test_participants_with_a_single_mark_join_the_nearest_group():
    votes = two_camp_votes()
    votes.append(("a1", "late", "agree"))  # one mark: not used to shape the groups
    group_of, k = consensus.opinion_groups(votes)
    assert k == 2 and group_of["late"] == group_of["A0"]


def test_a_thousand_comments_and_five_hundred_residents_find_the_common_ground():
    """At the scale of a busy topic (its speed is measured by bench/consensus.py)."""
    rng = random.Random(7)
    votes = []
    for u in range(500):
        camp = u % 2
        for c in rng.sample(range(1000), 100):
            if c < 50:
                v = "agree" if rng.random() < 0.8 else "disagree"
            elif (c < 525) == (camp == 0):
                v = "agree" if rng.random() < 0.85 else "pass"
            else:
                v = "disagree" if rng.random() < 0.85 else "pass"
            votes.append((c, u, v))
    r = consensus.rank(votes, [(c, c) for c in range(1000)])
    assert r.groups == 2
    assert set(r.order[:40]) <= set(range(50))  # the common ground comes first


def test_noisy_camps_where_residents_see_different_comments():
    """40 residents in two camps each mark a random 60% of 20 comments, siding with their
    camp 85% of the time; 'bridge1' and 'bridge2' are agreed by 75% of both camps."""
    rng = random.Random(3)
    votes = []
    for u in range(40):
        camp = u % 2
        for c in range(20):
            if rng.random() > 0.6:
                continue
            mine = (c % 2) == camp
            sides = rng.random() < 0.85
            votes.append((f"c{c}", u, "agree" if mine == sides else "disagree"))
        for bridge in ("bridge1", "bridge2"):
            if rng.random() < 0.6:
                votes.append((bridge, u, "agree" if rng.random() < 0.75 else "disagree"))
    r = consensus.rank(votes)
    assert r.groups == 2
    (g0, n0), = Counter(r.group_of[u] for u in range(0, 40, 2)).most_common(1)
    (g1, n1), = Counter(r.group_of[u] for u in range(1, 40, 2)).most_common(1)
    assert g0 != g1 and n0 >= 18 and n1 >= 18
    assert set(r.order[:2]) == {"bridge1", "bridge2"}
