"The command line, run as a user runs it (a subprocess of the installed entry point)."
import json, os, subprocess, sys
from pathlib import Path
import nbformat, pytest

BIN = Path(sys.executable).parent/'hindsight-nb'

def run(*args, cwd=None):
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, cwd=cwd, timeout=300)

def make_chapter(root, body):
    (root/'nbs'/'hsl').mkdir(parents=True)
    (root/'settings.ini').write_text('[DEFAULT]\n')
    cells = [nbformat.v4.new_code_cell("profile = 'smoke'\nout_dir = None\nk = 1", metadata={'tags': ['parameters']}),
             nbformat.v4.new_code_cell(body)]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}}),
                   root/'nbs'/'hsl'/'01_x.ipynb')

def test_help_lists_subcommands():
    r = run('--help')
    assert r.returncode == 0 and all(c in r.stdout for c in ('reproduce', 'demos', 'evaluate'))

def test_unknown_profile_is_rejected():
    r = run('reproduce', '--profile', 'huge')
    assert r.returncode == 2 and "invalid choice: 'huge'" in r.stderr

def test_reproduce_writes_artifacts_and_index(tmp_path):
    make_chapter(tmp_path, "from hindsight_nb.reports import Report\nimport pandas as pd\n"
                           "Report('hsl', out_dir, profile, seeds=[0], scale='toy').table(pd.DataFrame({'k': [k]}), 't')")
    r = run('reproduce', '--out', str(tmp_path/'out'), '--quiet', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path/'out'
    assert (out/'hsl'/'t.csv').exists() and (out/'hsl'/'notebooks'/'01_x.ipynb').exists()
    assert 'all notebooks succeeded' in (out/'index.md').read_text()

def test_reproduce_failure_names_notebook_and_exits_nonzero(tmp_path):
    make_chapter(tmp_path, "raise RuntimeError('deliberate')")
    r = run('reproduce', '--out', str(tmp_path/'out'), '--quiet', cwd=tmp_path)
    assert r.returncode != 0
    assert '01_x.ipynb' in r.stderr and 'deliberate' in r.stderr
    assert '**FAILED**' in (tmp_path/'out'/'index.md').read_text()
