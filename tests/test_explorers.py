"Both explorers driven headlessly: widget values set, buttons clicked, the widgets' own outputs read back."
import base64, datetime, html, io, json, subprocess, sys, zipfile
from pathlib import Path

import numpy as np
import pytest

from align_nb.results_explorer import ResultsExplorer
from align_nb.runner import run_experiment
from align_nb.steering import SteeringExplorer, config_yaml, load_history

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
    r, col = steered.history[0], steered.column(1)
    assert steered.shown_columns() == [1]
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
    r, col = steered.history[0], steered.column(1)
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
    assert steered.shown_columns() == [] and steered.history == runs  # a cleared column stays in the runs table
    steered.import_button.click()
    assert steered.history == runs and 'history.json: 0 new runs, 1 already here' in steered.exchange_status.value  # no duplicate
    steered.open_row.value = 1; steered.open_button.click()
    assert steered.shown_columns() == [1]
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

# align-app parity, headless, on the simulated backbone (its skill is known: it predicts the labels and reads the target a prompt states)

@pytest.fixture
def sim(data_root):
    "A steering explorer on the simulated backbone, a high-verbosity target, and a HelpSteer2 probe whose response B is the more verbose."
    ex = SteeringExplorer(adms=('comparative-regression', 'prompt-aligned', 'random'), backbones=('simulated',))
    probes = ex._bench('helpsteer2').probes
    ex.probe.value = next(i for i, p in enumerate(probes) if [c.values['verbosity'] for c in p.choices] == [0.5, 0.75])
    for a, box in ex.includes.items(): box.value = a == 'verbosity'
    ex.sliders['verbosity'].value = 1.0
    return ex

def upload(name: str, data: bytes) -> tuple:
    "What a browser's upload of file `name` sets a `FileUpload`'s value to."
    return (dict(name=name, type='application/zip', size=len(data), content=memoryview(data),
                 last_modified=datetime.datetime.now(datetime.timezone.utc)),)

def test_runs_table_shows_a_sweep_and_opens_rows(sim):
    tables, refresh = [], sim._refresh_table
    sim._refresh_table = lambda: (refresh(), tables.append(sim.table.value))
    sim.run_button.click(); sim.wait(120)
    assert sim.error.value == '', sim.error.value
    assert any('sweep: 0 of 3 queued runs ended, 3 to go' in t and '>running<' in t for t in tables)  # progress while it works
    assert 'sweep:' not in sim.table.value and sim.table.value.count('>done') == 3
    assert [r.adm for r in sim.history] == ['random', 'comparative-regression-zero-shot', 'prompt-aligned']
    assert sim.shown_columns() == [3, 2, 1]  # newest first
    sim.table_filters['decision maker'].value = 'random'
    assert sim.open_row.options == (1,) and sim.table.value.count('<tr>') == 2
    sim.table_filters['decision maker'].value = None
    sim.sort_by.value, sim.descending.value = 'decision maker', False
    assert sim.open_row.options == (2, 3, 1)
    sim.search.value = 'no such words anywhere'
    assert 'no run matches' in sim.table.value and sim.open_row.options == ()
    sim.search.value = sim.history[0].probe.choices[1].text.split()[0]  # the probe's text, its responses included
    assert set(sim.open_row.options) == {1, 2, 3}
    sim.remove(2); sim.open_row.value = 2; sim.open_button.click()
    assert sim.shown_columns() == [2, 3, 1] and sim.tabs.selected_index == 0

def test_columns_pin_move_remove_and_diff(sim):
    sim.run(block=True)
    assert sim.shown_columns() == [3, 2, 1]
    sim.column(3)['right'].click(); assert sim.shown_columns() == [2, 3, 1]
    sim.column(1)['pin'].value = True; assert sim.shown_columns() == [1, 2, 3]
    sim.column(2)['remove'].click(); assert sim.shown_columns() == [1, 3]
    sim.clear_button.click(); assert sim.shown_columns() == [1]
    sim.open_run(2); sim.open_run(3)
    assert sim.diff_summary.value == '' and sim.column(2)['flag'].value == ''  # both chose B, the more verbose
    # for low verbosity the regressor re-decides A at once from its predictions; prompt-aligned keeps B: the columns are marked apart
    sim.sliders['verbosity'].value = 0.0
    assert {n: sim.column(n)['shown'] for n in sim.shown_columns()} == {1: 1, 2: 0, 3: 1}
    assert '#3 B · #2 A' in sim.diff_summary.value and all('chose differently' in sim.column(n)['flag'].value for n in (2, 3))
    sim.diff_a.value, sim.diff_b.value = 2, 3
    sim.diff_button.click()
    assert '- #2' in html.unescape(sim.diff_out.value) and 'kind: prompt-aligned' in sim.diff_out.value

