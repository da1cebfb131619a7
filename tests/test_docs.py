"The documentation site: nbdev processes the notebooks, tools/render_docs.py renders them to HTML offline and checks every page and link."
import json, os, re, shutil, subprocess, sys
from pathlib import Path

import pandas as pd
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

# A figure in prose: a decimal percentage or a [low, high] interval, outside code (a value shown `= 6.4%` is a calculation, not a result).
FIGURE = re.compile(r'(?<!= )(?<![\w.])(\d+\.\d+)\s?%|(?<!= )\[(\d+\.\d+),\s*(\d+\.\d+)\]')
CITED = re.compile(r'(?:\.\./)*((?:bench/)?results/[\w./-]+\.(?:csv|md))')

def prose(text: str) -> str:
    "A page's Markdown without fenced code blocks and inline code."
    return re.sub(r'`[^`\n]*`', lambda m: m[0] if CITED.search(m[0]) else '', re.sub(r'^```.*?^```', '', text, flags=re.S | re.M))

def recorded_numbers(path: Path) -> set[str]:
    "Every number of a recorded results file, as prose rounds it (one decimal)."
    return {f"{float(x):.1f}" for x in re.findall(r'-?\d+(?:\.\d+)?(?:e-?\d+)?', path.read_text())}

def typed_figures(text: str) -> list[str]:
    "The figures of a page's prose that no results file it cites holds (every figure, where it cites none)."
    text = prose(text)
    cited = [ROOT / c for c in dict.fromkeys(CITED.findall(text))]
    known = set().union(*(recorded_numbers(f) for f in cited if f.is_file()))
    return [m[0] for m in FIGURE.finditer(text) if not {f"{float(x):.1f}" for x in m.groups() if x} <= known]

def doc_pages() -> dict[str, str]:
    "Every documentation page's prose: the Markdown pages and the Markdown cells of every notebook."
    pages = {p.relative_to(ROOT).as_posix(): p.read_text() for p in sorted((ROOT / 'nbs').rglob('*.md'))}
    for p in sorted((ROOT / 'nbs').rglob('*.ipynb')):
        cells = json.loads(p.read_text())['cells']
        pages[p.relative_to(ROOT).as_posix()] = '\n\n'.join(''.join(c['source']) for c in cells if c['cell_type'] == 'markdown')
    return pages

def test_no_figure_is_typed():
    "No page quotes a result that is not in a results file it cites: figures are read from the recorded files at build time."
    pages = doc_pages()
    assert len(pages) > 50 and 'nbs/methods/comparative_regression.ipynb' in pages
    assert {page: typed_figures(text) for page, text in pages.items() if typed_figures(text)} == {}

def test_a_typed_figure_is_caught():
    "The check fails a page whose figure its cited file does not hold, and passes one whose figure it does."
    f = 'results/adm_results/helpsteer2_all_probes.csv'
    row = pd.read_csv(ROOT / f).query("method == 'random'").iloc[0]
    true = f"random scores {row.accuracy:.1f}% [{row.ci_low:.1f}, {row.ci_high:.1f}] (see [the file](../{f}))"
    assert typed_figures(true) == []
    assert typed_figures(true.replace(f"{row.accuracy:.1f}%", '49.7%')) == ['49.7%']
    assert typed_figures(f"random scores {row.accuracy:.1f}%") == [f"{row.accuracy:.1f}%"]  # a figure that cites nothing
    assert typed_figures("a sample fails when all three attempts fail (0.4³ = 6.4%); `{'x': [0.7, 0.9]}`\n```\nacc: 12.5%\n```") == []
