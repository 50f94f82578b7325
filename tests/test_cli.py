"The command line, run as a user runs it (a subprocess of the installed entry point)."
import json, os, subprocess, sys
from pathlib import Path
import nbformat, pytest

BIN = Path(sys.executable).parent/'hindsight-nb'

def run(*args, cwd=None):
    "The CLI as a user runs it; without $ALFWORLD_DATA, so ALFWorld commands use the embedded games whatever the shell has."
    env = {k: v for k, v in os.environ.items() if k != 'ALFWORLD_DATA'}
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, cwd=cwd, timeout=300, env=env)

def make_chapter(root, body, chapter='hsl'):
    (root/'nbs'/chapter).mkdir(parents=True)
    (root/'settings.ini').write_text('[DEFAULT]\n')
    cells = [nbformat.v4.new_code_cell("profile = 'smoke'\nout_dir = None\nk = 1", metadata={'tags': ['parameters']}),
             nbformat.v4.new_code_cell(body)]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}}),
                   root/'nbs'/chapter/'01_x.ipynb')

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

def test_a_one_chapter_run_keeps_the_others_in_the_index(tmp_path):
    for c in ('hsl', 'hope'):
        make_chapter(tmp_path, "from hindsight_nb.reports import Report\nimport pandas as pd\n"
                               f"Report('{c}', out_dir, profile, seeds=[0], scale='toy').table(pd.DataFrame({{'k': [k]}}), 't')", c)
    out = tmp_path/'out'
    assert run('reproduce', '--out', str(out), '--quiet', cwd=tmp_path).returncode == 0
    r = run('reproduce', '--chapters', 'hope', '--out', str(out), '--quiet', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    index = (out/'index.md').read_text()
    assert '## hsl' in index and '## hope' in index and 'hsl/01_x.ipynb' in index and 'hope/01_x.ipynb' in index

def test_reproduce_failure_names_notebook_and_exits_nonzero(tmp_path):
    make_chapter(tmp_path, "raise RuntimeError('deliberate')")
    r = run('reproduce', '--out', str(tmp_path/'out'), '--quiet', cwd=tmp_path)
    assert r.returncode != 0
    assert '01_x.ipynb' in r.stderr and 'deliberate' in r.stderr
    assert '**FAILED**' in (tmp_path/'out'/'index.md').read_text()

def test_demos_and_evaluate_through_the_registry(tmp_path):
    "Any registered env (here the toy counter): demos resume, evaluate writes trajectories and the table, and resumes."
    from hindsight_nb.core import read_jsonl
    demos = tmp_path/'demos.jsonl'
    r = run('demos', '--env', 'counter', '--split', 'train', '--limit', '4', '--workers', '0', '--out', str(demos))
    assert r.returncode == 0, r.stderr
    assert len(read_jsonl(demos)) == 4 and 'success_rate' in r.stdout
    r = run('demos', '--env', 'counter', '--split', 'train', '--limit', '6', '--workers', '0', '--out', str(demos))
    assert r.returncode == 0 and '4/6' in r.stderr, r.stderr  # the progress bar starts at the 4 demos already there
    ds = read_jsonl(demos)
    assert len(ds) == len({d.task_id for d in ds}) == 6 and all(d.success for d in ds)
    from hindsight_nb.policy import train_tokenizer, corpus, build_model, save_policy
    tok = train_tokenizer(corpus(ds), vocab_size=300)
    save_policy(build_model(tok, 'tiny'), tok, tmp_path/'policy')
    ev = tmp_path/'eval.jsonl'
    args = ('evaluate', '--env', 'counter', '--env-arg', 'n_tasks=5', '--split', 'train', '--policy', str(tmp_path/'policy'),
            '--out', str(ev))
    r = run(*args)
    assert r.returncode == 0, r.stderr
    assert [t.task_id for t in read_jsonl(ev)] and len(read_jsonl(ev)) == 5
    table = (tmp_path/'eval.csv').read_text()
    assert table.splitlines()[0] == 'task_type,n,successes,success_rate,mean_score' and '\nall,5,' in table
    assert run(*args).returncode == 0 and len(read_jsonl(ev)) == 5     # resumed: nothing played again

def test_env_errors_are_named(tmp_path):
    r = run('demos', '--env', 'chess', '--split', 'x', '--out', str(tmp_path/'x.jsonl'))
    assert r.returncode == 2 and "invalid choice: 'chess'" in r.stderr
    r = run('demos', '--env', 'counter', '--env-arg', 'n_tasks', '--split', 'train', '--out', str(tmp_path/'x.jsonl'))
    assert r.returncode != 0 and '--env-arg takes KEY=VALUE' in r.stderr
    r = run('demos', '--env', 'webshop', '--split', 'test', '--limit', '1', '--out', str(tmp_path/'x.jsonl'))
    assert r.returncode != 0 and 'webshop has no expert demonstrations' in r.stderr and not (tmp_path/'x.jsonl').exists()

def test_demos_and_evaluate_on_embedded_alfworld(tmp_path):
    "The two ALFWorld jobs on the games shipped in the package: expert demos win; a (random, untrained) policy evaluates."
    demos = tmp_path/'demos.jsonl'
    r = run('demos', '--env', 'alfworld', '--split', 'valid_seen', '--limit', '2', '--out', str(demos))
    assert r.returncode == 0, r.stderr
    from hindsight_nb.core import read_jsonl
    ds = read_jsonl(demos)
    assert len(ds) == 2 and all(d.success and d.metadata['source'] == 'expert' for d in ds)
    from hindsight_nb.policy import train_tokenizer, corpus, build_model, save_policy
    tok = train_tokenizer(corpus(ds), vocab_size=500)
    save_policy(build_model(tok, 'tiny'), tok, tmp_path/'policy')
    r = run('evaluate', '--env', 'alfworld', '--split', 'valid_seen', '--limit', '2', '--policy', str(tmp_path/'policy'),
            '--out', str(tmp_path/'eval.jsonl'))
    assert r.returncode == 0, r.stderr
    assert len(read_jsonl(tmp_path/'eval.jsonl')) == 2
    from hindsight_nb.policy import save_decoding   # a released policy is evaluated with the decoding settings it carries
    save_decoding(tmp_path/'policy', greedy=True, max_prompt_tokens=256, max_steps=3)
    r = run('evaluate', '--env', 'alfworld', '--split', 'valid_seen', '--limit', '2', '--policy', str(tmp_path/'policy'),
            '--out', str(tmp_path/'eval3.jsonl'))
    assert r.returncode == 0, r.stderr
    assert [len(t) for t in read_jsonl(tmp_path/'eval3.jsonl')] == [3, 3]

def test_bad_split_is_named(tmp_path):
    r = run('demos', '--env', 'alfworld', '--split', 'nope', '--out', str(tmp_path/'x.jsonl'))
    assert r.returncode != 0 and 'nope' in r.stderr and 'valid_seen' in r.stderr
