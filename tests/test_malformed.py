"Every loader rejects a malformed file — missing field, wrong type, out-of-range label, empty choices — naming the file and the record."
import copy, json, shutil

import pandas as pd
import pytest

from align_nb.core import DataError
from align_nb.benchmarks import load_helpsteer2, load_itm, load_mic, load_naacl24, load_opinionqa
from align_nb.synthetic_raw import make_synthetic_mic

KINDS = ['missing field', 'wrong type', 'out of range', 'empty choices']

def _json_case(data_root, tmp_path, rel, corrupt, kind):
    "Copy the first three records of a real file to a temporary root, corrupting record 1 with `corrupt[kind]`."
    recs = json.loads((data_root / rel).read_text())[:3]
    recs[1] = corrupt[kind](copy.deepcopy(recs[1]))
    (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / rel).write_text(json.dumps(recs))
    return tmp_path

def _set(record, path, value):
    "Set the nested key `path` (a list of keys) of `record` to `value` (`KeyError`: delete it); returns `record`."
    d = record
    for k in path[:-1]: d = d[k]
    if value is KeyError: del d[path[-1]]
    else: d[path[-1]] = value
    return record

def _all_kdma(record, value):
    "Set every KDMA value of every choice of an ALIGN record to `value`."
    for c in record['input']['choices']:
        for k in c.get('kdma_association') or {}: c['kdma_association'][k] = value
    return record

HS2 = {'missing field': lambda r: _set(r, ['prompt'], KeyError), 'wrong type': lambda r: _set(r, ['responses'], 'two responses'),
       'out of range': lambda r: _set(r, ['labels', 0, 'coherence'], 1.25), 'empty choices': lambda r: dict(r, responses=[], labels=[])}

ALIGN = {
    'missing field': lambda r: _set(r, ['input', 'choices', 0, 'unstructured'], KeyError),
    'wrong type': lambda r: _set(r, ['input', 'choices'], 'A or B'),
    'out of range': lambda r: _all_kdma(r, 1.5),
    'empty choices': lambda r: _set(r, ['input', 'choices'], []),
}

NAACL = {'missing field': lambda r: _set(r, [0, 'scenario'], KeyError), 'wrong type': lambda r: _set(r, [0, 'choices'], 'A or B'),
         'out of range': lambda r: _set(r, [1, 0], {k: 11.0 for k in r[1][0]}), 'empty choices': lambda r: [dict(r[0], choices=[]), []]}

@pytest.mark.parametrize('kind', KINDS)
def test_helpsteer2(data_root, tmp_path, kind):
    root = _json_case(data_root, tmp_path, 'helpsteer2/eval.json', HS2, kind)
    with pytest.raises(DataError, match=r'helpsteer2/eval\.json: record 1:'): load_helpsteer2(root=root)

@pytest.mark.parametrize('kind', KINDS)
def test_opinionqa(data_root, tmp_path, kind):
    root = _json_case(data_root, tmp_path, 'opinionqa/SEX_Male.json', ALIGN, kind)
    shutil.copytree(data_root / 'opinionqa' / 'questions', root / 'opinionqa' / 'questions')
    with pytest.raises(DataError, match=r'SEX_Male\.json: record 1:'): load_opinionqa(groups=['SEX_Male'], root=root)

@pytest.mark.parametrize('kind', KINDS)
def test_itm(data_root, tmp_path, kind):
    root = _json_case(data_root, tmp_path, 'triage/itm/phase1/qol_all_20241217.json', ALIGN, kind)
    with pytest.raises(DataError, match=r'qol_all_20241217\.json: record 1:'): load_itm('phase1', root=root)

@pytest.mark.parametrize('kind', KINDS)
def test_naacl24(data_root, tmp_path, kind):
    root = _json_case(data_root, tmp_path, 'triage/naacl24/paper-dataset-1-12.json', NAACL, kind)
    with pytest.raises(DataError, match=r'paper-dataset-1-12\.json: record 1:'): load_naacl24(root=root)

MIC_BAD = {
    'missing field': ('A', None),
    'wrong type': ('moral-vector', 'care'),
    'out of range': ('A_agrees', '3'),
    'empty choices': ('A', ''),
}

@pytest.mark.parametrize('kind', KINDS)
def test_mic(tmp_path, kind):
    df = pd.read_csv(make_synthetic_mic(tmp_path / 'MIC.csv', n_questions=40), dtype=str, keep_default_na=False)
    col, val = MIC_BAD[kind]
    if val is None: df = df.drop(columns=[col])
    else: df.loc[3, col] = val
    df.to_csv(tmp_path / 'bad.csv', index=False)
    with pytest.raises(DataError, match=r'bad\.csv: record (header|line 5):'): load_mic(csv_path=tmp_path / 'bad.csv')
