"""Requests per second against a server of known capacity: today's client and the chunked one, side by side.

A HelpSteer2 run of comparative regression under the steerable-pluralism profile goes to
`align_nb.capacity.CapacityServer` — an OpenAI-compatible server on 127.0.0.1, in a process of its own,
that serves at most S requests at once, each for `--base` seconds, answering as the simulated
backbone — once with the one-at-a-time client (each (probe, attribute) prediction sent alone, the
HTTP engine's old default of 4 requests in flight) and once with the chunked one (a chunk's requests in one call, `concurrency`
= 1.5 S), one after the other against the same server, without a generation cache; for each it
records the wall time, the requests the server served, the requests per second it achieved beside
the server's capacity, the most requests in flight, and whether the two results files are the same
bytes. Two protocols: the paper's (5 samples at temperature 0.7) and greedy (1 sample). Each S gets
probes for about 8 full rounds of the server (`--probes` at least), the same for both clients.

    python bench/throughput.py                      # S = 1, 8, 64, 256 on 10 probes x 5 attributes
    python bench/throughput.py --whole              # and all 500 HelpSteer2 eval probes, paper protocol, chunked client
    python bench/throughput.py --llamacpp           # and llama.cpp's own server (SmolLM2): the same decisions from both clients

Results go to bench/results/throughput.md (and .csv, .json), with the machine they ran on.
"""
from __future__ import annotations
import argparse, contextlib, hashlib, json, os, platform, tempfile, time
from pathlib import Path

import pandas as pd

from align_nb.adms import ComparativeRegressionADM
from align_nb.benchmarks import load_helpsteer2
from align_nb.capacity import RemoteCapacity, capacity_server
from align_nb.http_engine import llama_server
from align_nb.known_answer import PROFILE_TIES, Skill, check, expect
from align_nb.runner import run_experiment, score_run
from align_nb.simulated import Shown

OUT = Path(__file__).resolve().parent / 'results'
PROTOCOLS = dict(paper=dict(n_samples=5, temperature=0.7), greedy=dict(n_samples=1, temperature=0.0))
NOISE = 20  # the simulated backbone's score noise (points of 0-100)

@contextlib.contextmanager
def one_at_a_time():
    "Today's client: comparative regression sends each (probe, attribute) prediction's requests alone."
    ComparativeRegressionADM.at_once = False
    try: yield
    finally: ComparativeRegressionADM.at_once = True

def config(url: str, n_probes: int | None, protocol: str, concurrency: int) -> dict:
    "The experiment: comparative regression on HelpSteer2 under the steerable-pluralism profile, against `url`."
    return dict(benchmark='helpsteer2', n_probes=n_probes, profile='steerable-pluralism',
                adm=dict(kind='comparative-regression', params=PROTOCOLS[protocol]),
                engine=dict(kind='openai', base_url=url, model='simulated', api_key_env=None, concurrency=concurrency, timeout=600))

def run(server: RemoteCapacity, cfg: dict, out: Path) -> dict:
    "Run `cfg` into `out` without a generation cache; what the server saw, the wall time and the results file's digest."
    server.reset()
    t0 = time.perf_counter()
    run_experiment(cfg, out / 'run', progress=False, cache=False)
    wall = time.perf_counter() - t0
    timing = [json.loads(l) for l in (out / 'run' / 'timing.jsonl').read_text().splitlines()]
    return dict(server.stats(), probes=len(timing), wall_s=round(wall, 2), client_peak_in_flight=max(t.get('peak_in_flight', 0) for t in timing),
                results_sha256=hashlib.sha256((out / 'run' / 'results.jsonl').read_bytes()).hexdigest()[:16])

