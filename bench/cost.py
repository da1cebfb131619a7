"""Cost per decision of few-shot comparative regression: the paper's protocol and each optimisation, side by side.

One process, engines loaded once, the same seeded sample of HelpSteer2 eval probes for every mode, the
generation cache off. For each mode it records model-seconds per probe (the engines' own timers),
forward tokens per probe (prompt tokens run plus tokens generated), prompt tokens reused from the KV
cache, LLM calls per probe, peak RSS while the mode ran, the alignment accuracy over the paper's
targets with a 95% bootstrap CI, and the ratio of model-seconds to the paper protocol.

    python bench/cost.py --probes 10 --attributes 5             # one table
    python bench/cost.py --probes 10 50 --attributes 1 3 5      # one table per (probes, attributes)
    python bench/cost.py --backend transformers --device cuda   # every mode on the transformers engine, on a GPU

Results go to bench/results/ as CSV and Markdown, with the machine they ran on. Each step (a probe, or
one attribute of a probe, in the mode's order) is appended to bench/journal/ as it finishes, with its
costs and predictions, so a run that is killed or crashes goes on where it stopped when started again
with the same arguments (`--fresh` discards the table's journal, every mode's steps). The paper
protocol at 200 probes is hours of CPU; it can be run in pieces this way. A `--skip-paper` run writes
to the journal of the full table, so a later run with the paper protocol re-uses its modes' steps
instead of measuring them again. The first step after a resume re-reads the few-shot prefix that the
KV cache held before, and the table counts that.
"""
from __future__ import annotations
import argparse, importlib.metadata, json, os, platform, threading, time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import psutil
import torch

from tqdm.auto import tqdm

from align_nb.adms import ComparativeRegressionADM, ExpectedScoreADM, JointRegressionADM, RegressionADM
from align_nb.core import append_line, read_jsonl
from align_nb.benchmarks import load_helpsteer2
from align_nb.backbones import load_engine
from align_nb.icl import ExampleSelector
from align_nb.metrics import score, summarize
from align_nb.runner import select_probes

OUT = Path(__file__).resolve().parent / 'results'
JOURNAL = Path(__file__).resolve().parent / 'journal'  # per-step records of runs in progress (not committed)
EXAMPLE_CHARS = 300  # few-shot examples cut to 300 characters: five whole HelpSteer2 examples can overflow even SmolLM2's 8k-token context

class PeakRSS:
    "Samples this process's resident memory every 20 ms in a thread; `.peak` is the highest seen (bytes)."
    def __init__(self): self.peak, self._stop, self._proc = 0, threading.Event(), psutil.Process()
    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss); self._stop.wait(0.02)
    def __enter__(self):
        self.peak = self._proc.memory_info().rss
        self._t = threading.Thread(target=self._run, daemon=True); self._t.start(); return self
    def __exit__(self, *exc): self._stop.set(); self._t.join()

@dataclass
class Mode:
    "One way of running few-shot comparative regression: how to build the decision maker, and in which order to predict."
    name: str
    lever: str
    backend: str
    build: Callable[..., RegressionADM]
    attribute_major: bool

def modes(train) -> list[Mode]:
    "The paper protocol, then one lever at a time."
    per_query = lambda: ExampleSelector(train, 'embedding', cache=False)   # re-selected for every call, as published
    fixed = ExampleSelector(train, 'fixed')                                # the same examples for every query
    cr = lambda sel, n, t: (lambda eng, attrs: ComparativeRegressionADM(eng, attrs, selector=sel() if callable(sel) else sel, n_samples=n,
                                                                        temperature=t, example_chars=EXAMPLE_CHARS))
    es = lambda eng, attrs: ExpectedScoreADM(eng, attrs, selector=fixed, example_chars=EXAMPLE_CHARS)
    joint = lambda eng, attrs: JointRegressionADM(eng, attrs, selector=fixed, n_examples=5, example_chars=EXAMPLE_CHARS)
    return [
        Mode(
            'paper protocol', 'examples re-selected per call, 5 samples at T=0.7, probe by probe', 'llamacpp', cr(per_query, 5, 0.7), False
        ),
        Mode('fixed examples', '+ the same examples for every query (cached selection)', 'llamacpp', cr(fixed, 5, 0.7), False),
        Mode(
            'fixed, attribute-major',
            '+ probes run attribute by attribute: the few-shot prefix stays in the KV cache',
            'llamacpp',
            cr(fixed, 5, 0.7),
            True,
        ),
        Mode('fixed, attribute-major, 1 greedy sample', '+ one greedy sample instead of 5 at T=0.7', 'llamacpp', cr(fixed, 1, 0.0), True),
        Mode(
            'joint, fixed, 1 greedy sample',
            'every attribute in one prompt (no reasoning), 5 fixed examples, one greedy sample, probe by probe',
            'llamacpp',
            joint,
            False,
        ),
        Mode(
            'expected score (llama.cpp)',
            'expected-score regression: no sampling, the 101 scores read per option (one token per distinct prefix); fixed, attribute-major',
            'llamacpp',
            es,
            True,
        ),
        Mode(
            'expected score (transformers)',
            'expected-score regression on transformers: the 101 scores read per option in one tree-masked pass; fixed, attribute-major',
            'transformers',
            es,
            True,
        ),
    ]

