"""The known-answer checks the mutation table (tools/mutants.py) names: each decision maker with the simulated backbone beside its
independent expectation, on benchmarks with 2 to 5 options, scored from the raw choices and the labels alone.

Each test is one check a bug must get past; `make mutants` applies each mutation of the table to a copy of the tree and runs the
test it names there, which must fail."""
import numpy as np
import pandas as pd
import pytest

from align_nb.benchmarks import load_benchmark, load_mic
from align_nb.core import Target
from align_nb.known_answer import (CHOICE_METHODS, METHOD_KINDS, Skill, check, exact_mismatches, expect,
                                   known_answer_table, main, measure)
from align_nb.simulated import Shown, SimulatedEngine
from align_nb.synthetic_raw import make_synthetic_mic


def test_every_method_on_four_benchmarks(data_root, capsys):
    """The command line on HelpSteer2 (2 options, 52 profiles), NAACL'24 and ITM (triage), OpinionQA (3-5 options): exact labels one by one,
    a noisy backbone, and the stress skill (samples, negative samples, position bias, invalid output) through the runner."""
    code = main(['--benchmark', 'helpsteer2', 'naacl24', 'itm', 'opinionqa', '--n-probes', '30', '--replicates', '100'])
    assert code == 0, 'outside: ' + '; '.join(_outside(capsys.readouterr().out))


def _outside(printed: str) -> list[str]:
    "The rows of the command's tables that fail, each as its benchmark, method and the numbers that decide."
    out, head = [], []
    for line in printed.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if cells[0] == 'benchmark': head = cells
        elif head and len(cells) == len(head) and cells[-1] == 'False':
            r = dict(zip(head, cells))
            out.append(f"{r['benchmark']} {r['method']}: accuracy {r['accuracy']} (expected {r['expected']}), z {r['z']}, "
                       f"tied {r['tied_pct']} (expected {r['expected_tied_pct']}, z {r['tied_z']}), failed z {r['failed_z']}, "
                       f"choice-0 z {r['choice0_z']}, mismatched {r['mismatched']}")
    return out


def _failing(table: pd.DataFrame) -> list[str]:
    "The rows of a `known_answer_table` outside their expectation, with the numbers that decide."
    return [f"{r.benchmark} {r.method} ({r.profile}): accuracy {r.accuracy:.2f} (expected {r.expected:.2f}), z {r.z:.2f}, "
            f"tied z {r.tied_z:.2f}, failed z {r.failed_z:.2f}, choice-0 z {r.choice0_z:.2f}, mismatched {r.mismatched}"
            for r in table[~table.inside].itertuples()]


def test_the_papers_profiles(data_root, tmp_path):
    """Steerable Pluralism's regressors (its prompts, five-sample default, first-response ties: MIC's labels tie) and align-system's
    decision makers, exact."""
    mic_csv = make_synthetic_mic(tmp_path / 'MIC.csv')
    sp = known_answer_table({'helpsteer2': load_benchmark('helpsteer2'), 'mic': load_mic(csv_path=mic_csv)}, Skill(), n_probes=40,
                            progress=False, profile='steerable-pluralism', loaders=dict(mic=dict(csv_path=str(mic_csv))))
    asys = known_answer_table({b: load_benchmark(b) for b in ('naacl24', 'itm')}, Skill(), n_probes=40, progress=False,
                              profile='align-system')
    both = pd.concat([sp, asys], ignore_index=True)
    assert both.inside.all(), _failing(both)
    assert (sp.accuracy == 100).all() and (sp.mismatched == 0).all() and sp.tied_pct.max() > 1  # ties, broken to the first response


def test_samples_are_independent_and_averaged(data_root):
    "Five samples at temperature 0.7 and σ = 30: the accuracy five independent, averaged samples give, well above one sample's."
    hs = load_benchmark('helpsteer2')
    probes, five, one = hs.probes[:120], Skill(noise=30, n_samples=5), Skill(noise=30)
    rows = {sk.n_samples: check(measure(hs, 'comparative-regression (zero-shot)', sk, probes=probes),
                                expect(probes, hs.targets, 'comparative', sk), probes, hs.targets, sk, family=2)
            for sk in (one, five)}
    assert rows[5]['inside'] and rows[1]['inside'], rows
    assert rows[5]['expected'] - rows[1]['expected'] > 3  # the gain the test can see


