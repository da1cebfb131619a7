"Property-based tests (hypothesis) of the data model, the metric and the loaders' error messages."
import json, math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st
from pydantic import ValidationError

from align_nb.alignment import AlignmentSpec
from align_nb.core import Choice, DataError, Probe, Target
from align_nb.benchmarks import load_helpsteer2
from align_nb.metrics import correct_choices, score
from align_nb.reference import OracleADM, RandomADM
from align_nb.targets import HELPSTEER2_ATTRIBUTES

ATTRS = ['a', 'b', 'c']
unit = st.floats(0, 1)
labels = st.dictionaries(st.sampled_from(ATTRS), unit)
probes = st.lists(labels, min_size=2, max_size=5).map(
    lambda ls: Probe(id='p', domain='t', prompt='?', choices=[Choice(text=str(i), values=l) for i, l in enumerate(ls)]))
targets = st.dictionaries(st.sampled_from(ATTRS), unit, min_size=1).map(lambda v: Target(values=v, name='t'))

@given(probes, targets, st.sampled_from(['euclidean', 'l1']))
def test_oracle_is_always_right(probe, target, metric):
    row = score(OracleADM(AlignmentSpec(metric=metric)).decide(probe, target), probe, target, metric)
    assert row is None or row['correct'] == 1.0

@given(probes, targets, st.randoms())
def test_correct_set_follows_a_permutation_of_choices(probe, target, rnd):
    order = list(range(len(probe.choices))); rnd.shuffle(order)
    permuted = probe.model_copy(update=dict(choices=[probe.choices[i] for i in order]))
    before, after = correct_choices(probe, target), correct_choices(permuted, target)
    assert (before is None) == (after is None)
    if before is not None: assert sorted(order[i] for i in after) == before

two_ways = Probe(id='p', domain='t', prompt='?',
                 choices=[Choice(text='A', values=dict(a=0.5, b=0.5)), Choice(text='B', values=dict(a=0.1, b=1.0))])

@given(probes, targets, st.sampled_from(['euclidean', 'l1']))
@example(two_ways, Target(values=dict(a=1.0, b=1.0), name='t'), 'euclidean')  # Euclidean: A (0.71 < 0.9); L1: B (0.9 < 1.0)
@example(two_ways, Target(values=dict(a=1.0, b=1.0), name='t'), 'l1')
def test_correct_choices_are_the_closest_by_an_independent_count(probe, target, metric):
    "The judge's correct set equals the closest choices computed here with plain Python (a missing label counts as 0.5)."
    def dist(c):
        gaps = [abs((c.values or {}).get(a, 0.5) - v) for a, v in target.values.items()]
        return math.sqrt(sum(g * g for g in gaps)) if metric == 'euclidean' else sum(gaps)
    d = [dist(c) for c in probe.choices]
    best = [i for i, x in enumerate(d) if x <= min(d) + 1e-9]
    assert correct_choices(probe, target, metric) == (None if len(best) == len(d) else best)

@given(probes, targets, st.integers(0, 10**6))
def test_a_tie_is_scored_by_its_choice(probe, target, k):
    "A tied decision is correct exactly when the option it chose is one of the correct ones: a tie earns nothing by itself."
    from align_nb.core import Decision
    best = correct_choices(probe, target)
    if best is None: return
    choice = k % len(probe.choices)
    row = score(Decision(probe_id=probe.id, choice=choice, tied=True), probe, target)
    assert row['correct'] == float(choice in best) and row['tied']

@given(probes, targets, st.integers(0, 10**6))
def test_random_choice_is_valid_and_reproducible(probe, target, seed):
    d = RandomADM(seed).decide(probe, target)
    assert 0 <= d.choice < len(probe.choices) and d == RandomADM(seed).decide(probe, target)

bad_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not 0 <= x <= 1), st.text(), st.none(), st.booleans()
)

@given(st.dictionaries(st.text(min_size=1), unit, min_size=1))
def test_targets_in_range_are_accepted(values):
    assert Target(values=values).values == {k: float(v) for k, v in values.items()}

@given(st.text(min_size=1), bad_values)
def test_targets_out_of_range_or_mistyped_are_rejected(name, v):
    with pytest.raises(ValidationError, match='must be'): Target(values={name: v})

# one valid HelpSteer2 record, then corruptions of one field with values of the wrong type or range
GOOD = dict(prompt='Q?', responses=['a', 'b'], labels=[{a: 0.5 for a in HELPSTEER2_ATTRIBUTES}] * 2)
# a label out of range / NaN / None
corruptions = st.one_of(
    st.sampled_from(list(GOOD)).map(lambda k: {f: v for f, v in GOOD.items() if f != k}),  # a field missing
    st.sampled_from(['prompt', 'responses', 'labels']).flatmap(
        lambda k: st.one_of(st.integers(), st.none(), st.floats()).map(lambda v: dict(GOOD, **{k: v}))
    ),
    st.tuples(st.sampled_from(HELPSTEER2_ATTRIBUTES), bad_values.filter(lambda v: not isinstance(v, str) or not v.strip())).map(
        lambda kv: dict(GOOD, labels=[dict(GOOD['labels'][0], **{kv[0]: kv[1]}), GOOD['labels'][1]])
    ),
    st.integers(0, 1).map(lambda n: dict(GOOD, responses=GOOD['responses'][:n], labels=GOOD['labels'][:n])),  # fewer than 2 choices
)

@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corruptions, st.integers(0, 3))
def test_helpsteer2_loader_names_file_and_record(tmp_path, bad, position):
    recs = [GOOD] * 4
    recs.insert(position, bad)
    (tmp_path / 'helpsteer2').mkdir(exist_ok=True)
    (tmp_path / 'helpsteer2' / 'eval.json').write_text(json.dumps(recs, allow_nan=True))
    with pytest.raises(DataError, match=rf"eval\.json: record {position}:"): load_helpsteer2(root=tmp_path)
