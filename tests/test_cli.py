"The main job end to end: the installed `align-nb-validate` command on the real data."
import subprocess, sys
from pathlib import Path

def test_validate_command_prints_the_table(data_root):
    exe = Path(sys.executable).parent / 'align-nb-validate'
    out = subprocess.run([str(exe), '--root', str(data_root)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    for row in ['HelpSteer2 eval', 'MIC eval (synthetic MIC.csv)', 'OpinionQA (17 groups)', "NAACL'24 triage", 'ITM phase 1 triage']:
        line = next(l for l in out.stdout.splitlines() if l.startswith(f'| {row}'))
        cells = [c.strip() for c in line.strip('|').split('|')]
        assert cells[5] == '100', line  # oracle column
        assert cells[9] == 'True', line  # analytic random inside random's CI
    assert 'OK: oracle 100% everywhere' in out.stdout

def test_validate_command_fails_clearly_without_data(tmp_path):
    exe = Path(sys.executable).parent / 'align-nb-validate'
    out = subprocess.run([str(exe), '--root', str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and 'not found' in out.stderr and str(tmp_path) in out.stderr

def test_sweep_command_runs_resumes_and_reports_failures(data_root, tmp_path):
    exe = Path(sys.executable).parent / 'align-nb'
    sweep = tmp_path / 'sweep.yaml'
    sweep.write_text(
        "benchmarks: [helpsteer2, naacl24]\nseeds: [0, 1]\nn_probes: 4\ntargets: [high]\nadms: [{kind: random}, {kind: oracle}]\n"
    )
    out = subprocess.run(
        [str(exe), 'sweep', str(sweep), '--out', str(tmp_path / 'root'), '--quiet'], capture_output=True, text=True, timeout=600
    )
    # naacl24 has no 'high' target
    assert out.returncode == 1 and '4 experiment(s) failed' in out.stderr and 'naacl24/random/none/seed0' in out.stderr
    rows = [l for l in out.stdout.splitlines() if l.startswith('| helpsteer2')]
    cells = [[c.strip() for c in r.strip('|').split('|')] for r in rows]
    assert len(rows) == 4 and all(c[6] == '100' for c in cells if c[1] == 'oracle'), out.stdout  # the others' results are kept and reported
    status = subprocess.run([str(exe), 'sweep-status', str(tmp_path / 'root')], capture_output=True, text=True, timeout=300)
    assert status.returncode == 0 and status.stdout.count('| done') == 4 and status.stdout.count('| pending') == 4, status.stdout
    sweep.write_text(sweep.read_text().replace('naacl24', 'opinionqa'))
    again = subprocess.run(
        [str(exe), 'sweep', str(sweep), '--out', str(tmp_path / 'root'), '--quiet'], capture_output=True, text=True, timeout=600
    )
    assert again.returncode != 0 and 'holds another sweep' in again.stderr

def test_simulated_backbone_runs_from_a_config(data_root, tmp_path):
    "`engine: {kind: simulated}` is a backbone like any other: exact labels give the oracle's 100%, with no failure (ties only among equally labelled options)."
    exe = Path(sys.executable).parent / 'align-nb'
    cfg = tmp_path / 'sim.yaml'
    cfg.write_text("benchmark: naacl24\nadm: {kind: comparative-regression}\nengine: {kind: simulated}\n")
    out = subprocess.run(
        [str(exe), 'run', str(cfg), '--out', str(tmp_path / 'run'), '--quiet'], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr
    head, _, *rows = [[c.strip() for c in l.strip('|').split('|')] for l in out.stdout.splitlines() if l.startswith('|')]
    for r in rows:
        row = dict(zip(head, r))
        assert (row['accuracy'], row['failed'], row['failed_pct']) == ('100', '0', '0') and 'tied_pct' in row, out.stdout
    listed = subprocess.run([str(exe), 'list'], capture_output=True, text=True, timeout=120)
    assert 'simulated' in listed.stdout
