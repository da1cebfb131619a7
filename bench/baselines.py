"""Two costs that bound what a research loop can do: the embedding baseline over every HelpSteer2 eval
probe, and re-scoring a finished run against all 52 targets from its stored predictions.

    python bench/baselines.py [--repeats 3] [--windows 128 64]

Each is timed end to end, as a user runs it: `align-nb run` of the embedding-regression config on all
500 probes in a fresh process (MiniLM embeddings and ridge fits on the train split included, deciding
one target), first with an empty embedding cache (cold) and then again into a new run folder with the
cache the first run filled (warm: a second experiment, or a re-run, on the same data); then `score_run`
of that run for all 52 targets (51 of them re-decided from the stored predictions). Then, for each of
`--windows`, the cold run again with MiniLM reading that many tokens of each text (`max_tokens`; the
default is `EMBEDDING_WINDOW`, 32), with its accuracy over all 52 targets beside the default's: the one
lever on the cold cost, since the encoder itself is the floor. Results go to bench/results/baselines.md
with the machine they ran on.
"""
from __future__ import annotations
import argparse, inspect, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path

from align_nb.baselines import EmbeddingRegressionADM
from align_nb.benchmarks import load_helpsteer2
from align_nb.metrics import summarize
from align_nb.runner import score_run
from cost import machine  # bench/cost.py, beside this file

OUT = Path(__file__).resolve().parent / 'results'
DEFAULT_WINDOW = inspect.signature(EmbeddingRegressionADM).parameters['max_tokens'].default

def timed(f):
    "Seconds `f()` took, and its result."
    t0 = time.perf_counter(); r = f(); return time.perf_counter() - t0, r

def embedding_run(d: Path, name: str, window: int | None = None) -> float:
    "Seconds for `align-nb run` of the embedding baseline into `d/name`, as a fresh process with `d/cache` as its cache (MiniLM window `window`)."
    cfg = d / f'{name}.yaml'
    cfg.write_text(
        "benchmark: helpsteer2\ntargets: [high]\nadm: {kind: embedding-regression"
        + (f", params: {{max_tokens: {window}}}" if window else '')
        + "}\n"
    )
    env = dict(os.environ, ALIGN_NB_CACHE=str(d / 'cache'))
    s, _ = timed(
        lambda: subprocess.run(
            [
                sys.executable,
                '-c',
                'import sys; from align_nb.cli import main; sys.exit(main())',
                'run',
                str(cfg),
                '--out',
                str(d / name),
                '--quiet',
            ],
            env=env,
            check=True,
            capture_output=True,
        )
    )
    return s

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--repeats', type=int, default=3, help='re-scoring repeats (the fastest is kept)')
    ap.add_argument(
        '--windows', type=int, nargs='*', default=[128, 64], help='other MiniLM windows (tokens) for the cold-cost and accuracy study'
    )
    ap.add_argument('--out', type=Path, default=OUT)
    a = ap.parse_args(argv)
    names = [t.name for t in load_helpsteer2().targets]
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        cold_s = embedding_run(d, 'cold')   # an empty cache: the cold run embeds everything
        warm_s = embedding_run(d, 'warm')   # the same cache, filled by the cold run
        rescore = [timed(lambda: score_run(d / 'warm', targets=names)) for _ in range(a.repeats)]
        s, res = min(rescore, key=lambda x: x[0])
        acc = lambda run: summarize(score_run(d / run, targets=names), by=None).iloc[0]
        study = [(DEFAULT_WINDOW, cold_s, acc('cold'))]
        for w in a.windows:
            shutil.rmtree(d / 'cache', ignore_errors=True)
            study.append((w, embedding_run(d, f'window{w}', w), acc(f'window{w}')))
    n_probes, n_targets = res.probe_id.nunique(), res.target.nunique()
    rows = [
        (
            f'embedding baseline, all eval probes (fit on train + decide), empty embedding cache, default {DEFAULT_WINDOW}-token window',
            f'{cold_s:.1f} s',
            '< 60 s',
            cold_s < 60,
        ),
        ('the same, embeddings cached by an earlier run', f'{warm_s:.1f} s', '< 60 s', warm_s < 60),
        (
            f're-score {n_targets} targets x {n_probes} probes from stored predictions ({len(res):,} scored pairs)',
            f'{s:.2f} s',
            '< 5 s',
            s < 5,
        ),
    ]
    md = (
        "# Baseline and re-scoring costs\n\n| task | measured | goal | met |\n|---|---|---|---|\n"
        + ''.join(f"| {t} | {m} | {g} | {'yes' if ok else 'no'} |\n" for t, m, g, ok in rows)
        + (
            "\n## The MiniLM window: cold cost and accuracy (all 52 targets, 95% CI)\n\n| window (tokens) | cold run | accuracy |\n|---|---|---|\n"
            + ''.join(
                f"| {w}{' (default)' * (w == DEFAULT_WINDOW)} | {t:.1f} s | {r.accuracy:.1f}% [{r.ci_low:.1f}, {r.ci_high:.1f}] |\n"
                for w, t, r in sorted(study, key=lambda x: -x[0])
            )
        )
        + f"\nMachine: `{json.dumps(machine())}`\n"
    )
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / 'baselines.md').write_text(md)
    print(md)

if __name__ == '__main__': main()
