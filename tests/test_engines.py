"Engines from the outside: the GGUF conversion cache and the generation cache across processes."
import json, os, subprocess, sys

import pytest

from align_nb.sources import smollm2_path

SCHEMA = dict(type='object', required=['choice', 'score'], additionalProperties=False,
              properties=dict(choice=dict(enum=['A', 'B']), score=dict(type='integer', minimum=0, maximum=100)))

@pytest.mark.llm
def test_gguf_conversion_is_cached(tmp_path, monkeypatch):
    "The first load converts the GGUF to safetensors in the cache; the second loads that copy without touching the GGUF."
    monkeypatch.setenv('ALIGN_NB_CACHE', str(tmp_path))
    import transformers
    from align_nb import hf_engine
    first = hf_engine.TransformersEngine(cache=False)
    (converted,) = (tmp_path / 'converted').iterdir()
    assert (converted / 'config.json').is_file() and list(converted.glob('*.safetensors'))
    calls = []
    real = transformers.AutoModelForCausalLM.from_pretrained
    monkeypatch.setattr(hf_engine.AutoModelForCausalLM, 'from_pretrained', lambda *a, **kw: calls.append((a, kw)) or real(*a, **kw))
    second = hf_engine.TransformersEngine(cache=False)
    assert [a[0] for a, kw in calls] == [converted] and not any('gguf_file' in kw for _, kw in calls)
    assert second.fingerprint == first.fingerprint
    q = [dict(role='user', content='Is Paris in France? Pick A for yes, B for no, and score your confidence.')]
    assert first.generate_json([q], SCHEMA)[0][0].text == second.generate_json([q], SCHEMA)[0][0].text

RUN = '''
import json, sys
from align_nb.hf_engine import TransformersEngine
e = TransformersEngine(sys.argv[1], cache=sys.argv[2])
out = e.generate_json(['Pick one.', 'Score it.'], json.loads(sys.argv[3]), n_samples=3, temperature=1.0, max_tokens=40, seed=7)
print(json.dumps(dict(texts=[[s.text for s in r] for r in out], calls=e.usage.calls, hits=e.usage.cache_hits)))
'''

def test_generation_cache_across_processes(tmp_path):
    "A second process with the same model, prompts, schema and seed makes zero model calls and gets the same samples."
    from align_nb.hf_engine import make_tiny_model
    model = make_tiny_model(tmp_path / 'tiny')
    run = lambda: json.loads(subprocess.run([sys.executable, '-c', RUN, str(model), str(tmp_path / 'cache'), json.dumps(SCHEMA)],
                                            capture_output=True, text=True, check=True).stdout.splitlines()[-1])
    a, b = run(), run()
    assert (a['calls'], a['hits']) == (6, 0) and (b['calls'], b['hits']) == (0, 6)
    assert a['texts'] == b['texts']
