"House style of the sources: readable line width in every notebook code cell and Python file."
import io, json, tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTH = 140  # a line may run past this only by the length of one string literal (a one-line docstring, a message)

def too_wide(code: str) -> list[str]:
    "Lines of `code` wider than `WIDTH` that would fit without their longest string literal."
    longest = {}
    for t in tokenize.generate_tokens(io.StringIO(code).readline):
        if t.type == tokenize.STRING and t.start[0] == t.end[0]:
            longest[t.start[0]] = max(longest.get(t.start[0], 0), t.end[1] - t.start[1])
    return [l for i, l in enumerate(code.split('\n'), 1) if len(l) > WIDTH and len(l) - longest.get(i, 0) > WIDTH]

def cells(nb: Path):
    "Code cells of `nb` as Python (IPython magics and shell lines blanked)."
    for c in json.loads(nb.read_text())['cells']:
        if c['cell_type'] == 'code':
            yield '\n'.join('' if l.lstrip().startswith(('%', '!')) else l for l in ''.join(c['source']).split('\n'))

def test_lines_are_readable():
    wide = {f"{nb.relative_to(ROOT)}: {l.strip()[:80]}" for nb in (ROOT / 'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in nb.parts
            for code in cells(nb) for l in too_wide(code)}
    wide |= {f"{p.relative_to(ROOT)}: {l.strip()[:80]}" for d in ('tests', 'bench', 'tools') for p in (ROOT / d).glob('*.py')
             for l in too_wide(p.read_text())}
    assert not wide, sorted(wide)

def test_the_check_catches_a_wide_line():
    assert too_wide('x = 1\n' + 'y = [' + ', '.join(['1'] * 60) + ']') and not too_wide('f("' + 'a' * 200 + '")')
