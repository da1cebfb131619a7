"""Two costs that bound what a research loop can do: the embedding baseline over every HelpSteer2 eval
probe, and re-scoring a finished run against all 52 targets from its stored predictions.

    python bench/baselines.py [--repeats 3]

Each is timed end to end, as a user runs it: `align-nb run` of the embedding-regression config on all
500 probes in a fresh process (MiniLM embeddings and ridge fits on the train split included, deciding
one target), first with an empty embedding cache (cold) and then again into a new run folder with the
cache the first run filled (warm: a second experiment, or a re-run, on the same data); then `score_run`
of that run for all 52 targets (51 of them re-decided from the stored predictions). Results go to
bench/results/baselines.md with the machine they ran on.
"""
from __future__ import annotations
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

from align_nb.datasets import load_helpsteer2
from align_nb.runner import score_run
from cost import machine  # bench/cost.py, beside this file

OUT = Path(__file__).resolve().parent / 'results'

def timed(f):
    "Seconds `f()` took, and its result."
    t0 = time.perf_counter(); r = f(); return time.perf_counter() - t0, r

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--repeats', type=int, default=3, help='re-scoring repeats (the fastest is kept)')
    ap.add_argument('--out', type=Path, default=OUT)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        cfg = Path(d) / 'emb.yaml'
        cfg.write_text("benchmark: helpsteer2\ntargets: [high]\nadm: {kind: embedding-regression}\n")
        env = dict(os.environ, ALIGN_NB_CACHE=str(Path(d) / 'cache'))  # an empty cache: the cold run embeds everything
        cli = lambda out: subprocess.run([sys.executable, '-c', 'import sys; from align_nb.runner import main; sys.exit(main())', 'run', str(cfg), '--out', out, '--quiet'],
                                         env=env, check=True, capture_output=True)
        cold_s, _ = timed(lambda: cli(str(Path(d) / 'cold')))
        warm_s, _ = timed(lambda: cli(str(Path(d) / 'warm')))
        run = Path(d) / 'warm'
        names = [t.name for t in load_helpsteer2().targets]
        rescore = [timed(lambda: score_run(run, targets=names)) for _ in range(a.repeats)]
        s, res = min(rescore, key=lambda x: x[0])
    n_probes, n_targets = res.probe_id.nunique(), res.target.nunique()
    rows = [('embedding baseline, all eval probes (fit on train + decide), empty embedding cache', f'{cold_s:.1f} s', '< 60 s', cold_s < 60),
            ('the same, embeddings cached by an earlier run', f'{warm_s:.1f} s', '< 60 s', warm_s < 60),
            (f're-score {n_targets} targets x {n_probes} probes from stored predictions ({len(res):,} scored pairs)', f'{s:.2f} s', '< 5 s', s < 5)]
    md = ("# Baseline and re-scoring costs\n\n| task | measured | goal | met |\n|---|---|---|---|\n"
          + ''.join(f"| {t} | {m} | {g} | {'yes' if ok else 'no'} |\n" for t, m, g, ok in rows)
          + f"\nMachine: `{json.dumps(machine())}`\n")
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / 'baselines.md').write_text(md)
    print(md)

if __name__ == '__main__': main()