def in_flight(slots: int) -> int:
    "The chunked client's `concurrency` for a server of `slots`: half as many again, so a few wait in its queue and no slot idles between requests."
    return -(-3 * slots // 2)

def probes_for(slots: int, protocol: str, least: int) -> int:
    "Probes for about 8 full rounds of a server with `slots` (5 attributes, the protocol's samples each), at least `least`, at most 500."
    per_probe = 5 * PROTOCOLS[protocol]['n_samples']
    return min(500, max(least, 8 * slots // per_probe))

def side_by_side(slots: list[int], base: float, least: int, work: Path, chunked_only: bool = False) -> pd.DataFrame:
    "Each protocol at each S: the one-at-a-time client (4 in flight; not with `chunked_only`) and the chunked one (1.5 S in flight), on the same probes."
    rows = []
    for protocol in PROTOCOLS:
        for s in slots:
            n = probes_for(s, protocol, least)
            with capacity_server('helpsteer2', NOISE, slots=s, base=base) as srv:
                if not chunked_only:
                    with one_at_a_time(): old = run(srv, config(srv.url, n, protocol, 4), work / f'{protocol}-{s}-old')
                new = run(srv, config(srv.url, n, protocol, in_flight(s)), work / f'{protocol}-{s}-new')
            runs = [(f'chunked, {in_flight(s)} in flight', new)] if chunked_only else [('one at a time, 4 in flight', old),
                                                                                        (f'chunked, {in_flight(s)} in flight', new)]
            for client, r in runs:
                rows.append(dict(protocol=protocol, client=client, **r,
                                 same_results=None if chunked_only else old['results_sha256'] == new['results_sha256']))
            print(protocol, s, 'req/s:', [r['achieved_rps'] for _, r in runs], 'of', new['capacity_rps'], flush=True)
    return pd.DataFrame(rows)

def whole(slots: int, base: float, work: Path) -> dict:
    "All HelpSteer2 eval probes, paper protocol, chunked client: what the server saw, and the accuracy beside its known-answer expectation."
    hs = load_helpsteer2()
    with capacity_server('helpsteer2', NOISE, slots=slots, base=base) as srv:
        r = run(srv, config(srv.url, None, 'paper', in_flight(slots)), work / 'whole')
    rows = score_run(work / 'whole' / 'run')
    exp = expect(hs.probes, hs.targets, 'comparative', Skill(noise=NOISE, n_samples=5), shown=Shown(hs.probes), tie=PROFILE_TIES['steerable-pluralism'])
    c = check(rows, exp)
    return dict(r, **{k: round(float(c[k]), 2) for k in ('accuracy', 'tied_pct', 'failed_pct', 'expected', 'expected_low',
                                                                              'expected_high', 'z')}, inside=c['inside'])

def llamacpp(work: Path) -> dict:
    "llama.cpp's own server with SmolLM2 (one request at a time, as it serves): one probe, 2 samples at 0.7, both clients; the same results?"
    digests = {}
    with llama_server() as url:
        cfg = dict(benchmark='helpsteer2', n_probes=1, profile='steerable-pluralism',
                   adm=dict(kind='comparative-regression', params=dict(n_samples=2, temperature=0.7)),
                   engine=dict(kind='openai', base_url=url, model='smollm2', api_key_env=None, response_format='json_object',
                               int_ranges_as_enums=True, concurrency=1))
        for client in ('old', 'new'):
            with one_at_a_time() if client == 'old' else contextlib.nullcontext():
                run_experiment(cfg, work / f'llama-{client}' / 'run', progress=False, cache=False)
            digests[client] = hashlib.sha256((work / f'llama-{client}' / 'run' / 'results.jsonl').read_bytes()).hexdigest()[:16]
    return dict(results_one_at_a_time=digests['old'], results_chunked=digests['new'], same_results=digests['old'] == digests['new'])

def machine() -> str:
    "The machine the table was measured on."
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--slots', type=int, nargs='+', default=[1, 8, 64, 256], help='the server sizes S')
    ap.add_argument('--base', type=float, default=0.2, help='seconds each request holds a slot')
    ap.add_argument('--probes', type=int, default=10, help='at least this many probes per S')
    ap.add_argument('--whole', action='store_true', help='also all 500 HelpSteer2 eval probes, paper protocol, chunked client, S = 64')
    ap.add_argument('--llamacpp', action='store_true', help="also llama.cpp's own server: both clients, the same results?")
    ap.add_argument('--chunked-only', action='store_true', help='only the chunked client (the one-at-a-time one takes hours on slow servers)')
    ap.add_argument('--out', type=Path, default=OUT)
    a = ap.parse_args(argv)
    hs = load_helpsteer2()
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        table = side_by_side(a.slots, a.base, a.probes, work, a.chunked_only)
        extra = dict(whole=whole(64, a.base, work) if a.whole else None, llamacpp=llamacpp(work) if a.llamacpp else None)
    a.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(a.out / 'throughput.csv', index=False)
    meta = dict(machine=machine(), base_s=a.base, probes=a.probes, attributes=len(hs.attributes), noise=NOISE, **extra)
    (a.out / 'throughput.json').write_text(json.dumps(meta, indent=1) + '\n')
    cols = ['protocol', 'slots', 'client', 'probes', 'requests', 'wall_s', 'achieved_rps', 'capacity_rps', 'of_capacity', 'peak_in_flight', 'same_results']
    md = [f"# Requests per second against a server of known capacity", '',
          f"Made by `bench/throughput.py` on {meta['machine']}: HelpSteer2 ({len(hs.attributes)} attributes), comparative regression "
          f"(steerable-pluralism profile), the simulated backbone (noise {NOISE}) behind `CapacityServer` in its own process (S slots, "
          f"{a.base} s per request; capacity S / {a.base} requests/s). Each row: one client on the same probes, requests/s from the server's "
          "first arrival to its last answer.", '', table[cols].to_markdown(index=False)]
    if extra['whole']: md += ['', '## All 500 probes, paper protocol, chunked client, S = 64', '', pd.DataFrame([extra['whole']]).to_markdown(index=False)]
    if extra['llamacpp']: md += ['', "## llama.cpp's server (SmolLM2), both clients", '', pd.DataFrame([extra['llamacpp']]).to_markdown(index=False)]
    (a.out / 'throughput.md').write_text('\n'.join(md) + '\n')
    print('\n'.join(md))

if __name__ == '__main__': main()
