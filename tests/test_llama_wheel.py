"""tools/llama_wheel.py: llama-cpp-python is built once per version and build flags, and a wheel built with other flags is never reused.

A stand-in `pip` (a script that records its calls and fakes a build) lets the test see every decision without compiling llama.cpp."""
import json, subprocess, sys
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / 'tools' / 'llama_wheel.py'

FAKE_PIP = r'''#!/usr/bin/env python3
import json, os, sys
from pathlib import Path
log = Path(os.environ['FAKE_PIP_LOG'])
log.open('a').write(json.dumps(dict(argv=sys.argv[1:], cmake_args=os.environ.get('CMAKE_ARGS'))) + '\n')
args = sys.argv[1:]
if '--dry-run' in args: print(json.dumps(dict(install=[dict(metadata=dict(name='llama_cpp_python', version=os.environ['FAKE_VERSION']))])))
elif args[0] == 'wheel':
    out = Path(args[args.index('-w') + 1]); out.mkdir(parents=True, exist_ok=True)
    (out / f"llama_cpp_python-{os.environ['FAKE_VERSION']}-cp311-cp311-linux_x86_64.whl").write_text('built')
'''

def run(tmp: Path, version: str, flags: str) -> list[dict]:
    "Run the tool with the fake pip; the pip calls it made."
    pip, log = tmp / 'pip', tmp / f'log-{version}-{len(list(tmp.glob("log-*")))}.jsonl'
    pip.write_text(FAKE_PIP); pip.chmod(0o755)
    env = dict(FAKE_PIP_LOG=str(log), FAKE_VERSION=version, PATH='/usr/bin:/bin')
    subprocess.run([sys.executable, str(TOOL), '--pip', str(pip), f'--cmake-args={flags}', '--cache', str(tmp / 'wheels')],
                   check=True, env=env, capture_output=True, text=True)
    return [json.loads(l) for l in log.read_text().splitlines()]

def builds(calls: list[dict]) -> list[dict]: return [c for c in calls if c['argv'][0] == 'wheel']

def test_built_once_per_version_and_flags(tmp_path):
    avx2 = '-DGGML_NATIVE=OFF -DGGML_AVX2=ON'
    first = run(tmp_path, '0.3.36', avx2)
    assert [c['cmake_args'] for c in builds(first)] == [avx2]  # built with the flags asked for
    assert first[-1]['argv'][:2] == ['install', '-q'] and first[-1]['argv'][2].endswith('.whl[server]')
    assert builds(run(tmp_path, '0.3.36', avx2)) == []  # the same version and flags: installed from the cached wheel
    assert len(builds(run(tmp_path, '0.3.36', '-DGGML_NATIVE=ON'))) == 1  # other flags: never the AVX2 wheel
    assert len(builds(run(tmp_path, '0.3.37', avx2))) == 1  # a new release: built again
    assert len(list((tmp_path / 'wheels').iterdir())) == 3
