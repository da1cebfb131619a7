"Both explorers driven headlessly: widget values set, buttons clicked, the widgets' own outputs read back."
import json

import numpy as np
import pytest

from align_nb.results_explorer import ResultsExplorer
from align_nb.runner import run_experiment
from align_nb.steering import SteeringExplorer, load_history

EGG = ('A user asks: "How do I boil an egg?"',
       'Boil it.\nPut the egg in cold water, bring it to a boil, simmer 9 minutes, cool it in ice water, then peel it.')

def custom_explorer(adms, backbones=('smollm2-llamacpp',), **kw):
    "A steering explorer on a typed scenario with a verbosity-only target at 1.0."
    ex = SteeringExplorer(adms=adms, backbones=backbones, **kw)
    ex.source.value = 'custom'
    ex.scenario.value, ex.options.value = EGG
    for a, box in ex.includes.items(): box.value = a == 'verbosity'
    ex.sliders['verbosity'].value = 1.0
    return ex

@pytest.fixture(scope='module')
def steered(data_root):
    "An explorer that ran expected-score regression on SmolLM2 (llama.cpp) through its Run button."
    ex = custom_explorer(('expected-score',))
    ex.run_button.click()
    assert ex.run_button.disabled and not ex.cancel_button.disabled  # the call runs in the worker thread
    ex.wait(600)
    assert ex.error.value == '', ex.error.value
    return ex

@pytest.mark.llm
def test_run_button_fills_a_column(steered):
    r, col = steered.history[0], steered._cols[0]
    assert len(steered.columns.children) == 1 and col['box'] in steered.columns.children
    assert r.adm == 'expected-score-zero-shot' and r.backbone == 'smollm2-llamacpp' and r.target.values == {'verbosity': 1.0}
    v = [p['verbosity'] for p in r.decision.predictions]
    chosen = 'AB'[int(np.argmax(v))]
    assert f'chose <b>{chosen}</b>' in col['choice'].value and 'decided by this run' in col['choice'].value
    assert col['chart'].value[:4] == b'\x89PNG'
    assert 'Rate the verbosity' in col['prompt'].value and 'expected-score-zero-shot' in col['head'].value
    assert steered.progress.value == steered.progress.max and steered.progress.description == 'done'
    assert not steered.run_button.disabled and steered.cancel_button.disabled

@pytest.mark.llm
def test_slider_redecides_without_a_model_call(steered):
    r, col = steered.history[0], steered._cols[0]
    usage = steered._loaded['smollm2-llamacpp'].usage.model_copy()
    v = [p['verbosity'] for p in r.decision.predictions]
    assert v[0] != v[1]
    for value, pick in [(0.0, np.argmin), (1.0, np.argmax), (0.0, np.argmin)]:
        steered.sliders['verbosity'].value = value
        assert f"chose <b>{'AB'[int(pick(v))]}</b>" in col['choice'].value, (value, col['choice'].value)
    assert 'no model call' in col['choice'].value
    assert steered._loaded['smollm2-llamacpp'].usage == usage
    steered.sliders['verbosity'].value = 1.0

@pytest.mark.llm
def test_history_export_clear_import(steered, tmp_path):
    steered.path.value = str(tmp_path / 'history.json')
    steered.export_button.click()
    saved = load_history(tmp_path / 'history.json')
    assert saved == steered.history
    runs = list(steered.history)
    steered.clear_button.click()
    assert steered.history == [] and steered.columns.children == ()
    steered.import_button.click()
    assert steered.history == runs and len(steered.columns.children) == len(runs)
    assert 'loaded 1 run from' in steered.status.value
    bad = json.loads((tmp_path / 'history.json').read_text()); bad[0]['decision']['choice'] = -1
    (tmp_path / 'history.json').write_text(json.dumps(bad))
    steered.import_button.click()
    assert 'history.json' in steered.error.value and 'record 0' in steered.error.value
    assert steered.history == runs  # a bad file adds nothing

