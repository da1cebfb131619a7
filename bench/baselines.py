"""Two costs that bound what a research loop can do: the embedding baseline over every HelpSteer2 eval
probe, and re-scoring a finished run against all 52 targets from its stored predictions.

    python bench/baselines.py [--repeats 3]

Each is timed end to end, as a user runs it: `run_experiment` of the embedding-regression config on all
500 probes (MiniLM embeddings and ridge fits on the train split included, deciding one target), then
`score_run` of that run for all 52 targets (51 of them re-decided from the stored predictions). Results
go to bench/results/baselines.md with the machine they ran on.
"""
from __future__ import annotations
import argparse, json, tempfile, time
from pathlib import Path

from align_nb.datasets import load_helpsteer2
from align_nb.runner import run_experiment, score_run
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
        cfg = dict(benchmark='helpsteer2', targets=['high'], adm=dict(kind='embedding-regression'))
        run_s, run = timed(lambda: run_experiment(cfg, Path(d) / 'emb', progress=False))
        names = [t.name for t in load_helpsteer2().targets]
        rescore = [timed(lambda: score_run(run, targets=names)) for _ in range(a.repeats)]
        s, res = min(rescore, key=lambda x: x[0])
    n_probes, n_targets = res.probe_id.nunique(), res.target.nunique()
    rows = [('embedding baseline, all eval probes (fit on train + decide)', f'{run_s:.1f} s', '< 60 s', run_s < 60),
            (f're-score {n_targets} targets x {n_probes} probes from stored predictions ({len(res):,} scored pairs)', f'{s:.2f} s', '< 5 s', s < 5)]
    md = ("# Baseline and re-scoring costs\n\n| task | measured | goal | met |\n|---|---|---|---|\n"
          + ''.join(f"| {t} | {m} | {g} | {'yes' if ok else 'no'} |\n" for t, m, g, ok in rows)
          + f"\nMachine: `{json.dumps(machine())}`\n")
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / 'baselines.md').write_text(md)
    print(md)

if __name__ == '__main__': main()