def version(dist: str) -> str | None:
    "The installed version of distribution `dist`, or None where it is not installed (llama.cpp on a GPU machine, say)."
    try: return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError: return None

def machine(device: str = 'cpu') -> dict:
    "The machine and software the numbers come from (and the GPU, when the transformers engine runs on one)."
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    import align_nb
    gpu = dict(gpu=torch.cuda.get_device_name(device), cuda=torch.version.cuda) if device.startswith('cuda') else {}
    return dict(
        cpu=cpu,
        cores=os.cpu_count(),
        memory_gb=round(psutil.virtual_memory().total / 2**30, 1),
        **gpu,
        python=platform.python_version(),
        llama_cpp_python=version('llama_cpp_python'),
        torch=torch.__version__,
        transformers=version('transformers'),
        align_nb=align_nb.__version__,
        model='SmolLM2-135M-Instruct (GGUF Q4_1 for llama.cpp; transformers loads the same GGUF in float32)'
    )

def accuracy(adm: RegressionADM, probes, targets) -> dict:
    "Accuracy (%) with 95% CI, and the shares (%) of failed and tied decisions, over every scorable (probe, target), decided from the memoised predictions."
    rows = [r for p in probes for t in targets if (r := score(adm.decide(p, t), p, t)) is not None]
    s = summarize(pd.DataFrame(rows), by=None).iloc[0]
    return dict(
        accuracy=s.accuracy,
        ci_low=s.ci_low,
        ci_high=s.ci_high,
        failed=int(s.failed),
        failed_pct=s.failed_pct,
        tied_pct=s.tied_pct,
        scored=int(s.scored),
    )

def steps(mode: Mode, probes, attrs) -> list[tuple]:
    "The mode's units of work in its order: (probe, attributes) pairs, attribute by attribute or probe by probe."
    return [(p, [a]) for a in attrs for p in probes] if mode.attribute_major else [(p, list(attrs)) for p in probes]

