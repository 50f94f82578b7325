"""Faults and bad input through the real CLI (a subprocess of the installed entry point) and the library: no silent
wrong result, no lost work, a clear error naming file/line/field."""
import json, os, subprocess, sys, warnings
from pathlib import Path
import pytest
from filelock import FileLock
from hindsight_nb.core import DataError, Step, Trajectory, from_sharegpt, read_jsonl

BIN = Path(sys.executable).parent/'hindsight-nb'

def run(*args, cwd=None, env=None):
    e = {k: v for k, v in os.environ.items() if k != 'ALFWORLD_DATA'}
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300, env={**e, **(env or {})})

@pytest.fixture(scope='module')
def policies(tmp_path_factory):
    "Two different tiny policies for the counter game."
    from hindsight_nb.policy import train_tokenizer, build_model, save_policy
    d = tmp_path_factory.mktemp('policies')
    texts = ['The counter shows 0. count to 3 inc dec Action: inc'] * 20
    tok = train_tokenizer(texts, vocab_size=200)
    return [save_policy(build_model(tok, 'tiny', seed=s), tok, d/f'p{s}') for s in (0, 1)]

def evaluate(policy, out, *extra):
    return run('evaluate', '--env', 'counter', '--env-arg', 'n_tasks=3', '--split', 'train', '--workers', '0',
               '--policy', policy, '--out', out, *extra)

# -- 1. silent wrong results ---------------------------------------------------------------------------------------
def test_evaluate_refuses_a_checkpoint_of_another_policy(tmp_path, policies):
    a, b = policies
    out = tmp_path/'ev.jsonl'
    assert evaluate(a, out).returncode == 0
    first = out.read_text()
    r = evaluate(b, out)
    assert r.returncode != 0 and 'written by a different run (policy:' in r.stderr and '--restart' in r.stderr
    assert out.read_text() == first                                     # A's episodes untouched, not reported as B's
    r = evaluate(b, out, '--restart')
    assert r.returncode == 0 and len(read_jsonl(out)) == 3 and out.read_text() != first
    assert evaluate(b, out).returncode == 0                             # same policy: resumes

def test_evaluate_refuses_a_changed_decoding_or_env_setting(tmp_path, policies):
    from hindsight_nb.policy import save_decoding
    import shutil
    p = Path(shutil.copytree(policies[0], tmp_path/'p'))
    out = tmp_path/'ev.jsonl'
    assert evaluate(p, out).returncode == 0
    r = run('evaluate', '--env', 'counter', '--env-arg', 'n_tasks=4', '--split', 'train', '--workers', '0', '--policy', p, '--out', out)
    assert r.returncode != 0 and 'env_args' in r.stderr
    save_decoding(p, max_steps=2)
    r = evaluate(p, out)
    assert 'written by a different run' in r.stderr and 'policy: ' in r.stderr

def test_concurrent_writers_are_locked_out(tmp_path, policies):
    out = tmp_path/'ev.jsonl'
    with FileLock(str(out) + '.lock'):                                  # another run is writing it
        r = evaluate(policies[0], out)
    assert r.returncode != 0 and 'is being written by another run' in r.stderr and not out.exists()

def test_a_checkpoint_without_provenance_is_refused(tmp_path, policies):
    out = tmp_path/'ev.jsonl'
    out.write_text(Trajectory(id='counter/train-0/s0', env='counter', task_id='train-0', instruction='x').model_dump_json() + '\n')
    r = evaluate(policies[0], out)
    assert r.returncode != 0 and 'no record (ev.jsonl.run.json) of the run that wrote it' in r.stderr

# -- 3. lost work --------------------------------------------------------------------------------------------------
def demos(out, *extra): return run('demos', '--env', 'counter', '--split', 'train', '--workers', '0', '--out', out, *extra)

