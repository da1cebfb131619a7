"The reproduction notebooks through papermill with small parameters, and the same config run three ways giving the same result files."
import json, os, subprocess, sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from align_nb.reproduce import REPRODUCTIONS

EXE = Path(sys.executable).parent / 'align-nb'

@pytest.fixture(scope='module')
def reproductions(tmp_path_factory, data_root):
    "Every reproduction notebook run once by `align-nb reproduce all` with 2 probes."
    out = tmp_path_factory.mktemp('repro')
    r = subprocess.run(
        [str(EXE), 'reproduce', 'all', '-p', 'n_probes', '2', '--out', str(out)], capture_output=True, text=True, timeout=3000
    )
    assert r.returncode == 0, r.stderr[-4000:]
    return out

@pytest.mark.llm  # the reproductions run SmolLM2
@pytest.mark.parametrize('name,tables', [('helpsteer2', ['helpsteer2']), ('mic', ['mic']), ('opinionqa', ['opinionqa']), ('triage', ['naacl24', 'itm'])])
def test_notebook_outputs(reproductions, name, tables):
    assert name in REPRODUCTIONS
    folder = reproductions / name
    assert (folder / f'{name}.ipynb').is_file()  # the executed notebook is kept
    for t in tables:
        df = pd.read_csv(folder / f'{t}.csv')
        assert (folder / f'{t}.png').stat().st_size > 1000 and '| oracle ' in (folder / f'{t}.md').read_text()
        assert set(df.method) >= {'random', 'oracle'} and df.failed.sum() == 0, df
        assert (df[df.method == 'oracle'].accuracy == 100.0).all(), df
        rnd = df[df.method == 'random']
        assert rnd.accuracy.between(0, 100).all() and (rnd.scored > 0).all(), df

@pytest.mark.llm  # the reproductions run SmolLM2
def test_mic_says_it_is_synthetic(reproductions, data_root):
    if (Path(data_root) / 'mic' / 'MIC.csv').is_file(): pytest.skip('the real MIC corpus is present')
    nb = json.loads((reproductions / 'mic' / 'mic.ipynb').read_text())
    text = ''.join(''.join(o.get('text', '')) for c in nb['cells'] for o in c.get('outputs', []))
    assert 'SYNTHETIC' in text

@pytest.mark.llm  # the reproductions run SmolLM2
@pytest.mark.parametrize('kind', ['random', 'comparative-regression'])
def test_cli_notebook_and_papermill_give_the_same_results(reproductions, tmp_path, monkeypatch, kind):
    """The helpsteer2 notebook's run (papermill), the same config from the command line, and from Python, each with its own empty
    generation cache: identical result lines. The command line and Python run the config with `n_probes: 1`, which draws the first
    of the notebook's two probes: each still generates afresh every answer it compares (half the model time of the whole run), and
    the line must equal the notebook's for that probe, so a probe's decisions are also shown not to depend on the probes beside it."""
    from align_nb.engine import GenerationCache
    from align_nb.runner import run_config, run_experiment
    # one run of this kind (folders are named by config)
    [papermill_run] = (reproductions / 'helpsteer2' / 'runs').glob(f'helpsteer2-{kind}-*')
    cfg = run_config(papermill_run).model_copy(update=dict(n_probes=1))
    cfg_file = tmp_path / 'cfg.yaml'
    cfg_file.write_text(yaml.safe_dump(cfg.model_dump(mode='json')))
    # no answer is shared: equal lines show determinism, not a cache hit
    caches = {way: tmp_path / f'{way}-cache' for way in ('cli', 'python')}
    r = subprocess.run(
        [str(EXE), 'run', str(cfg_file), '--quiet', '--out', str(tmp_path / 'cli')],
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, 'ALIGN_NB_CACHE': str(caches['cli'])},
    )
    assert r.returncode == 0, r.stderr[-3000:]
    monkeypatch.setenv('ALIGN_NB_CACHE', str(caches['python']))
    run_experiment(cfg, tmp_path / 'python', progress=False)
    notebook = {json.loads(line)['probe_id']: line for line in (papermill_run / 'results.jsonl').read_text().splitlines()}
    [cli] = (tmp_path / 'cli' / 'results.jsonl').read_text().splitlines()
    assert len(notebook) == 2 and cli == notebook[json.loads(cli)['probe_id']] == (tmp_path / 'python' / 'results.jsonl').read_text().strip()
    if kind != 'random':  # each run generated its own answers, in its own cache
        assert all(len(GenerationCache(c / 'generations')) > 0 for c in caches.values())

def test_triage_under_an_alignment_rule_with_a_density_target_file(tmp_path, data_root):
    """`align-nb reproduce triage` with align_nb's likelihood rule and a density target file named relative to the shell: the
    simulated backbone, which predicts the labels, and the oracle both score 100%. Under align_nb's profile: align-system's own
    likelihood needs density targets everywhere and refuses NAACL'24's points."""
    (tmp_path / 'mj.yaml').write_text("name: mj-spread\nvalues:\n  Moral judgement: {samples: [0.1, 0.3], bandwidth: 0.1}\n")
    r = subprocess.run(
        [str(EXE), 'reproduce', 'triage', '-p', 'backbone', 'simulated', '-p', 'adms', '[oracle, comparative-regression]',
         '-p', 'n_probes', '30', '-p', 'alignment', '{function: likelihood}', '-p', 'profile', 'align-nb', '-p', 'itm_target_files', '[mj.yaml]',
         '--out', 'out'],
        capture_output=True, text=True, timeout=1200, cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr[-4000:]
    itm, naacl = (pd.read_csv(tmp_path / 'out' / 'triage' / f'{t}.csv') for t in ('itm', 'naacl24'))
    assert set(itm.target) == {'mj-spread'} and (itm.scored > 0).all(), itm
    for df in (itm, naacl):
        assert set(df.rule) == {'function=likelihood'} and df.failed.sum() == 0, df
        assert (df.accuracy == 100.0).all(), df
