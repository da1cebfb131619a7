"""The mutation table: realistic bugs, each applied alone to a copy of the tree, and the test of `make test` that must fail on it.

    python tools/mutants.py                 # every mutant; writes bench/results/mutants.{csv,md}
    python tools/mutants.py --only ties-to-option-0 --keep   # one, keeping its mutated copy to look at

Each mutant replaces one snippet of the exported module (`align_nb/`, what the tests import; the notebooks it is exported from
stay as they are) in a copy of the tracked files, then runs its killer there: a pytest node or a notebook, with this checkout's
virtual environment and the copy first on the import path. Before any mutant, every killer runs on the unmutated copy and must
pass: a killer that fails anyway proves nothing. `make mutants` runs it; it is not part of `make test`.
"""
import argparse, csv, os, re, shutil, subprocess, sys, tempfile, time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / 'bench' / 'results'
PYTHON = str(ROOT / '.venv' / 'bin' / 'python') if (ROOT / '.venv' / 'bin' / 'python').exists() else sys.executable  # `make setup`'s

KA = 'tests/test_known_answer.py::'
FOUR = KA + 'test_every_method_on_four_benchmarks'
PROFILES = KA + 'test_the_papers_profiles'
SAMPLES = KA + 'test_samples_are_independent_and_averaged'
VOTES = KA + 'test_choosers_vote_on_many_options'
FAILS = KA + 'test_failed_predictions_fail_their_decisions'
LEAKS = KA + 'test_leaked_examples_are_seen'
METRIC = 'tests/test_properties.py'


@dataclass
class Mutant:
    "One bug: `old` (found exactly once in `path`) replaced by `new`; `killer` is the test that must fail on it."
    name: str
    what: str
    path: str
    old: str
    new: str
    killer: str