def test_demos_checks_the_output_path_before_any_work(tmp_path):
    (tmp_path/'file').write_text('x')
    r = demos(tmp_path/'file'/'demos.jsonl', '--limit', '2')
    assert r.returncode != 0 and 'cannot create its folder' in r.stderr and 'Traceback' not in r.stderr
    assert 'expert demos' not in r.stderr                               # no progress bar: nothing was played
    r = demos(tmp_path, '--limit', '2')
    assert r.returncode != 0 and 'is a folder' in r.stderr

def test_demos_resume_after_a_torn_last_line_and_are_keyed(tmp_path):
    out = tmp_path/'demos.jsonl'
    assert demos(out, '--limit', '4').returncode == 0
    with out.open('a') as f: f.write('{"id": "counter/train-9/s0", "env": "cou')   # killed mid-write
    r = demos(out, '--limit', '6')
    assert r.returncode == 0 and 'dropped a cut-off last line' in r.stderr
    ds = read_jsonl(out)
    assert len(ds) == len({d.task_id for d in ds}) == 6
    r = run('demos', '--env', 'counter', '--split', 'train', '--workers', '0', '--out', out, '--seed', '1')
    assert r.returncode != 0 and 'seed: 0 there, 1 now' in r.stderr

def test_demos_checkpoint_every_chunk(tmp_path):
    "A kill loses at most a chunk: the file grows chunk by chunk (here: the 3rd chunk's environment crashes)."
    from hindsight_nb.envs.base import CounterEnv
    class Crashing(CounterEnv):
        calls = 0
        def expert_demos(self, **kw):
            Crashing.calls += 1
            if Crashing.calls == 3: raise KeyboardInterrupt
            return super().expert_demos(**kw)
    out = tmp_path/'d.jsonl'
    with pytest.raises(KeyboardInterrupt): Crashing().expert_demos_file(out, 'train', 10, chunk=2, n_workers=0, progress=False, key={})
    assert len(read_jsonl(out)) == 4
    assert len(Crashing().expert_demos_file(out, 'train', 10, chunk=2, n_workers=0, progress=False, key={})) == 10

def test_error_episodes_are_retried_on_resume_up_to_a_limit(tmp_path):
    from hindsight_nb.envs.base import CounterEnv
    from hindsight_nb.envs.rollout import rollout, ReplayPolicy
    ck, tasks = tmp_path/'ck.jsonl', ['train-0', 'train-1']
    boom = ReplayPolicy({'train-0': ['boom'], 'train-1': ['inc', 'inc']})
    for tries in (1, 2):
        with pytest.warns(UserWarning, match='1 of 2 episodes ended in an error'):
            r = rollout(CounterEnv, boom, tasks, n_workers=0, progress=False, checkpoint=ck, retry_errors=1)
        assert r[0].metadata.get('tries', 1) == tries and 'boom' in r[0].metadata['error']
    with pytest.warns(UserWarning, match='they are recorded as failures'):   # the limit: not retried a third time
        r = rollout(CounterEnv, boom, tasks, n_workers=0, progress=False, checkpoint=ck, retry_errors=1)
    assert r[0].metadata['tries'] == 2 and len(read_jsonl(ck)) == 2

def test_an_incomplete_policy_folder_is_named(tmp_path, policies):
    half = tmp_path/'half'; half.mkdir()
    (half/'config.json').write_text((policies[0]/'config.json').read_text())
    r = evaluate(half, tmp_path/'ev.jsonl')
    assert r.returncode != 0 and 'incomplete policy folder, no model weights' in r.stderr and 'sentencepiece' not in r.stderr
    (half/'config.json').write_text((policies[0]/'config.json').read_text()[:30])
    r = evaluate(half, tmp_path/'ev.jsonl')
    assert r.returncode != 0 and 'config.json: not valid JSON' in r.stderr and 'Traceback' not in r.stderr