def run_mode(mode: Mode, engine, probes, attrs, targets, bench_attributes, journal: Path) -> dict:
    "Predict `attrs` for every probe in the mode's order, each step journalled so a killed run resumes where it stopped; cost, memory and accuracy."
    adm = mode.build(engine, bench_attributes)
    adm.rescorable = False  # predict exactly `attrs`: deciding a target within them needs no more calls
    done = [r for r in read_jsonl(journal, repair=True) if r['mode'] == mode.name]
    for r in done:
        for a, pred in r['predictions'].items(): adm.memo[r['probe'], a] = pred
    todo = [(p, a) for p, a in steps(mode, probes, attrs) if any((p.id, x) not in adm.memo for x in a)]
    if done: print(f"  resuming: {len(done)} steps from {journal}", flush=True)
    gpu = getattr(engine, 'device', 'cpu').startswith('cuda')
    if gpu: torch.cuda.reset_peak_memory_stats(engine.device)
    with PeakRSS() as rss:
        for p, a in tqdm(todo, desc=mode.name, leave=False):
            u0, t0 = engine.usage.model_copy(), time.perf_counter()
            preds = adm.predict(p, a)
            wall, u = time.perf_counter() - t0, engine.usage
            done.append(
                dict(
                    mode=mode.name,
                    probe=p.id,
                    attributes=a,
                    model_s=u.seconds - u0.seconds,
                    wall_s=wall,
                    forward_tokens=u.prompt_tokens - u0.prompt_tokens + u.completion_tokens - u0.completion_tokens,
                    reused_tokens=u.reused_tokens - u0.reused_tokens,
                    calls=u.calls - u0.calls,
                    peak_rss_mb=rss.peak / 2**20,
                    **(dict(peak_gpu_mb=torch.cuda.max_memory_allocated(engine.device) / 2**20) if gpu else {}),
                    predictions={
                        x: dict(values=v['values'], reasonings=v.get('reasonings'), error=v.get('error')) for x, v in preds.items()
                    }
                )
            )
            append_line(journal, done[-1])
    n, total = len(probes), lambda k: sum(r[k] for r in done)
    return dict(
        mode=mode.name,
        backend=mode.backend,
        lever=mode.lever,
        probes=n,
        attributes=len(attrs),
        model_s_per_probe=total('model_s') / n,
        wall_s_per_probe=total('wall_s') / n,
        forward_tokens_per_probe=total('forward_tokens') / n,
        reused_tokens_per_probe=total('reused_tokens') / n,
        calls_per_probe=total('calls') / n,
        peak_rss_mb=max(r['peak_rss_mb'] for r in done),
        **accuracy(adm, probes, targets),
        **(dict(peak_gpu_mb=max(r.get('peak_gpu_mb', 0) for r in done)) if gpu else {})
    )

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--probes', type=int, nargs='+', default=[10], help='probe counts (a seeded sample of HelpSteer2 eval)')
    ap.add_argument('--attributes', type=int, nargs='+', default=[5], help='how many of the five attributes to predict')
    ap.add_argument(
        '--modes', nargs='*', help='only these modes (by name); the paper protocol is run too, for the ratio, unless --skip-paper'
    )
    ap.add_argument('--skip-paper', action='store_true', help='leave the paper protocol out (cost growth of the fast modes; no ratio)')
    ap.add_argument('--backend', choices=['as-listed', 'transformers'], default='as-listed',
                    help="'transformers': every mode on the transformers engine (the GPU path; llama.cpp is built for CPU here)")
    ap.add_argument('--device', default='cpu', help="the transformers engine's device: cpu, or cuda for the GPU")
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--out', type=Path, default=OUT)
    ap.add_argument(
        '--journal',
        type=Path,
        default=JOURNAL,
        help='where each step is recorded as it finishes: a run killed or crashed resumes from here',
    )
    ap.add_argument('--fresh', action='store_true', help='discard the journal of these tables and measure from scratch')
    a = ap.parse_args(argv)
    if a.device != 'cpu' and a.backend != 'transformers':  # else a GPU row would land in a CPU table of the same name
        ap.error('--device applies to --backend transformers only (llama.cpp runs on the CPU here)')
    ev, train = load_helpsteer2(), load_helpsteer2('train')
    engines = {}
    paper = lambda m: m.name == 'paper protocol'
    all_modes = [m for m in modes(train.probes) if (not a.modes or m.name in a.modes or paper(m)) and not (a.skip_paper and paper(m))]
    if a.backend == 'transformers':  # one engine for every mode; the llama.cpp expected-score row would repeat the transformers one
        all_modes = [replace(m, backend='transformers') for m in all_modes if m.name != 'expected score (llama.cpp)']
    for b in {m.backend for m in all_modes}:
        engines[b] = load_engine('smollm2-llamacpp' if b == 'llamacpp' else dict(kind='transformers', device=a.device), cache=False)
    a.out.mkdir(parents=True, exist_ok=True); a.journal.mkdir(parents=True, exist_ok=True)
    info = machine(a.device)
    engine_suffix = f"_transformers-{a.device.replace(':', '')}" if a.backend == 'transformers' else ''
    suffix = ('_fast' if a.skip_paper else '') + engine_suffix
    for n in a.probes:
        probes = select_probes(ev, n, a.seed)
        for k in a.attributes:
            attrs = ev.attribute_names[:k]
            stem = f'cost_{n}probes_{k}attributes{suffix}'
            # shared with --skip-paper: its modes count for the whole table later
            journal = a.journal / f'cost_{n}probes_{k}attributes{engine_suffix}_seed{a.seed}.jsonl'
            if a.fresh: journal.unlink(missing_ok=True)
            targets = [t for t in ev.targets if set(t.attributes) <= set(attrs)]
            rows = []
            for m in all_modes:
                print(f"{n} probes, {k} attributes: {m.name}…", flush=True)
                rows.append(run_mode(m, engines[m.backend], probes, attrs, targets, ev.attributes, journal))
                print(f"  {rows[-1]['model_s_per_probe']:.2f} model-s/probe, {rows[-1]['accuracy']:.1f}%", flush=True)
            t = pd.DataFrame(rows)
            t['ratio_vs_paper'] = t.model_s_per_probe.iloc[0] / t.model_s_per_probe if paper(all_modes[0]) else np.nan
            t['targets'] = len(targets)
            t.to_csv(a.out / f'{stem}.csv', index=False)
            print(write_markdown(t, a.out / f'{stem}.md', info))

COLUMNS = ['mode', 'model_s_per_probe', 'wall_s_per_probe', 'forward_tokens_per_probe', 'reused_tokens_per_probe', 'calls_per_probe',
           'peak_rss_mb', 'accuracy', 'ci_low', 'ci_high', 'failed_pct', 'tied_pct', 'ratio_vs_paper']

def write_markdown(t: pd.DataFrame, path: Path, info: dict) -> str:
    "The table `t` (one row per mode) as Markdown in `path`, with the levers and the machine; returns the text."
    n, k, nt = int(t.probes.iloc[0]), int(t.attributes.iloc[0]), int(t.targets.iloc[0])
    # '–': no interval below 10 probes
    md = (f"# Cost of few-shot comparative regression: {n} HelpSteer2 eval probes, {k} attribute(s), {nt} targets\n\n"
          + t[[c for c in COLUMNS + ['peak_gpu_mb'] if c in t]].round(2).fillna('–').to_markdown(index=False) + "\n\n"
          + '\n'.join(f"- **{r.mode}**: {r.lever}" for r in t.itertuples()) + "\n\n"
          + f"Few-shot examples cut to {EXAMPLE_CHARS} characters in every mode. Machine: `{json.dumps(info)}`\n")
    path.write_text(md)
    return md

if __name__ == '__main__': main()
