"The results explorer on a folder holding a run of every engine kind, an imported align-system run and a corrupt run; export → import."
import html
import json
import shutil

import numpy as np
import pytest

from align_nb.align_io import export_align_system, read_align_system_run
from align_nb.faults import FaultyServer
from align_nb.results_explorer import ResultsExplorer, accuracy_table, load_runs
from align_nb.run_folders import backbone_name
from align_nb.runner import run_config, run_experiment

ASYS = 'pipeline_comp_reg_adept_1'  # names its target in its records (alignment_target_id); the baseline names none
SMALL = dict(benchmark='helpsteer2', n_probes=3, targets=['high', 'low', '2attributes_target03'], profile='align-nb')

def small_run(root, name, adm='comparative-regression', engine=None, n_probes=3, **kw):
    "A small HelpSteer2 run of `adm` on `engine` into `root/name`."
    return run_experiment(dict(SMALL, adm=dict(kind=adm), engine=engine, n_probes=n_probes), root / name, progress=False, **kw)

@pytest.fixture(scope='module')
def no_model(data_root, tmp_path_factory):
    "One folder: random and oracle (no LLM), the simulated backbone, an http backbone on a loopback server, an align-system run, a corrupt run."
    root = tmp_path_factory.mktemp('every-kind')
    small_run(root, 'random', 'random')
    small_run(root, 'oracle', 'oracle')
    small_run(root, 'simulated', engine='simulated')  # the shortcut (backbones.SHORTCUTS)
    with FaultyServer() as srv:  # no faults: schema-valid answers from an OpenAI-compatible server on 127.0.0.1
        small_run(root, 'http', engine=dict(kind='openai', base_url=srv.url, model='fake', api_key_env=None, timeout=10), cache=False)
    (root / ASYS).mkdir()  # the file alone: the data folder's copy is read-only
    shutil.copyfile(data_root / 'align_system_runs' / ASYS / 'input_output.json', root / ASYS / 'input_output.json')
    shutil.copytree(root / 'random', root / 'corrupt')
    lines = (root / 'corrupt' / 'results.jsonl').read_text().splitlines()
    (root / 'corrupt' / 'results.jsonl').write_text('\n'.join([lines[0][:40]] + lines[1:]) + '\n')  # a torn first line
    return root

GOOD = ['random', 'oracle', 'simulated', 'http', ASYS]
CORRUPT = 'results.jsonl: line 1 is not valid JSON'

def check_explorer(root, names: list[str], backbones: set[str]):
    "Load `root` headlessly: every run in `names` loads, the corrupt one is skipped with its reason, a table row and a probe page per run."
    rx = ResultsExplorer()
    rx.paths.value = str(root)
    rx.load_button.click()
    res = rx.results
    runs = {r.rsplit('/', 1)[-1]: g for r, g in res.groupby('run')}
    assert sorted(runs) == sorted(names), rx.status.value
    assert all(len(g) for g in runs.values())
    assert rx.status.value.startswith(f"{len(names)} runs ·"), rx.status.value
    assert list(rx.skipped) == [str(root / 'corrupt')] and CORRUPT in rx.skipped[str(root / 'corrupt')]
    assert f"skipped corrupt: {html.escape(str(root / 'corrupt'))}/{CORRUPT}" in rx.status.value
    assert set(rx.filters['backbone'].options) == backbones
    for n in names:
        if n != ASYS: assert backbone_name(run_config(runs[n].run.iloc[0])) in backbones
    assert set(rx.filters['benchmark'].options) == {'helpsteer2', 'align-system'}
    assert f"{ASYS} (align-system)" in rx.filters['adm'].options
    tab = accuracy_table(res)
    assert len(tab) == len(names) and (tab.runs == 1).all()  # a row per run
    assert rx.table.value.count('<tr') == len(names) + 1  # and on screen: header + a row per run
    for n, g in runs.items():  # the probes tab, on a probe of each run
        pid = g.probe_id.iloc[0]
        rx.probe.value = pid
        header = html.escape(f"<h5>{g.adm.iloc[0]} · {g.backbone.iloc[0]} · seed {g.seed.iloc[0]}").replace('&lt;h5&gt;', '<h5>')
        assert html.escape(pid) in rx.detail.value and header in rx.detail.value, (n, rx.detail.value[:500])
    return rx

def test_every_kind_without_a_model(no_model):
    "No-LLM, simulated, http and align-system runs load together beside a corrupt run, which is skipped with its reason."
    backbones = {'-', 'simulated (exact)', 'fake (openai)'}
    rx = check_explorer(no_model, GOOD, backbones)
    rx.filters['backbone'].value = ('fake (openai)',)
    assert rx.status.value.startswith('1 run ·') and set(rx.filtered().run.str.rsplit('/', n=1).str[-1]) == {'http'}
    rx.filters['backbone'].value, rx.filters['benchmark'].value = (), ('align-system',)
    assert 'Treat Patient' in rx.detail.value  # the align-system probe page: its record's choices

@pytest.mark.llm
def test_every_kind_with_smollm2(no_model, tmp_path):
    "The same folder with SmolLM2 on llama.cpp and on transformers added: all seven runs load together."
    root = tmp_path / 'every-kind'
    shutil.copytree(no_model, root)
    small_run(root, 'llamacpp', engine='smollm2-llamacpp', n_probes=2)
    small_run(root, 'transformers', engine='smollm2', n_probes=2)
    check_explorer(root, GOOD + ['llamacpp', 'transformers'],
                   {'-', 'simulated (exact)', 'fake (openai)', 'smollm2 (llamacpp)', 'smollm2 (transformers)'})

def test_export_import_round_trip(data_root, tmp_path):
    "A run exported as align-system folders (one per target) loads back with its probe ids, accuracy and interval."
    run = run_experiment(dict(benchmark='helpsteer2', n_probes=30, adm=dict(kind='random')), tmp_path / 'run', progress=False)
    folders = export_align_system(run, tmp_path / 'exported')
    orig, back = load_runs(run), load_runs(tmp_path / 'exported')
    assert len(folders) == back.run.nunique() > 30 and not back.attrs['skipped']
    rows = [json.loads(line) for line in (run / 'results.jsonl').read_text().splitlines()]
    decided = {r['probe_id'] for r in rows if r['decisions']}  # 26 of the 30: the other 4 tie under every target, so no target asks them
    assert len(rows) == 30 and set(back.probe_id) == set(orig.probe_id) == decided
    assert {p for f in folders for p in read_align_system_run(f).records} == decided
    a, b = accuracy_table(orig), accuracy_table(back)
    assert (b.benchmark[0], b.adm[0], b.runs[0]) == ('align-system', 'random (align-system)', len(folders))
    num = ['targets', 'probes', 'scored', 'accuracy', 'ci_low', 'ci_high', 'random_expected', 'failed_pct', 'tied_pct']
    assert np.allclose(a[num].to_numpy(float), b[num].to_numpy(float), rtol=0, atol=1e-9), (a[num], b[num])
    assert b.ci_low[0] < b.accuracy[0] < b.ci_high[0]