def test_edited_config_runs_as_a_new_column(sim, tmp_path):
    sim.adm_select.value = ('comparative-regression',)
    sim.run(block=True)
    col = sim.column(1)
    assert sim.history[0].decision.choice == 1
    for text, why in [('adm: {kind: comparative-regression', 'invalid YAML'),
                      (col['yaml'].value.replace('kind: comparative-regression', 'kind: comparative-regresion'),
                       "did you mean 'comparative-regression'")]:
        col['yaml'].value = text; col['run_edit'].click(); sim.wait(60)
        assert why in html.unescape(col['edit_msg'].value) and len(sim.history) == 1, col['edit_msg'].value
    col['yaml'].value = config_yaml(sim.history[0]).replace('value: 1.0', 'value: 0.0')  # the target, written out in the config
    col['run_edit'].click(); sim.wait(60)
    edited = sim.history[1]
    assert edited.decision.choice == 0 and edited.target.values == {'verbosity': 0.0} and sim.error.value == ''
    assert edited.edited.startswith('from #1: alignment_targets: ') and "'value': 0.0" in edited.edited
    assert 'edited from #1' in sim.column(2)['head'].value and sim.shown_columns() == [2, 1]
    # saved as a run config, `align-nb run` decides the same
    sim.column(2)['save'].click()
    link = sim.column(2)['saved'].value
    assert "download='comparative-regression-zero-shot_helpsteer2_eval_" in link
    cfg = tmp_path / 'edited.yaml'
    cfg.write_bytes(base64.b64decode(link.split('base64,')[1].split("'")[0]))
    subprocess.run([str(Path(sys.executable).parent / 'align-nb'), 'run', str(cfg), '--out', str(tmp_path / 'run'), '--quiet'], check=True)
    line = json.loads((tmp_path / 'run' / 'results.jsonl').read_text())
    assert line['probe_id'] == edited.probe.id and line['decisions']['explorer']['choice'] == 0

def test_typed_scenario_cannot_be_saved_as_a_run_config(data_root):
    ex = custom_explorer(('random',), backbones=())
    ex.run(block=True)
    ex.column(1)['save'].click()
    assert 'typed scenario' in ex.error.value and ex.column(1)['saved'].value == ''

def test_session_zip_round_trip_without_duplicates(sim, data_root, tmp_path):
    sim.run(block=True)
    fresh = SteeringExplorer(adms=('random',), backbones=())
    for a, box in fresh.includes.items(): box.value = a == 'verbosity'
    fresh.sliders['verbosity'].value = 1.0  # columns show their choice for the explorer's own sliders
    sim.zip_button.click()
    link = sim.download_link.value
    data = base64.b64decode(link.split('base64,')[1].split("'")[0])
    fresh.upload.value = upload('session.zip', data)
    assert fresh.history == sim.history and 'session.zip: 3 new runs, 0 already here' in fresh.exchange_status.value
    assert [fresh.column(n)['shown'] for n in (1, 2, 3)] == [sim.column(n)['shown'] for n in (1, 2, 3)]
    fresh.upload.value = upload('session.zip', data)
    assert len(fresh.history) == 3 and 'session.zip: 0 new runs, 3 already here' in fresh.exchange_status.value
    fresh.upload.value = upload('broken.zip', b'PK not really')
    assert 'broken.zip: not a ZIP file' in fresh.error.value and len(fresh.history) == 3
    # align-system's own runs, zipped as a user would: one run per record; the baseline, which names no target, skipped with why
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        for f in (data_root / 'align_system_runs').rglob('*'):
            if f.is_file(): z.write(f, f.relative_to(data_root))
    fresh.upload.value = upload('align_system_runs.zip', buf.getvalue())
    status = html.unescape(fresh.exchange_status.value)
    assert 'skipped align_system_runs/pipeline_baseline_adept_1' in status and 'no alignment target' in status, status
    theirs = fresh.history[3:]
    assert theirs and {r.benchmark for r in theirs} == {'align-system'} and fresh.error.value == ''
    assert len(fresh.shown_columns()) == 3 + min(len(theirs), 12)
    assert all(fresh.column(n)['edit_msg'].value.startswith('<i>read from an align-system folder') for n in range(4, 4 + min(len(theirs), 12)))

def test_a_memoised_rerun_keeps_its_prompts(sim):
    "A regressor re-run on a probe it predicted answers from its memo, with no model call; its column still has the prompts to edit."
    sim.adm_select.value = ('comparative-regression',)
    sim.run(block=True)
    sim.sliders['verbosity'].value = 0.0
    sim.run(block=True)
    first, again = sim.history
    assert again.calls == again.cache_hits == 0 and again.target.values == {'verbosity': 0.0} and again.decision.choice == 0
    assert again.prompts == first.prompts and again.system_prompts == first.system_prompts and first.system_prompts
    assert len(sim.column(2)['systems']) == len(first.system_prompts)