MUTANTS = [
    # the ten bugs of issue 38
    Mutant('first-valid-sample-only', 'only the first valid sample of a prediction averaged', 'align_nb/adms.py',
           'ok = [(s, r) for s, r in zip(samples, requests) if s.ok]', 'ok = [(s, r) for s, r in zip(samples, requests) if s.ok][:1]',
           SAMPLES),
    Mutant('ties-to-option-0', 'every tie broken to option 0', 'align_nb/alignment.py',
           "if tie_break == 'first' or len(tied) == 1: return tied[0]", 'return tied[0]', FOUR),
    Mutant('few-shot-labels-mirrored', 'few-shot examples shown with wrong labels (1 - v)', 'align_nb/prompts.py',
           'score = round(100 * c.values[attribute])', 'score = round(100 * (1 - c.values[attribute]))', FOUR),
    Mutant('few-shot-pool-from-eval', 'the few-shot pool drawn from the evaluation split (leakage)', 'align_nb/runner.py',
           "train = load_benchmark(cfg.benchmark, **{**cfg.loader, 'split': 'train'}).probes if learns else None",
           'train = load_benchmark(cfg.benchmark, **cfg.loader).probes if learns else None', LEAKS),
    Mutant('negative-votes-dropped', "the negative samples' vote dropped from prompt-aligned decisions", 'align_nb/alignment.py',
           'for i in negative: votes += 1 / n; votes[i] -= 2 / n', 'for i in negative: votes += 0', VOTES + '[prompt-aligned]'),
    Mutant('tie-scored-correct', 'the metric counting a tied decision as correct', 'align_nb/metrics.py',
           'correct=float(decision.choice in best) if decision.scorable else np.nan',
           'correct=float(decision.choice in best or decision.tied) if decision.scorable else np.nan', METRIC),
    Mutant('runner-reuses-previous-probe', "the runner deciding each probe with the previous probe's decisions", 'align_nb/runner.py',
           'made = {t.name: _decide(adm, p, t, cfg, relevance, history) for t in scorable}',
           'made = {t.name: _decide(adm, part[max(part.index(p) - 1, 0)], t, cfg, relevance, history) for t in scorable}', FOUR),
    Mutant('options-never-shuffled', 'options never shuffled (position bias no longer averaged out)', 'align_nb/profiles.py',
           'seed_of(seed, key, s) if shuffle and self.shuffles else None', 'None', FOUR),
    Mutant('no-valid-sample-is-zero', 'a prediction with no valid sample silently 0 instead of failing', 'align_nb/adms.py',
           'if not ok: return dict(values=None, reasonings=None, error=f"all {len(samples)} samples failed: {samples[0].error}", **count)',
           "if not ok: return dict(values=[0.0] * n_options, samples=[[0.0]] * n_options, reasonings=[''] * n_options, error=None, **count)",
           FAILS),
    Mutant('one-seed-for-all-samples', 'one seed for every sample of a decision', 'align_nb/adms.py',
           'first_sample=[index[k] for k in ks]', 'first_sample=[0 for k in ks]', SAMPLES),
    # decision makers
    Mutant('farthest-option-chosen', "the regressors' rule choosing the option farthest from the target", 'align_nb/alignment.py',
           "score = -d if spec.mode == 'aligned' else d", "score = d if spec.mode == 'aligned' else -d", FOUR),
    Mutant('letters-reversed', 'the option block lettered backwards (the prompt shows option 0 as the last letter)', 'align_nb/prompts.py',
           "'\\n'.join(f\"{l}. {probe.choices[i].text.strip()}\" for l, i in zip(letters(len(order)), order))",
           "'\\n'.join(f\"{l}. {probe.choices[i].text.strip()}\" for l, i in zip(letters(len(order))[::-1], order))", FOUR),
    Mutant('order-mapped-back-reversed', "a sample's scores mapped back through the reversed order", 'align_nb/adms.py',
           'for key, i in zip(r.keys, r.order):', 'for key, i in zip(r.keys, r.order[::-1]):', FOUR),
    Mutant('per-response-wrong-option', 'per-response regression asking about the next option', 'align_nb/profiles.py',
           "return Request(single_messages(probe, index, attribute), single_schema(), ('',), (index,))",
           "return Request(single_messages(probe, (index + 1) % len(probe.choices), attribute), single_schema(), ('',), (index,))", FOUR),
    Mutant('expected-score-mode', "expected-score regression reading the distribution's mode instead of its mean", 'align_nb/adms.py',
           'values[i] = float(p @ np.arange(101)) / 100', 'values[i] = float(p.argmax()) / 100', FOUR),
    Mutant('joint-first-attribute-only', "joint regression giving every attribute the first attribute's scores", 'align_nb/adms.py',
           "for a in attributes: self.memo[probe.id, a] = {**_mean_scores(samples, reqs, len(probe.choices), field=a), 'reasonings': None}",
           "for a in attributes: self.memo[probe.id, a] = {**_mean_scores(samples, reqs, len(probe.choices), field=attributes[0]), "
           "'reasonings': None}", FOUR),
    Mutant('high-low-threshold', 'a target value of 0.5 stated as low in the prompt-aligned system prompt', 'align_nb/prompts.py',
           'high = (v >= 0.5) != negate', 'high = (v > 0.5) != negate', KA + 'test_a_target_at_one_half_is_stated_high'),
    Mutant('negation-ignored', 'negative samples asked with the target instead of its opposite', 'align_nb/prompts.py',
           'high = (v >= 0.5) != negate', 'high = v >= 0.5', VOTES + '[prompt-aligned]'),
    Mutant('unaligned-first-sample-only', "the unaligned chooser voting with its first sample only", 'align_nb/adms.py',
           'return _voted(self, probe, target, reqs, samples, len(samples), t0)',
           'return _voted(self, probe, target, reqs[:1], samples[:1], 1, t0)', VOTES + '[unaligned]'),
    Mutant('greedy-samples', 'samples drawn at temperature 0 whatever the configuration says', 'align_nb/adms.py',
           "rows = engine.generate_json([requests[k].messages for k in ks], requests[ks[0]].schema, 1, temperature, max_tokens, seed,",
           "rows = engine.generate_json([requests[k].messages for k in ks], requests[ks[0]].schema, 1, 0.0, max_tokens, seed,", SAMPLES),
    # the runner
    Mutant('runner-drops-last-probe', "the runner leaving out the last probe of every chunk", 'align_nb/runner.py',
           '        for p in part:\n            t1, tok1', '        for p in part[:-1]:\n            t1, tok1', FOUR),
    # prompts
    Mutant('triage-state-dropped', "the triage scenario's structured state left out of every prompt", 'align_nb/prompts.py',
           "extra = render_state(probe.state) if probe.domain == 'triage' else ''", "extra = ''", FOUR),
    # the metric (the judge: the known-answer side no longer uses it, so its own tests must catch these)
    Mutant('closest-takes-max', 'the judge taking the farthest choices as correct', 'align_nb/alignment.py',
           'return np.flatnonzero(d <= d.min() + tol).tolist()', 'return np.flatnonzero(d >= d.max() - tol).tolist()', METRIC),
    Mutant('distances-always-l1', 'the judge measuring every distance as L1', 'align_nb/alignment.py',
           "return np.sqrt((diff ** 2).sum(-1)) if metric == 'euclidean' else np.abs(diff).sum(-1)", 'return np.abs(diff).sum(-1)',
           METRIC),
    Mutant('target-vector-sorted', "a target's values in sorted order instead of its attributes'", 'align_nb/core.py',
           'return np.array(list(self.values.values()), dtype=float)', 'return np.array(sorted(self.values.values()), dtype=float)',
           METRIC),
    # the papers' profiles (the reference-fidelity issue)
    Mutant('sp-ties-drawn', "Steerable Pluralism's ties drawn at random instead of to the first response", 'align_nb/alignment.py',
           "def ties(self) -> str: return self.tie_break or ('first' if self.profile == 'steerable-pluralism' else 'random')",
           "def ties(self) -> str: return self.tie_break or 'random'", PROFILES),
    Mutant('sp-few-shot-labels-mirrored', "Steerable Pluralism's few-shot examples with mirrored labels", 'align_nb/sp_prompts.py',
           "'score': _known(probe, j, 'values', attribute) * scale}", "'score': (1 - _known(probe, j, 'values', attribute)) * scale}",
           PROFILES),
    Mutant('asys-scale-ignored', "align-system's 0-10 KDMA scores read as if on 0-100", 'align_nb/adms.py',
           'v = item[field or r.score] / r.scale', 'v = item[field or r.score] / 100', KA + 'test_align_system_predicts_on_each_kdma_scale'),
]


