"The documentation site: nbdev processes the notebooks, tools/render_docs.py renders them to HTML offline and checks every page and link."
import os, shutil, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tools'))
import render_docs

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    "The site built as `make docs` builds it (nbdev processing, then rendering), without the data, as on any machine."
    out = tmp_path_factory.mktemp('site')
    env = {k: v for k, v in os.environ.items() if k != 'ALIGN_NB_DATA'}
    r = subprocess.run(
        [sys.executable, str(ROOT / 'tools' / 'render_docs.py'), '--out', str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert 'every internal link resolves' in r.stdout and 'Quarto is not installed' not in r.stdout + r.stderr
    return out

def test_site_renders_whole(site):
    out = site
    pages = {p.relative_to(out).as_posix() for p in out.rglob('*.html')}
    modules = render_docs.module_notebooks()
    assert len(modules) >= 18 and {'steering', 'results_explorer', 'adms', 'runner'} <= set(modules)
    # a page per module's notebook
    assert {render_docs.out_name(nb, render_docs.notebook_page(ROOT / '_proc' / nb)[0]) for nb in modules.values()} <= pages
    assert {'reliability.html', 'sweep.html', 'performance.html'} <= pages
    methods = {
        f'methods/{m}.html'
        for m in (
            'comparative_regression',
            'expected_score',
            'per_response',
            'joint_regression',
            'prompt_aligned',
            'unaligned',
            'embedding_baselines',
            'reward_model',
            'value_model',
        )
    }
    benchmarks = {f'benchmarks/{b}.html' for b in ('helpsteer2', 'mic', 'opinionqa', 'triage')}
    assert methods | benchmarks | {'index.html', 'getting_started.html', 'reproduce/helpsteer2.html'} <= pages
    steering = (out / 'steering.html').read_text()
    assert 'id="steeringexplorer"' in steering and 'Steer decision makers by hand' in steering  # show_doc rendered
    assert "href='methods/comparative_regression.html'" in (out / 'index.html').read_text()  # the sidebar

def test_link_check_catches_a_broken_link(site, tmp_path):
    bad = tmp_path / 'proc'
    shutil.copytree(ROOT / '_proc', bad)
    with open(bad / 'getting_started.md', 'a') as f:
        f.write('\nSee [nowhere](no_such_page.md) and [the runner](15_runner.ipynb#no-such-anchor).\n')
    problems = render_docs.render(bad, tmp_path / 'site')
    assert any('no_such_page.md' in p for p in problems) and any('no #no-such-anchor on runner.html' in p for p in problems), problems
