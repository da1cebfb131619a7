"Shared fixtures: the benchmark data folder the tests read."
import os
from pathlib import Path

import pytest

@pytest.fixture(scope='session')
def data_root() -> Path:
    "The real benchmark data ($ALIGN_NB_DATA, set by the Makefile to ../shared/data)."
    root = os.environ.get('ALIGN_NB_DATA')
    if not root or not Path(root).is_dir():
        pytest.fail('ALIGN_NB_DATA must point at the benchmark data folder (make test sets it to ../shared/data)')
    return Path(root)