# -- 5. unclear errors -----------------------------------------------------------------------------------------------
def test_read_jsonl_names_file_line_and_cause(tmp_path):
    t = Trajectory(id='a', env='e', task_id='a', instruction='x', steps=[Step(observation='o', action='look')])
    f = tmp_path/'t.jsonl'
    f.write_bytes(t.model_dump_json().encode() + b'\n{"id": "caf\xe9"}\n')
    with pytest.raises(DataError, match=r't.jsonl:2: not UTF-8 text \(byte 0xe9 at column 12\)'): read_jsonl(f)
    f.write_text(t.model_dump_json() + '\n' + t.model_dump_json()[:25])
    with pytest.raises(DataError, match=r't.jsonl:2: not valid JSON \(.* at column \d+; the line is cut off'): read_jsonl(f)

@pytest.mark.parametrize('rec,msg', [
    ({'conversations': [{'from': 'human', 'value': 'hi'}]}, "without an id: no field 'id'"),
    ({'id': 'r1', 'conversations': [{'from': 'human', 'value': None}]}, "'r1': conversations[0].value must be text, got NoneType"),
    ({'id': 'r1', 'conversations': 'hello'}, "'r1': field 'conversations' must be a list of turns, got str"),
    ({'id': 'r1', 'conversations': [{'from': 'gpt', 'value': 'Action: look'}, {'from': 'human', 'value': 'o'}]},
     "'r1': turn 0: 'assistant' where a 'user' turn is expected"),
    ({'id': 'r1', 'conversations': [{'from': 'human', 'value': 'o'}, {'from': 'tool', 'value': 'x'}]}, "'r1': conversations[1].from is 'tool'"),
], ids=['no-id', 'null-value', 'string-conversations', 'gpt-first', 'unknown-role'])
def test_from_sharegpt_names_record_and_field(tmp_path, rec, msg):
    with pytest.raises(DataError) as e: from_sharegpt(rec)
    assert msg in str(e.value)
    from hindsight_nb.core import read_sharegpt
    (tmp_path/'d.json').write_text(json.dumps([rec]))
    with pytest.raises(DataError, match=r'd.json: record 1: '): read_sharegpt(tmp_path/'d.json')

# -- 4. bad input refused up front ---------------------------------------------------------------------------------
def make_chapter(root, name='01_x', params="profile = 'smoke'\nout_dir = None\nk = 1\nsettings = {}",
                 body="from hindsight_nb.experiment import settings_from\nfrom hindsight_nb.agent import AgentSettings\n"
                      "s = settings_from(AgentSettings, settings)\nopen(f'{out_dir}/ran-{k}', 'w').write(str(s.epochs))"):
    import nbformat
    (root/'nbs'/'hsl').mkdir(parents=True, exist_ok=True)
    (root/'settings.ini').write_text('[DEFAULT]\n')
    cells = [nbformat.v4.new_code_cell(params, metadata={'tags': ['parameters']}), nbformat.v4.new_code_cell(body)]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}}),
                   root/'nbs'/'hsl'/f'{name}.ipynb')

@pytest.mark.parametrize('args,msg', [
    (['--set', 'k=[0,'], '--set k=[0,: not valid JSON'),
    (['--set', 'k=abc'], '--set k=abc: not valid JSON, and 01_x.ipynb expects a int'),
    (['--set', 'settings.epochz=3'], "unknown setting 'epochz'"),
    (['--set', 'settings.epochs=many'], 'AgentSettings.epochs is a int'),
    (['--set', 'nope=1'], "no notebook to run has a parameter 'nope'"),
    (['--only', '01_x', '02_typo'], '--only 02_typo: no reproduction notebook or variant of that name'),
], ids=['broken-json', 'text-for-int', 'unknown-setting', 'text-for-int-setting', 'unknown-parameter', 'unknown-only'])
def test_reproduce_refuses_bad_input_before_running(tmp_path, args, msg):
    make_chapter(tmp_path)
    r = run('reproduce', '--out', tmp_path/'out', '--quiet', *args, cwd=tmp_path)
    assert r.returncode != 0 and msg in r.stderr, r.stderr
    assert not (tmp_path/'out'/'hsl'/'notebooks').exists()             # nothing ran

def test_reproduce_takes_good_settings(tmp_path):
    make_chapter(tmp_path)
    r = run('reproduce', '--out', tmp_path/'out', '--quiet', '--set', 'k=2', 'settings.epochs=7', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path/'out'/'ran-2').read_text() == '7'

