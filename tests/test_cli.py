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
