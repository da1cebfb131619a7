"""The test suite's timing table: per notebook and per test, before and after, from the logs `make test` prints.

`make test` runs nbdev-test with `--timing` (a line `NAME.ipynb: N secs` per notebook) and pytest with `--durations`; save
each run's output as `nbtest.log` and `pytest.log` in a folder (with `/usr/bin/time -v`'s wall clock, if you like), then

    python tools/test_timing.py bench/results/test_timing/before bench/results/test_timing/after \\
        --before-commit 5680f5b --after-commit 945cecd

writes `bench/results/test_timing.md`: wall times, tests and notebook cells executed, and the slowest notebooks and tests.
"""
import argparse, json, re, subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def notebook_times(log: str) -> dict[str, float]:
    "Seconds per notebook from nbdev-test's `--timing` lines."
    return {m[1]: float(m[2]) for m in re.finditer(r'^(\S+\.ipynb): (\d+(?:\.\d+)?) secs$', log, re.M)}

def test_times(log: str) -> dict[str, float]:
    "Seconds per pytest item (setup, call and teardown summed) from pytest's `--durations` lines."
    out = {}
    for m in re.finditer(r'^(\d+\.\d+)s (?:setup|call|teardown)\s+(\S+)$', log, re.M): out[m[2]] = out.get(m[2], 0) + float(m[1])
    return out

def wall_clocks(log: str) -> list[str]:
    "Every `Elapsed (wall clock)` of `/usr/bin/time -v` in the log."
    return re.findall(r'Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)', log)

def pytest_counts(log: str) -> str:
    "pytest's closing counts (`N passed, ...`), summed over every pytest run in the log (`make pytest` runs two)."
    total = {}
    for line in re.findall(r'^=*\s*(\d+ (?:passed|failed).*?) in [\d.]+s', log, re.M):
        for n, what in re.findall(r'(\d+) (\w+)', line):
            if what != 'deselected': total[what] = total.get(what, 0) + int(n)  # a run's deselected tests are the other run's
    return ', '.join(f'{n} {what}' for what, n in total.items()) or '?'

def seconds(clock: str) -> float:
    "`/usr/bin/time`'s `h:mm:ss` or `m:ss.ss` in seconds."
    return sum(float(x) * 60 ** i for i, x in enumerate(reversed(clock.split(':'))))

def notebooks(commit: str | None):
    "(name, cells) of every notebook outside nbs/reproduce at `commit` (the working tree when None)."
    names = subprocess.run(['git', 'ls-files', 'nbs/*.ipynb'] if commit is None else ['git', 'ls-tree', '-r', '--name-only', commit, 'nbs'],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in names:
        if not name.endswith('.ipynb') or name.startswith('nbs/reproduce/'): continue
        text = (ROOT / name).read_text() if commit is None else subprocess.run(
            ['git', 'show', f'{commit}:{name}'], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        yield name, json.loads(text)['cells']

def code_cells(commit: str | None, skip: str = 'notest', only: str | None = None) -> int:
    "Code cells nbdev-test executes at `commit`, less the cells flagged `skip` (a regex), in the notebooks whose file name matches `only`."
    return sum(c['cell_type'] == 'code' and not re.search(rf'^#\|\s*(?:{skip})\b', ''.join(c['source']), re.M)
               for name, cells in notebooks(commit) if only is None or re.match(only, Path(name).name) for c in cells)

def llm_cells(commit: str | None) -> int:
    "Code cells (not `notest`, not `slow`) of the notebooks the Makefile's LLM_NBS names, which `make test-quick` leaves out."
    return code_cells(commit, 'notest|slow', re.search(r"^LLM_NBS = (.+)$", (ROOT / 'Makefile').read_text(), re.M)[1])

def read(folder: Path) -> dict:
    "The timings of one run's saved logs."
    nb = (folder / 'nbtest.log').read_text() if (folder / 'nbtest.log').exists() else ''
    py = (folder / 'pytest.log').read_text() if (folder / 'pytest.log').exists() else ''
    status = (folder / 'status').read_text() if (folder / 'status').exists() else ''
    quick = wall_clocks((folder / 'quick.log').read_text()) if (folder / 'quick.log').exists() else []  # `make test-quick`, timed
    total = re.search(r'^total (\d+) s$', status, re.M)  # the whole `.ci/run` sequence, set-up and check-clean included
    return dict(nb=notebook_times(nb), tests=test_times(py), wall=wall_clocks(nb) + wall_clocks(py), counts=pytest_counts(py),
                ci=f"{int(total[1]) / 60:.1f} min" if total else '–', quick=quick[-1] if quick else '–')

def table(rows: list[tuple], head: tuple) -> str:
    "A markdown table."
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    return '\n'.join(lines + ['| ' + ' | '.join(str(x) for x in r) + ' |' for r in rows])

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('before', type=Path); ap.add_argument('after', type=Path)
    ap.add_argument('--before-commit', required=True, help='the commit the before logs were taken at (to count its notebook cells)')
    ap.add_argument('--after-commit', help='the commit the after logs were taken at (default: the working tree)')
    ap.add_argument('--out', type=Path, default=ROOT / 'bench' / 'results' / 'test_timing.md')
    ap.add_argument('--top', type=int, default=25)
    a = ap.parse_args(argv)
    b, f = read(a.before), read(a.after)
    parts = ['# Test suite timing, before and after (issue 33)', '',
             f'Made by `tools/test_timing.py` from the logs in `{a.before.resolve().relative_to(ROOT)}` and `{a.after.resolve().relative_to(ROOT)}`.', '',
             table([('wall clocks (each `/usr/bin/time`d step)', ', '.join(b['wall']), ', '.join(f['wall'])),
                    ('wall clock, summed (`make test`)', *(f"{sum(map(seconds, x['wall'])) / 60:.1f} min" for x in (b, f))),
                    ('the CI sequence on a fresh clone (set-up, `make test`, `check-clean`)', b['ci'], f['ci']),
                    ('notebook seconds, summed', f"{sum(b['nb'].values()):.0f}", f"{sum(f['nb'].values()):.0f}"),
                    ('notebooks timed', len(b['nb']), len(f['nb'])),
                    ('notebook code cells executed', code_cells(a.before_commit), code_cells(a.after_commit)),
                    ('`make test-quick`, warm (notebooks without their cells flagged slow, pytest without `llm` tests)', b['quick'], f['quick']),
                    ('notebook code cells `make test-quick` executes (LLM notebooks and cells flagged slow left out)', '–',
                     code_cells(a.after_commit, 'notest|slow') - llm_cells(a.after_commit)),
                    ('pytest', b['counts'], f['counts'])], ('', 'before', 'after')), '']
    names = sorted(set(b['nb']) | set(f['nb']), key=lambda n: -max(b['nb'].get(n, 0), f['nb'].get(n, 0)))
    parts += ['## Notebooks (seconds)', '', table([(n, b['nb'].get(n, '–'), f['nb'].get(n, '–')) for n in names], ('notebook', 'before', 'after')), '']
    tests = sorted(set(b['tests']) | set(f['tests']), key=lambda n: -max(b['tests'].get(n, 0), f['tests'].get(n, 0)))[:a.top]
    parts += [f'## The {a.top} slowest tests (seconds; `--durations` lists only the slowest, so – is "not among them")', '',
              table([(n, f"{b['tests'][n]:.1f}" if n in b['tests'] else '–', f"{f['tests'][n]:.1f}" if n in f['tests'] else '–')
                     for n in tests], ('test', 'before', 'after')), '']
    a.out.write_text('\n'.join(parts))
    print(a.out.read_text())

if __name__ == '__main__': main()