def copy_tree(dest: Path) -> Path:
    "The tracked files of this checkout (and untracked ones git does not ignore) copied to `dest`."
    files = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard'], cwd=ROOT, capture_output=True, text=True, check=True)
    for f in files.stdout.splitlines():
        src = ROOT / f
        if src.is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / f)
    return dest


def mutate(tree: Path, m: Mutant):
    "Apply `m` to `tree` (its snippet checked to occur once, before any run)."
    f = tree / m.path
    f.write_text(f.read_text().replace(m.old, m.new))


def run_killer(tree: Path, killer: str, timeout: int) -> tuple[bool, float, str]:
    "Run `killer` in `tree`: (passed, seconds, its output)."
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE='1')
    if killer.endswith('.ipynb'): cmd = [str(Path(PYTHON).parent / 'nbdev-test'), '--path', killer]
    else:
        cmd = [PYTHON, '-m', 'pytest', '-q', '-x', '-p', 'no:cacheprovider', killer]
    t0 = time.perf_counter()
    try: p = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired: return False, time.perf_counter() - t0, f'timed out after {timeout} s'
    return p.returncode == 0, time.perf_counter() - t0, p.stdout + p.stderr


def why_failed(output: str) -> str:
    "The line of a failing killer's output that says what failed (pytest's first `E` line, or the last line), shortened."
    lines = output.strip().splitlines() or ['']
    said = ' '.join([l[1:].strip() for l in lines if l.startswith('E ') and l[1:].strip()][:2]) or lines[-1].strip()
    return re.sub(r'\s+', ' ', said).replace('|', '/')[:150]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--only', nargs='+', help='these mutants only (by name); the recorded table is not written')
    ap.add_argument('--keep', action='store_true', help='keep the mutated copies (their folders are printed)')
    ap.add_argument('--timeout', type=int, default=900, help='seconds a killer may run')
    a = ap.parse_args(argv)
    chosen = [m for m in MUTANTS if not a.only or m.name in a.only]
    if a.only and len(chosen) != len(a.only):
        raise SystemExit(f"unknown mutants: {sorted(set(a.only) - {m.name for m in MUTANTS})}; known: {[m.name for m in MUTANTS]}")
    work = Path(tempfile.mkdtemp(prefix='align-nb-mutants-'))
    clean = copy_tree(work / 'clean')
    where = subprocess.run([PYTHON, '-c', 'import align_nb; print(align_nb.__file__)'], cwd=clean, capture_output=True, text=True,
                           env=dict(os.environ, PYTHONPATH=str(clean)))
    if not where.stdout.strip().startswith(str(clean)):  # an installed copy earlier on the path would hide every mutant
        raise SystemExit(f"the copy's align_nb is not the one imported there ({where.stdout.strip() or where.stderr.strip()})")
    for m in chosen:  # a stale snippet stops the table before anything runs
        if (n := (clean / m.path).read_text().count(m.old)) != 1:
            raise SystemExit(f"mutant {m.name}: its snippet occurs {n} times in {m.path} (must be once); update MUTANTS")
    for killer in dict.fromkeys(m.killer for m in chosen):  # every killer passes on the unmutated tree
        ok, secs, out = run_killer(clean, killer, a.timeout)
        print(f"baseline {killer}: {'passes' if ok else 'FAILS'} ({secs:.0f} s)", flush=True)
        if not ok: raise SystemExit(f"{killer} fails on the unmutated tree, so it proves nothing about a mutant: {out}")
    rows = []
    for m in chosen:
        tree = work / m.name
        shutil.copytree(clean, tree)
        mutate(tree, m)
        ok, secs, out = run_killer(tree, m.killer, a.timeout)
        rows.append(dict(mutant=m.name, bug=m.what, file=m.path, killer=m.killer, killed='yes' if not ok else 'NO',
                         seconds=round(secs), how='' if ok else why_failed(out)))
        print(f"{m.name}: {'killed' if not ok else 'SURVIVED'} by {m.killer} in {secs:.0f} s" + (f" — {rows[-1]['how']}" if not ok else ''),
              flush=True)
        if not a.keep: shutil.rmtree(tree)
    if a.keep: print(f"mutated copies kept under {work}")
    else: shutil.rmtree(work)
    if not a.only:
        with open(RESULTS / 'mutants.csv', 'w', newline='') as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0])); w.writeheader(); w.writerows(rows)
        lines = ['| mutant | the bug | file | killed by | killed | s |', '|---|---|---|---|---|---|']
        lines += [f"| `{r['mutant']}` | {r['bug']} | `{r['file']}` | `{r['killer']}` | {r['killed']} | {r['seconds']} |" for r in rows]
        (RESULTS / 'mutants.md').write_text('\n'.join(lines) + '\n')
    survivors = [r['mutant'] for r in rows if r['killed'] != 'yes']
    print(f"{len(rows) - len(survivors)} of {len(rows)} mutants killed" + (f"; survived: {', '.join(survivors)}" if survivors else ''))
    return 1 if survivors else 0


if __name__ == '__main__':
    sys.exit(main())
