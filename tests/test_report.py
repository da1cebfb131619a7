"""The static HTML report (`align-nb report`), built from a small sweep and read in headless Chromium.

The sweep is the one the issue names: comparative regression on the simulated backbone at two noise levels, the oracle,
random and the MiniLM embedding-regression baseline, on 40 HelpSteer2 probes and eight targets, beside the two real
align-system runs of the data folder (imported). Chromium opens `index.html` from disk with JavaScript switched off and the
network refused; each section must show the numbers `align_nb.compare` computes for the same runs, a drill-down link must
lead to the probe's record, and screenshots go to `artifacts/report/`."""
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / 'artifacts' / 'report'
CHROMIUM = '/usr/bin/chromium'
# Without the background-networking flags Chromium keeps dialling out, and this machine has no network.
FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync']
TARGETS = ['1attributes_target05', '1attributes_target09', '1attributes_target02', '1attributes_target06', '2attributes_target03',
           '2attributes_target04', 'high', 'low']
ASYS_TARGET = 'ADEPT-DryRun-Moral judgement-0.2'  # the target the align-system baseline (which names none) is scored against
RESAMPLES = 500

@pytest.fixture(scope='module')
def built(data_root, tmp_path_factory):
    "The sweep's root, the report's index.html, and the runs as `align_nb.compare` reads them."
    from align_nb.align_io import target_from_id
    from align_nb.compare import load_compare_runs
    from align_nb.report import build_report
    from align_nb.sweep import run_sweep
    if not Path(CHROMIUM).exists(): pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium")
    work = tmp_path_factory.mktemp('report')
    sweep = dict(benchmarks=['helpsteer2'], n_probes=40, targets=TARGETS,
                 adms=[dict(kind='comparative-regression'), dict(kind='oracle'), dict(kind='random'), dict(kind='embedding-regression')],
                 backbones=dict(sim10=dict(kind='simulated', noise=10), sim30=dict(kind='simulated', noise=30)))
    run_sweep(sweep, work / 'root', progress=False)
    for name in ('pipeline_comp_reg_adept_1', 'pipeline_baseline_adept_1'):
        shutil.copytree(data_root / 'align_system_runs' / name, work / 'root' / 'align-system' / name)
    target = target_from_id(ASYS_TARGET)
    index = build_report(work / 'root', work / 'report', target=target, n_resamples=RESAMPLES)
    return work, index, load_compare_runs(work / 'root', target)

