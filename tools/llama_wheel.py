"""Install llama-cpp-python from a wheel built once per machine, version and build flags.

llama-cpp-python has no binary wheel here: pip compiles llama.cpp from source (about ten minutes on two cores). pip's own wheel
cache cannot be trusted with it, because its key ignores CMAKE_ARGS: a wheel built natively on a CPU with AMX (which segfaults,
ggml-org/llama.cpp#20824) would come back for a build that asked for AVX2. So the wheel is built into a folder of its own whose
name holds the version and a digest of the flags, and installed from there; another version or other flags build a new one.

    python tools/llama_wheel.py --pip .venv/bin/pip --spec 'llama-cpp-python[server]>=0.3.2' --cmake-args='-DGGML_NATIVE=OFF ...'
"""
import argparse, hashlib, json, os, re, shutil, subprocess, sys
from pathlib import Path

def resolved_version(pip: str, spec: str) -> str:
    "The version pip would install for `spec` (its own resolution: index, find-links and all), without installing anything."
    out = subprocess.run([pip, 'install', '--dry-run', '--quiet', '--no-deps', '--ignore-installed', '--report', '-', spec],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)['install'][0]['metadata']['version']

def wheel_dir(cache: Path, version: str, cmake_args: str) -> Path:
    "The folder of the wheel built for this version and these flags."
    return cache / f"llama-cpp-python-{version}-{hashlib.sha256(cmake_args.encode()).hexdigest()[:12]}"

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--pip', required=True, help="the environment's pip")
    ap.add_argument('--spec', default='llama-cpp-python[server]>=0.3.2', help='requirement, extras included')
    ap.add_argument('--cmake-args', default='', help='CMAKE_ARGS for the build (part of the cache key)')
    ap.add_argument('--cache', default=os.environ.get('ALIGN_NB_WHEELS') or Path.home() / '.cache' / 'align_nb' / 'wheels',
                    help='where built wheels are kept (default: $ALIGN_NB_WHEELS or ~/.cache/align_nb/wheels)')
    a = ap.parse_args(argv)
    name, extras = re.match(r'([A-Za-z0-9_.-]+)(\[[^]]*\])?', a.spec).groups()
    version = resolved_version(a.pip, a.spec)
    folder = wheel_dir(Path(a.cache), version, a.cmake_args)
    wheels = sorted(folder.glob('*.whl'))
    if not wheels:
        print(f"building {name}=={version} with CMAKE_ARGS={a.cmake_args!r} into {folder} (once per machine, version and flags)")
        tmp = folder.with_name(folder.name + '.partial')
        shutil.rmtree(tmp, ignore_errors=True)  # what a killed build left
        subprocess.run([a.pip, 'wheel', '--no-deps', '--no-cache-dir', '-w', str(tmp), f'{name}=={version}'], check=True,
                       env=dict(os.environ, CMAKE_ARGS=a.cmake_args))
        tmp.rename(folder)  # only a finished build becomes the cached wheel
        wheels = sorted(folder.glob('*.whl'))
    else: print(f"{name}=={version}: using the wheel built earlier with these flags ({wheels[0].name} in {folder})")
    subprocess.run([a.pip, 'install', '-q', f"{wheels[0]}{extras or ''}"], check=True)

if __name__ == '__main__': sys.exit(main())
