"""The explorers in a real JupyterLab, driven by headless Chromium through Playwright.

JupyterLab serves `examples/steering_explorer.ipynb` and `examples/results_explorer.ipynb` on 127.0.0.1.
Steering: the browser runs every cell (a real SmolLM2 decision), drags the verbosity slider to 0 and
checks that the decision panel changes to a re-decision made without a model call. Results: the
browser runs the notebook (small runs on the simulated backbone, a damaged run beside them) and checks
the explorer's table, its skipped-run notice and the targets listed by what they ask for, at 1280 and
1920 px. Screenshots go to `artifacts/browser/`."""
import contextlib, os, secrets, shutil, socket, subprocess, sys, time
from pathlib import Path
from urllib.request import urlopen

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / 'artifacts' / 'browser'
CHROMIUM = '/usr/bin/chromium'
# Without the background-networking flags Chromium keeps dialling out, and this machine has no network.
FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync']

def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

@pytest.fixture(scope='module')
def lab(data_root, tmp_path_factory):
    "A JupyterLab server on 127.0.0.1 serving copies of the example notebooks, and a damaged run folder; yields its base URL and token."
    if not Path(CHROMIUM).exists(): pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium")
    work = tmp_path_factory.mktemp('lab')
    for nb in ('steering_explorer.ipynb', 'results_explorer.ipynb'): shutil.copy(ROOT / 'examples' / nb, work)
    (work / 'runs' / 'broken').mkdir(parents=True)  # beside the results notebook's runs: skipped with its reason, the rest load
    (work / 'runs' / 'broken' / 'config.json').write_text('{"config": {'); (work / 'runs' / 'broken' / 'results.jsonl').write_text('')
    port, token = free_port(), secrets.token_hex(16)
    log = open(work / 'lab.log', 'w')
    proc = subprocess.Popen([sys.executable, '-m', 'jupyterlab', '--no-browser', '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={port}',
                             f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={work}', '--LabApp.news_url=',
                             '--ServerApp.port_retries=0', '--allow-root'],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, 'ALIGN_NB_DATA': str(data_root)})
    base = f'http://127.0.0.1:{port}'
    try:
        for _ in range(120):
            try: urlopen(f'{base}/api/status?token={token}', timeout=2); break
            except OSError:
                if proc.poll() is not None: pytest.fail(f"JupyterLab exited: {(work / 'lab.log').read_text()[-2000:]}")
                time.sleep(0.5)
        else: pytest.fail(f"JupyterLab did not answer on {base} within 60 s")
        yield base, token
    finally:
        proc.terminate()
        try: proc.wait(20)
        except subprocess.TimeoutExpired: proc.kill()
        log.close()

@contextlib.contextmanager
def notebook_page(lab, notebook: str, width: int, height: int):
    "A headless Chromium page on `notebook` in JupyterLab, all its cells started; on a failure, a full-page screenshot in the artifacts."
    from playwright.sync_api import expect, sync_playwright
    base, token = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport=dict(width=width, height=height))
        try:
            page.goto(f'{base}/lab/workspaces/{Path(notebook).stem}/tree/{notebook}?reset&token={token}')  # its own workspace: no other tab
            expect(page.locator('.jp-Notebook')).to_be_visible(timeout=60_000)
            expect(page.locator('.jp-StatusBar-TextItem', has_text='Idle')).to_have_count(1, timeout=120_000)  # the kernel is up
            page.locator('.jp-Notebook .jp-CodeCell').first.click()
            page.locator('.lm-MenuBar-itemLabel').get_by_text('Run', exact=True).click()
            page.locator('.lm-Menu-itemLabel').get_by_text('Run All Cells', exact=True).click()
            yield page
        except Exception:
            page.screenshot(path=str(ARTIFACTS / f'{Path(notebook).stem}_failure.png'), full_page=True)
            raise
        finally:
            browser.close()

def dismiss_news(page):
    "Close JupyterLab's 'notify about news?' toast, which would cover part of a screenshot."
    news = page.get_by_role('button', name='No', exact=True)
    if news.count(): news.first.click()

@pytest.mark.llm  # runs SmolLM2
def test_steering_explorer_in_jupyterlab(lab):
    from playwright.sync_api import expect
    with notebook_page(lab, 'steering_explorer.ipynb', 1400, 1600) as page:
        choice = page.locator('.align-choice')
        # the explorer ran a real SmolLM2 decision
        expect(choice).to_have_count(1, timeout=int(os.environ.get('BROWSER_TIMEOUT', 300)) * 1000)
        expect(page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')).to_have_count(1, timeout=60_000)
        dismiss_news(page)
        panel = choice.locator('xpath=..')
        choice.scroll_into_view_if_needed()
        before = panel.inner_text()
        assert 'decided by this run' in before, before
        page.screenshot(path=str(ARTIFACTS / 'steering_explorer_before.png'))

        slider = page.locator('.widget-slider', has=page.locator('label', has_text='verbosity'))
        handle, track = slider.locator('.noUi-handle'), slider.locator('.noUi-base')
        h, t = handle.bounding_box(), track.bounding_box()
        page.mouse.move(h['x'] + h['width'] / 2, h['y'] + h['height'] / 2)
        page.mouse.down()
        page.mouse.move(t['x'] - 20, h['y'] + h['height'] / 2, steps=12)
        page.mouse.up()
        expect(slider.locator('.widget-readout')).to_have_text('0.00', timeout=10_000)
        # the kernel re-decides on every value the drag passed through; wait for the last one to land
        expect(choice).not_to_have_text(before.split('\n')[0], timeout=30_000)
        expect(panel).to_contain_text('re-decided from stored predictions, no model call')
        after = panel.inner_text()
        assert after.split('\n')[0] != before.split('\n')[0], (before, after)
        choice.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / 'steering_explorer_after.png'))

def test_results_explorer_in_jupyterlab(lab):
    from playwright.sync_api import expect
    with notebook_page(lab, 'results_explorer.ipynb', 1280, 1400) as page:
        status = page.get_by_text('5 runs ·')
        expect(status).to_have_count(1, timeout=180_000)  # the simulated runs made and loaded
        expect(page.get_by_text('skipped broken: ')).to_have_count(1)  # the damaged run is named, the others load
        table = page.locator('.jp-OutputArea table').first
        expect(table).to_contain_text('simulated (noise 20, flip_rate 0.2)')
        expect(page.locator('select option', has_text='1attributes_target00 (')).to_have_count(1)  # a target says what it asks for
        dismiss_news(page)
        for width in (1280, 1920):
            page.set_viewport_size(dict(width=width, height=1400))
            status.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / f'results_explorer_{width}.png'))