def test_report_in_chromium(built):
    from playwright.sync_api import expect, sync_playwright
    from align_nb.compare import (compare, differences, fmt, fmt_ci, fmt_p, prediction_quality, show_runs, steerability,
                                  weighted_score)
    from align_nb.metrics import summarize
    from align_nb.report import slug
    work, index, runs = built
    hs = [r for r in runs if r.benchmark == 'helpsteer2']
    assert len(hs) == 5 and len(runs) == 7
    c = compare(hs, n_resamples=RESAMPLES)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    outside = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_context(java_script_enabled=False, viewport=dict(width=1400, height=1600)).new_page()
        page.route('**/*', lambda route: route.continue_() if route.request.url.startswith(('file:', 'data:'))
                   else (outside.append(route.request.url), route.abort()))
        try:
            page.goto(index.as_uri())
            expect(page.locator('h1')).to_contain_text('align_nb report')
            assert page.locator('script').count() == 0

            # runs: each run's own accuracy, interval, tied and failed shares
            for r, row in zip(runs, show_runs(runs).to_dict('records')):
                tr = page.locator(f'table.runs tr[data-run="{r.label}"]')
                for col, cls in (('accuracy', 'c-accuracy'), ('95% CI', 'c-95-ci'), ('tied %', 'c-tied'), ('failed %', 'c-failed')):
                    expect(tr.locator(f'td.{cls}')).to_have_text(row[col])

            # accuracy per k: the plot, and each decision maker's accuracy per k (one run each: its own, per k)
            expect(page.locator('#accuracy img[alt="accuracy per k on helpsteer2"]')).to_be_visible()
            for r in hs:
                for _, s in summarize(r.rows, by='k').iterrows():
                    tr = page.locator(f'#accuracy table.accuracy tr[data-adm="{r.adm}"][data-backbone="{r.backbone}"][data-k="{int(s.k)}"]')
                    expect(tr.locator('td.c-accuracy')).to_have_text(fmt(s.accuracy))
                    expect(tr.locator('td.c-95-ci')).to_have_text(fmt_ci(s.ci_low, s.ci_high))

            # paired comparisons: every pair, overall and per k, as `compare` computes them; the matrix
            for _, t in c.table.iterrows():
                tr = page.locator(f'table.pairs tr[data-a="{t.a}"][data-b="{t.b}"][data-scope="{t.scope}"]')
                expect(tr.locator('td.c-a-b')).to_have_text(fmt(t['diff'], sign=True))
                expect(tr.locator('td.c-95-ci')).to_have_text(fmt_ci(t.ci_low, t.ci_high, sign=True))
                expect(tr.locator('td.c-mcnemar-p')).to_have_text(fmt_p(t.p_mcnemar))
                expect(tr.locator('td.c-holm-p')).to_have_text(fmt_p(t.p_holm))
                expect(tr.locator('td.c-acc-a')).to_have_text(fmt(t.acc_a))
                expect(tr.locator('td.c-tied-a')).to_have_text(fmt(t.tied_a_pct))
                expect(tr.locator('td.c-failed-b')).to_have_text(fmt(t.failed_b_pct))
            expect(page.locator('#pairs img[alt="pairwise matrix on helpsteer2"]')).to_be_visible()

            # steerability, prediction quality, weighted score
            for r in hs:
                st = steerability(r).set_index('attribute')
                tr = page.locator(f'table.steerability tr[data-run="{r.label}"][data-attribute="all"]')
                expect(tr.locator('td.c-changed')).to_have_text(fmt(st.loc['all', 'changed_pct']))
                expect(tr.locator('td.c-changed-to-the-right-option')).to_have_text(fmt(st.loc['all', 'changed_right_pct']))
                for _, q in prediction_quality(r).iterrows():
                    tr = page.locator(f'table.quality tr[data-run="{r.label}"][data-attribute="{q.attribute}"]')
                    expect(tr.locator('td.c-mse')).to_have_text(fmt(q.mse, 4))
                    expect(tr.locator('td.c-spearman')).to_have_text(fmt(q.spearman, 3))
                for _, w in weighted_score(r).iterrows():
                    expect(page.locator(f'table.weighted tr[data-run="{r.label}"][data-k="{int(w.k)}"] td.c-weighted-score')).to_have_text(
                        fmt(w.weighted_score))
            expect(page.locator('#steerability img')).to_be_visible()
            expect(page.locator('#attributes img[alt="prediction quality per attribute"]')).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / 'index.png'), full_page=True)

            # where runs differ: the counts, then the pair's page, then a drill-down link to the probe's record
            a, b = next(r for r in hs if r.label.endswith('sim10/seed0')), next(r for r in hs if r.label.endswith('sim30/seed0'))
            d = differences(a, b)
            tr = page.locator(f'table.differences-index tr[data-a="{a.label}"][data-b="{b.label}"]')
            expect(tr.locator('td.c-a-right-b-wrong')).to_have_text(str((d.which == 'A right, B wrong').sum()))
            expect(tr.locator('td.c-b-right-a-wrong')).to_have_text(str((d.which == 'B right, A wrong').sum()))
            tr.locator('td.c-page a').click()
            expect(page.locator('h1')).to_have_text(f"{a.label} (A) and {b.label} (B)")
            expect(page.locator('details#k-1 summary')).to_have_text(f"k = 1 ({int((d.k == 1).sum())})")
            page.screenshot(path=str(ARTIFACTS / 'pair.png'), full_page=True)
            first = d.sort_values(['k', 'target', 'probe_id']).iloc[0]
            link = page.locator('details#k-1 table.differences tr', has=page.locator('td.c-target', has_text=first.target)).filter(
                has=page.locator('td.c-probe-id', has_text=first.probe_id)).locator('td.c-probe-id a')
            link.click()
            assert page.url.endswith('#' + slug(first.target)), page.url
            expect(page.locator('h1')).to_have_text(first.probe_id)
            record = page.locator(f'section[id="{slug(first.target)}"]')
            expect(record.locator('h2')).to_have_text(f"target {first.target}")
            rows = record.locator('table.decisions tr')
            expect(rows).to_have_count(3)
            right = ('✓ right', '✗ wrong') if first.which == 'A right, B wrong' else ('✗ wrong', '✓ right')
            for i, (run, mark, choice) in enumerate(((a, right[0], first.choice_a), (b, right[1], first.choice_b)), start=1):
                expect(rows.nth(i).locator('td').nth(0)).to_have_text(run.label)
                expect(rows.nth(i).locator('td.choice')).to_have_text('ABCDEFG'[int(choice)])
                expect(rows.nth(i).locator('td').nth(2)).to_have_text(mark)
                assert 'score' in rows.nth(i).locator('td').nth(4).inner_text()  # the simulated backbone's reasoning
            expect(record.locator('table').first.locator('tr')).to_have_count(1 + len(a.probes[first.probe_id].choices))
            page.screenshot(path=str(ARTIFACTS / 'probe.png'), full_page=True)
        finally:
            browser.close()
    assert not outside, f"the report asked the network for {outside[:3]}"
