"""`bench/cost.py` end to end on two real HelpSteer2 probes with SmolLM2: the table it writes, and a rerun that resumes from its journal."""
import os, subprocess, sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.llm  # every test here runs SmolLM2

ROOT = Path(__file__).resolve().parents[1]

def cost(data_root, tmp_path) -> subprocess.CompletedProcess:
    "Expected-score regression alone (the cheapest mode) on two probes, one attribute; results and journal under `tmp_path`."
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / 'bench' / 'cost.py'),
            '--probes',
            '2',
            '--attributes',
            '1',
            '--skip-paper',
            '--modes',
            'expected score (transformers)',
            '--out',
            str(tmp_path / 'out'),
            '--journal',
            str(tmp_path / 'journal'),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, 'ALIGN_NB_DATA': str(data_root)},
    )

def test_cost_benchmark_writes_its_table_and_resumes(data_root, tmp_path):
    first = cost(data_root, tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    table = tmp_path / 'out' / 'cost_2probes_1attributes_fast.csv'
    t = pd.read_csv(table)
    assert list(t['mode']) == ['expected score (transformers)'] and (t.probes[0], t.attributes[0]) == (2, 1)
    assert t.model_s_per_probe[0] > 0 and t.forward_tokens_per_probe[0] > 100 and t.peak_rss_mb[0] > 100
    assert t.calls_per_probe[0] == 2  # one scoring call per option
    assert t.ci_low.isna()[0] and t.ci_high.isna()[0] and t.scored[0] > 0  # 2 probes: too few for an interval
    assert {'failed_pct', 'tied_pct'} <= set(t) and 0 <= t.tied_pct[0] <= 100
    assert '| expected score (transformers)' in (tmp_path / 'out' / 'cost_2probes_1attributes_fast.md').read_text()
    journal = tmp_path / 'journal' / 'cost_2probes_1attributes_seed0.jsonl'
    assert len(journal.read_text().splitlines()) == 2  # a step per probe, written as it finished

    again = cost(data_root, tmp_path)  # nothing left to measure: every step comes from the journal
    assert again.returncode == 0, again.stderr[-3000:]
    assert 'resuming: 2 steps' in again.stdout
    assert len(journal.read_text().splitlines()) == 2
    pd.testing.assert_frame_equal(pd.read_csv(table), t)
