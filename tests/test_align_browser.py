"""align-browser, align-system's own results viewer from the package registry, reads align_nb's exported runs.

Three align_nb runs on HelpSteer2 (random, the oracle, and few-shot comparative regression on the
simulated backbone) are exported as align-system experiment folders; align-browser builds its static
site from them; the manifest must list each experiment with its decision maker, backbone, target and
decisions; headless Chromium then opens the site (and one built from the few-shot run alone) and the
page must show our runs, their predictions and few-shot examples, without a script error. The
screenshots go to `artifacts/align_browser/`. The steering explorer's session download (six columns on the
simulated backbone) builds an align-browser site too, each column's run listed."""
import functools, http.server, io, json, shutil, subprocess, sys, threading, zipfile
from pathlib import Path

import pytest
import yaml

from align_nb.align_io import export_align_system
from align_nb.runner import read_results, run_experiment

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / 'artifacts' / 'align_browser'
CHROMIUM = '/usr/bin/chromium'
FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync']
TARGETS = ['high', 'low', '2attributes_target03']

@pytest.fixture(scope='module')
def site(data_root, tmp_path_factory):
    "The exported runs and the align-browser site built from them."
    work = tmp_path_factory.mktemp('align_browser')
    runs = {
        k: run_experiment(dict(benchmark='helpsteer2', n_probes=10, targets=TARGETS, adm=dict(kind=k)), work / 'runs' / k, progress=False)
        for k in ('random', 'oracle')
    }
    few = dict(benchmark='helpsteer2', n_probes=4, targets=TARGETS, adm=dict(kind='comparative-regression', params=dict(few_shot='bm25')),
               engine=dict(kind='simulated'), profile='align-nb')  # align_nb's few-shot format: three examples per attribute
    runs['comparative-regression'] = run_experiment(few, work / 'runs' / 'comparative-regression', progress=False)
    exported = {k: export_align_system(r, work / 'exported') for k, r in runs.items()}
    exe = shutil.which('align-browser', path=str(Path(sys.executable).parent))
    assert exe, 'align-browser is not installed (make setup installs the dev extra)'
    for src, out in ((work / 'exported', work / 'site'), (work / 'exported' / 'comparative-regression', work / 'site-few-shot')):
        r = subprocess.run([exe, str(src), '--output-dir', str(out), '--build-only'], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return runs, exported, work / 'site'

def test_manifest_lists_every_exported_run(site):
    runs, exported, out = site
    manifest = json.loads((out / 'data' / 'manifest.json').read_text())
    seen = {}
    for e in manifest['experiments'].values():
        p = e['parameters']
        seen[p['adm']['name'], p['alignment_target_id']] = e
        # random and the oracle use no LLM (align-browser's 'no_llm'); comparative regression the simulated backbone
        assert (p['llm'] or {}).get('model_name') == ('simulated' if p['adm']['name'] == 'comparative-regression' else None), p['llm']
        want = yaml.safe_load((exported[p['adm']['name']][0].parent / p['alignment_target_id'] / '.hydra' / 'config.yaml').read_text())
        assert p['kdma_values'] == [dict(kv, kdes=None) for kv in want['alignment_target']['kdma_values']]
    assert set(seen) == {(k, t) for k in runs for t in TARGETS}
    for (kind, target), e in seen.items():
        decided = sum(target in row['decisions'] for row in read_results(runs[kind]))
        assert sum(len(s['scenes']) for s in e['scenarios'].values()) == decided, (kind, target)
    assert set(manifest['metadata']['adm_types']) == {'random', 'oracle', 'comparative-regression'}

# the few-shot site's page: the simulated backbone, each option's predicted values and the 5 examples per attribute the decision showed
@pytest.mark.parametrize('which, shows', [('site', ['oracle', 'random']),
                                          ('site-few-shot', ['Predicted Kdma Values', 'ICL Example Responses', '25 example(s)', 'simulated'])])
def test_page_shows_our_runs_in_chromium(site, which, shows):
    from playwright.sync_api import expect, sync_playwright
    if not Path(CHROMIUM).exists(): pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium")
    out = site[2].parent / which
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            page = browser.new_page(viewport=dict(width=1500, height=1000))
            errors = []
            page.on('pageerror', lambda e: errors.append(str(e)))
            page.goto(f'http://127.0.0.1:{httpd.server_address[1]}/index.html')
            expect(page.locator('body')).to_contain_text(shows[0], timeout=60_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ARTIFACTS / f'{which}.png'), full_page=True)
            text = page.inner_text('body')
            browser.close()
    finally: httpd.shutdown()
    assert all(s in text for s in shows), text[:3000]
    assert not errors, errors

def test_steering_session_zip_is_an_align_browser_site(data_root, tmp_path):
    "The steering explorer's session download is align-system experiment folders: align-browser lists every column's run."
    from align_nb.steering import SteeringExplorer
    ex = SteeringExplorer(adms=('random', 'comparative-regression', 'prompt-aligned'), backbones=('simulated',))
    for a, box in ex.includes.items(): box.value = a == 'verbosity'
    for i in (0, 1): ex.probe.value = i; ex.run(block=True)
    assert ex.error.value == '' and len(ex.history) == 6, ex.error.value
    with zipfile.ZipFile(io.BytesIO(ex.download())) as z: z.extractall(tmp_path / 'session')
    exe = shutil.which('align-browser', path=str(Path(sys.executable).parent))
    r = subprocess.run([exe, str(tmp_path / 'session'), '--output-dir', str(tmp_path / 'site'), '--build-only'],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    manifest = json.loads((tmp_path / 'site' / 'data' / 'manifest.json').read_text())
    listed = {e['parameters']['adm']['name']: sum(len(s['scenes']) for s in e['scenarios'].values()) for e in manifest['experiments'].values()}
    assert listed == {'random': 2, 'comparative-regression': 2, 'prompt-aligned': 2}, listed  # each column's run, both probes
    models = {e['parameters']['adm']['name']: (e['parameters']['llm'] or {}).get('model_name') for e in manifest['experiments'].values()}
    assert models == {'random': None, 'comparative-regression': 'simulated', 'prompt-aligned': 'simulated'}, models