@pytest.mark.parametrize('method', CHOICE_METHODS)
def test_choosers_vote_on_many_options(data_root, method):
    """The choosers with several samples, negative ones (prompt-aligned) and frequent flips on OpinionQA's 3-5 options: votes, negative
    votes and vote ties as the expectation counts them."""
    oq = load_benchmark('opinionqa')
    probes, sk = oq.probes[:200], Skill(flip_rate=0.4, n_samples=3, n_negative=2)
    kind = METHOD_KINDS[method][2]
    res = check(measure(oq, method, sk, probes=probes), expect(probes, oq.targets, kind, sk, R=300, shown=Shown(oq.probes)),
                probes, oq.targets, sk)
    assert res['inside'], res
    assert res['tied_pct'] > 1  # the vote ties the test is about


def test_a_target_at_one_half_is_stated_high(data_root):
    """A value the benchmarks' targets never hold (theirs are 0 or 1, or HelpSteer2's quarters): a prompt-aligned target at 0.5 is
    stated as high (binarised at 0.5 with `>=`), every decision compared one by one."""
    hs = load_benchmark('helpsteer2')
    probes = hs.probes[:40]
    halves = [Target(name=f'{a}/half', values={a: 0.5, b: 0.0}) for a, b in zip(hs.attribute_names, hs.attribute_names[1:])]
    shown = Shown(hs.probes)
    rows = measure(hs, 'prompt-aligned', probes=probes, targets=halves)
    wrong = exact_mismatches(rows, probes, halves, 'prompt-aligned', shown)
    assert check(rows, expect(probes, halves, 'prompt-aligned', shown=shown), probes, halves, mismatches=wrong)['inside'], wrong[:3]


def test_align_system_predicts_on_each_kdma_scale(data_root):
    """align-system's regressor with exact labels predicts each option's label rounded to the scale its request asks for (NAACL'24's
    KDMAs: 0-10), which its decisions for targets of 0 and 1 cannot show."""
    from align_nb.runner import ExperimentConfig, build_adm
    checked, scales = 0, set()
    for b in ('naacl24',):
        bench = load_benchmark(b)
        adm = build_adm(ExperimentConfig(benchmark=b, adm=dict(kind='comparative-regression'), profile='align-system'), bench,
                        engine=SimulatedEngine(bench.probes, bench.attributes))
        user = lambda p: next(m['content'] for m in reversed(adm.requests(p, p.attributes[0])[0].messages) if m['role'] == 'user')
        shown = Shown(bench.probes, render=user)  # what align-system's prompt shows (its driver leaves some fields out)
        for p in bench.probes[:40]:
            for a in p.attributes:
                factor = adm.requests(p, a)[0].scale  # what the prompt's schema asks for
                d = adm.decide(p, Target(name=a, values={a: 1.0}))
                want = np.round(factor * shown(p, [a])[:, 0]) / factor
                assert [x[a] for x in d.predictions] == pytest.approx(want.tolist()), (p.id, a, factor)
                checked, scales = checked + 1, scales | {factor}
    assert checked >= 40 and scales == {10}


def test_failed_predictions_fail_their_decisions(data_root):
    """A flaky backbone (40% invalid output, two retries) through the runner: a decision fails where a prediction it needs has no
    valid sample, at the share the noise model gives, for every method."""
    benches = {b: load_benchmark(b) for b in ('naacl24', 'opinionqa')}
    t = known_answer_table(benches, Skill(invalid_rate=0.4), n_probes=40, progress=False, via='runner')
    assert t.inside.all(), _failing(t)
    assert t[t.method != 'expected-score'].failed_pct.mean() > 2  # the failures the test is about (expected-score reads no JSON)


def test_leaked_examples_are_seen(data_root):
    "A few-shot pool drawn from the split under evaluation leaks: the instrument counts it (and answers without noise); the train split does not."
    hs = load_benchmark('helpsteer2')
    engine = SimulatedEngine(hs.probes, hs.attributes, noise=20)
    measure(hs, 'comparative-regression (few-shot)', probes=hs.probes[:20], targets=hs.targets[:4],
            adm=_few_shot_adm(hs, engine))
    assert engine.leaks == 0


def _few_shot_adm(bench, engine):
    "The few-shot comparative regressor the runner builds for `bench`, on `engine`."
    from align_nb.runner import ExperimentConfig, build_adm
    cfg = ExperimentConfig(benchmark='helpsteer2', adm=dict(kind='comparative-regression', params=dict(few_shot='embedding')),
                           profile='align-nb')
    return build_adm(cfg, bench, engine=engine)
