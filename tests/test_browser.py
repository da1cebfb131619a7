"""The explorers in a real JupyterLab, driven by headless Chromium through Playwright.

JupyterLab serves `examples/steering_explorer.ipynb`, `examples/results_explorer.ipynb` and
`examples/steering_session.ipynb` on 127.0.0.1. Steering: the browser runs every cell (a real SmolLM2
decision), drags the verbosity slider to 0 and checks that the decision panel changes to a re-decision
made without a model call. Results: the browser runs the notebook (small runs on the simulated backbone,
a damaged run beside them) and checks the explorer's table, its skipped-run notice and the targets listed
by what they ask for, at 1280 and 1920 px. Steering session (simulated backbone, no LLM): in a column's
'edit config & prompts' the browser edits the system prompt from 'Strongly demonstrates verbosity' to
'... a lack of verbosity' and presses Run edited; the new column chooses A where the first chose B, both
carry the chose-differently mark, and the compare dropdowns show the two columns' differences (the edit);
the exchange tab's session ZIP is downloaded (align-system folders: input_output.json, .hydra/config.yaml)
and uploaded through the file chooser into a second explorer: 2 new runs as columns, then again 0 new.
Screenshots (and the downloaded ZIP) go to `artifacts/browser/`."""
import contextlib, json, os, re, secrets, shutil, socket, subprocess, sys, time, zipfile
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
    for nb in ('steering_explorer.ipynb', 'results_explorer.ipynb', 'steering_session.ipynb'): shutil.copy(ROOT / 'examples' / nb, work)
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

def test_steering_session_in_jupyterlab(lab):
    "Edit a column's system prompt and run it as a new column; download the session ZIP and upload it into a second explorer, twice."
    from playwright.sync_api import expect
    with notebook_page(lab, 'steering_session.ipynb', 1280, 1400) as page:
        cells = page.locator('.jp-Notebook .jp-CodeCell')
        first, second = cells.nth(0), cells.nth(1)  # the explorer that runs, and the empty one the session is uploaded to
        choices = first.locator('.align-choice')
        expect(choices).to_have_count(1, timeout=180_000)  # prompt-aligned decided on the simulated backbone
        expect(page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')).to_have_count(1, timeout=60_000)
        expect(second.locator('.widget-upload')).to_have_count(1, timeout=30_000)
        dismiss_news(page)
        expect(choices).to_contain_text('chose B')

        # the column's editor: the config as YAML and each system message as sent
        first.get_by_text('edit config & prompts', exact=True).click()
        boxes = first.locator('textarea')
        expect(boxes.filter(visible=True)).to_have_count(2)  # the YAML and the one system prompt
        system = next(b for b in boxes.all() if 'Strongly demonstrates verbosity' in b.input_value())
        system.fill(system.input_value().replace('Strongly demonstrates verbosity', 'Strongly demonstrates a lack of verbosity'))
        system.blur()
        first.get_by_role('button', name='Run edited').click()
        expect(choices).to_have_count(2, timeout=60_000)
        expect(first.locator('.align-edited')).to_have_text('edited from #1: system prompt edited (1)')
        # newest first: #2 (the edit) chose A, #1 chose B
        expect(first.locator('b', has_text=re.compile(r'^#\d prompt-aligned$'))).to_have_text(['#2 prompt-aligned', '#1 prompt-aligned'])
        expect(choices.nth(0)).to_contain_text('chose A')
        expect(choices.nth(1)).to_contain_text('chose B')
        differs = first.locator('.align-differs')
        expect(differs).to_have_count(2)
        for mark in differs.all(): expect(mark).to_contain_text('chose differently (#2 A · #1 B)')
        expect(first.locator('.align-diff-summary')).to_be_visible()
        for width in (1280, 1920):
            page.set_viewport_size(dict(width=width, height=1400))
            first.locator('.widget-tab').first.evaluate("e => e.scrollIntoView({block: 'start'})")
            for mark in differs.all(): expect(mark).to_be_in_viewport()
            page.screenshot(path=str(ARTIFACTS / f'steering_session_{width}.png'))
        page.set_viewport_size(dict(width=1280, height=1400))
        # 'compare two below': the dropdowns offer the two columns, and their differences are the edit
        selected = 's => s.selectedOptions[0] && s.selectedOptions[0].textContent'
        picked = [first.locator('.widget-dropdown', has=page.get_by_text(d, exact=True)).locator('select').evaluate(selected).replace('\xa0', ' ')
                  for d in ('compare', 'with')]
        assert sorted(picked) == ['#1 prompt-aligned · simulated', '#2 prompt-aligned · simulated'], f"the columns compared: {picked}"
        first.get_by_role('button', name='Show differences').click()
        expect(first.locator('.align-diff')).to_contain_text('Strongly demonstrates a lack of verbosity')

        # the session downloads as a ZIP of align-system experiment folders
        first.locator('.lm-TabBar-tab', has_text='exchange').click()
        first.get_by_role('button', name='Download session (ZIP)').click()
        link = first.locator('a.align-download')
        expect(link).to_be_visible(timeout=30_000)
        with page.expect_download() as info: link.click()
        download = info.value
        for old in ARTIFACTS.glob('align_nb_session_*.zip'): old.unlink()  # one session ZIP in the artifacts: this run's
        zipped = ARTIFACTS / download.suggested_filename
        download.save_as(zipped)
        assert zipped.suffix == '.zip' and zipfile.is_zipfile(zipped), zipped
        with zipfile.ZipFile(zipped) as z:
            names = z.namelist()
            runs = [n.removesuffix('input_output.json') for n in names if n.endswith('/input_output.json')]
            assert runs and all(r.startswith('session/') and f'{r}.hydra/config.yaml' in names for r in runs), names
            assert sum(len(json.loads(z.read(f'{r}input_output.json'))) for r in runs) == 2  # a record per run

        # the second explorer uploads it: two new runs as columns; again: nothing new
        second.locator('.lm-TabBar-tab', has_text='exchange').click()
        for status in ('2 new runs, 0 already here', '0 new runs, 2 already here'):
            # ipywidgets' FileUpload keeps its <input type=file> out of the page: the button opens the file chooser
            with page.expect_file_chooser() as chooser: second.locator('.widget-upload').click()
            chooser.value.set_files(zipped)
            expect(second.get_by_text(f'{zipped.name}: {status}')).to_be_visible(timeout=30_000)
            expect(second.locator('.align-choice')).to_have_count(2)
        expect(second.locator('.align-differs')).to_have_count(2)
        second.locator('.lm-TabBar-tab', has_text='columns').click()
        expect(second.locator('.align-choice').nth(0)).to_be_visible()
        second.locator('.widget-tab').first.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(ARTIFACTS / 'steering_session_upload.png'))