@pytest.mark.parametrize('limit', ['0', '-1'])
def test_demos_limit_must_be_positive_and_keeps_the_file(tmp_path, limit):
    out = tmp_path/'d.jsonl'; out.write_text('keep me\n')
    r = demos(out, '--limit', limit)
    assert r.returncode == 2 and 'must be a positive integer' in r.stderr and out.read_text() == 'keep me\n'

# -- 6. reports written atomically; --only updates its own rows of index.md ---------------------------------------
def test_only_run_updates_its_rows_of_the_index(tmp_path):
    make_chapter(tmp_path, '01_x'); make_chapter(tmp_path, '02_y')
    out = tmp_path/'out'
    assert run('reproduce', '--out', out, '--quiet', cwd=tmp_path).returncode == 0
    rows = lambda: [l for l in (out/'index.md').read_text().splitlines() if l.startswith('| hsl/')]
    before = rows()
    assert [r.split(' | ')[0] for r in before] == ['| hsl/01_x.ipynb', '| hsl/02_y.ipynb']
    r = run('reproduce', '--out', out, '--quiet', '--only', '02_y', '--set', 'k=5', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    after = rows()
    assert after[0] == before[0] and '{"k": 5}' in after[1] and 'all notebooks succeeded' in (out/'index.md').read_text()

def test_report_files_are_replaced_atomically(tmp_path):
    "A reader holding a report file open keeps reading the old file whole: the new one is renamed in, never written in place."
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt, pandas as pd
    from hindsight_nb.reports import Report
    rep, d = Report('hsl', tmp_path, seeds=[0]), tmp_path/'hsl'
    rep.table(pd.DataFrame({'a': [1]}), 't', 'first'); rep.figure(plt.figure(), 'f')
    files = [d/'t.csv', d/'t.md', d/'manifest.json', d/'f.png']
    old, handles = {f: f.read_bytes() for f in files}, {f: open(f, 'rb') for f in files}
    fig, ax = plt.subplots(); ax.plot([0, 1])
    rep.table(pd.DataFrame({'a': [2]}), 't', 'second'); rep.figure(fig, 'f')
    for f, h in handles.items():
        assert h.read() == old[f] != f.read_bytes(), f.name; h.close()
    assert not list(d.glob('.*'))                                        # no temporary file left

# -- 7. make lab runs as root ----------------------------------------------------------------------------------------
def test_make_lab_starts_even_as_root(tmp_path):
    "The command `make lab` runs (dry-run to read it), started for real until JupyterLab prints its URL."
    import select, signal, time
    root, venv = Path(__file__).resolve().parents[1], Path(sys.executable).parent.parent
    clean = {k: v for k, v in os.environ.items() if k not in ('MAKEFLAGS', 'MAKELEVEL', 'MFLAGS')}  # also under `make test`
    made = subprocess.run(['make', '--no-print-directory', '-n', 'lab', f'VENV={venv}', 'LAB_PORT=18999'],
                          capture_output=True, text=True, cwd=root, env=clean)
    cmd = next(l for l in made.stdout.splitlines() if ' lab nbs' in l).split()
    assert cmd[1:3] == ['lab', 'nbs'] and ('--allow-root' in cmd) == (os.getuid() == 0)
    env = {**os.environ, **{k: str(tmp_path/k) for k in ('JUPYTER_RUNTIME_DIR', 'JUPYTER_CONFIG_DIR', 'JUPYTER_DATA_DIR')}}
    p = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)
    out, t0 = '', time.time()
    try:
        while time.time() - t0 < 120 and 'http://127.0.0.1:18999/lab' not in out and p.poll() is None:
            if select.select([p.stdout], [], [], 1)[0]: out += p.stdout.readline()
        assert 'http://127.0.0.1:18999/lab' in out, out[-2000:]
        assert 'Running as root is not recommended' not in out
    finally:
        os.killpg(p.pid, signal.SIGTERM); p.wait(30)