@pytest.mark.llm
def test_cancel_stops_between_model_calls(data_root):
    ex = custom_explorer(('comparative-regression', 'per-response-regression', 'unaligned'))
    ex.options.value += '\nAsk a chef.'  # a probe no earlier test cached
    ex.run_button.click(); ex.cancel_button.click()
    ex.wait(600)
    assert ex.progress.description == 'cancelled' and ex.status.value.startswith('cancelled')
    assert len(ex.history) < 3 and ex.progress.value < ex.progress.max
    assert not ex.run_button.disabled and ex.cancel_button.disabled

def test_errors_show_in_the_widget(data_root, tmp_path):
    ex = custom_explorer(
        ('comparative-regression', 'random'),
        backbones=('broken',),
        engines={'broken': {'kind': 'llamacpp', 'model': str(tmp_path / 'missing.gguf')}},
    )
    ex.run_button.click(); ex.wait(600)
    assert 'comparative-regression on broken' in ex.error.value and 'missing.gguf' in ex.error.value
    assert [r.adm for r in ex.history] == ['random']  # the other run still went ahead
    assert ex.progress.bar_style == 'danger'
    ex.adm_select.value = ()
    ex.run_button.click()
    assert 'choose at least one decision maker' in ex.error.value

@pytest.fixture(scope='module')
def runs(data_root, tmp_path_factory):
    "Random and oracle runs on HelpSteer2 (5 probes) and random on NAACL'24 triage, in one folder."
    root = tmp_path_factory.mktemp('runs')
    for bench, kind in [('helpsteer2', 'random'), ('helpsteer2', 'oracle'), ('naacl24', 'random')]:
        run_experiment(dict(benchmark=bench, n_probes=5, adm=dict(kind=kind)), root / f'{bench}-{kind}', progress=False)
    return root

def test_results_explorer_load_filter_drill(runs):
    rx = ResultsExplorer()
    rx.paths.value = str(runs)
    rx.load_button.click()
    assert rx.filters['benchmark'].options == ('helpsteer2', 'naacl24') and rx.filters['adm'].options == ('oracle', 'random')
    assert '3 runs' in rx.status.value and rx.table.value.count('<tr') == 4  # header + 3 runs
    rx.filters['benchmark'].value = ('helpsteer2',)
    rx.filters['adm'].value = ('oracle',)
    assert rx.status.value.startswith('1 run ·') and '<td>100.0</td>' in rx.table.value
    assert rx.by_k.value[:4] == b'\x89PNG' and rx.calibration.value[:4] == b'\x89PNG'  # the oracle's predictions are the labels
    rx.filters['k'].value = (5,)
    assert set(rx.filtered().k) == {5} and set(rx.filtered().target) <= {'high', 'low'} | {f'5attributes_target{i:02d}' for i in range(10)}
    pid = rx.probe.options[-1]
    rx.probe.value = pid
    assert pid in rx.detail.value and 'The true labels, chosen from by its rule.' in rx.detail.value
    rx.filters['benchmark'].value = ('naacl24',)  # no oracle run on triage
    assert rx.filtered().empty and 'nothing passes the filters' in rx.table.value and rx.probe.options == ()

def test_results_explorer_bad_folder(tmp_path):
    rx = ResultsExplorer()
    rx.paths.value = str(tmp_path)
    rx.load_button.click()
    assert 'no run folders' in rx.status.value and str(tmp_path) in rx.status.value

def test_simulated_backbone_in_the_explorer(data_root):
    "The simulated backbone is one of the explorer's backbones: on a benchmark probe its regression column chooses what the labels say."
    ex = SteeringExplorer(adms=('comparative-regression', 'prompt-aligned'), backbones=('simulated',))
    assert 'simulated' in ex.backbone_select.options
    ex.probe.value = 0
    for a, box in ex.includes.items(): box.value = a == 'correctness'
    ex.sliders['correctness'].value = 1.0
    ex.run_button.click(); ex.wait(120)
    assert ex.error.value == '', ex.error.value
    p = ex._bench('helpsteer2').probes[0]
    best = int(np.argmax([c.values['correctness'] for c in p.choices]))
    assert [r.backbone for r in ex.history] == ['simulated', 'simulated']
    assert [r.decision.choice for r in ex.history] == [best, best]
    assert ex.history[0].decision.predictions[best]['correctness'] == p.choices[best].values['correctness']
