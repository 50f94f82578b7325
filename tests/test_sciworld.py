"""ScienceWorld adapter on the real simulator: gold paths, resume from an expert state, splits, JVM hygiene."""
import os, signal, subprocess, sys, time, textwrap
import pytest
from hindsight_nb.envs.sciworld import SciWorldEnv, parse_task_id
from hindsight_nb.envs.rollout import ReplayPolicy

# one test variation (the first in ETO's test split) of each of 10 task types
TYPES = ['task-1-boil', 'task-10-use-thermometer', 'task-2-power-component', 'task-2a-test-conductivity',
         'task-3-find-animal', 'task-4-grow-plant', 'task-5-chemistry-mix', 'task-6-lifespan-(longest-lived)',
         'task-7-identify-life-stages-1', 'task-10-measure-melting-point-(known-substance)']

def _alive(pid):
    try: os.kill(pid, 0)
    except ProcessLookupError: return False
    return True

def _children_jvms():
    "scienceworld JVMs whose parent is this test process."
    r = subprocess.run(['pgrep', '-P', str(os.getpid()), '-f', 'scienceworld'], capture_output=True, text=True)
    return [int(x) for x in r.stdout.split()]

@pytest.fixture(scope='module')
def env():
    e = SciWorldEnv()
    yield e
    e.close()

@pytest.fixture(scope='module')
def sample(env):
    test = env.tasks('test')
    return [next(t for t in test if parse_task_id(t)[0] == ty) for ty in TYPES]

def test_gold_paths_score_100(env, sample):
    for tid in sample:
        d = env.gold_demo(tid)
        assert (d.success, d.score) == (True, 100.0), (tid, d.score, d.actions)
        assert d.metadata['source'] == 'expert' and d.steps[-1].done and d.steps[-1].info['won']
        assert len(d) <= d.metadata['gold_len'] and d.metadata['max_steps'] >= d.metadata['gold_len']

def test_gold_never_cut_off(env):
    # ETO's limit for freeze is 80 steps; the gold path of this variation is longer
    tid = 'task-1-freeze/21'
    assert len(env.gold(tid)) > env.step_limit(tid)
    d = env.gold_demo(tid)
    assert d.success and not d.steps[-1].info['truncated']
    [x] = env.expert_demos(task_ids=[tid], n_workers=0, progress=False)    # through the rollout engine: the same
    assert x.success and len(x) > env.step_limit(tid) and not x.steps[-1].info['truncated'] and x.metadata['source'] == 'expert'

@pytest.mark.parametrize('tid', ['task-1-boil/21', 'task-4-grow-plant/93', 'task-3-find-animal/225'])
def test_resume_from_expert_state(env, tid):
    gold = env.gold_demo(tid).actions
    k = len(gold) // 2
    obs, ins, info = env.replay(tid, gold[:k], max_steps=env.gold_limit(tid))
    assert info['replayed'] == k and not info['done']
    for a in gold[k:]:
        obs, r, done, info = env.step(a)
    assert (done, info['won'], info['score']) == (True, True, 100)

def test_replayed_state_is_the_expert_state(env):
    tid = 'task-5-chemistry-mix/24'
    d = env.gold_demo(tid)
    for k in (0, 3, len(d) - 1):
        obs, ins, info = env.replay(tid, d.actions[:k])
        assert obs == (d.steps[k].observation if k else env.reset(tid)[0])
        assert ins == d.instruction

def test_errors(env):
    with pytest.raises(ValueError, match=r"unknown split 'valid'.*known splits: \['dev', 'test', 'train'\]"):
        env.tasks('valid')
    with pytest.raises(ValueError, match='expected "task_name/variation"'): env.reset('task-1-boil')
    with pytest.raises(ValueError, match='unknown ScienceWorld task'): env.reset('task-1-bake/1')
    with pytest.raises(ValueError, match='out of range'): env.reset('task-1-boil/99999')
    with pytest.raises(ValueError): SciWorldEnv(splits='mine')

def test_scienceworld_splits():
    with SciWorldEnv(splits='scienceworld') as e:
        n = e.splits()
        assert set(n) == {'train', 'dev', 'test'} and all(v > 1000 for v in n.values())
        tid = e.tasks('dev')[0]
        obs, ins, info = e.reset(tid)
        assert info['max_steps'] == e.step_limit(tid) and obs

def test_evaluate_with_rollout_workers(env):
    # ReplayPolicy on gold paths through `evaluate` (rollout engine, one JVM per worker process). Episodes keep
    # ETO's per-task limits, so a gold path longer than its limit is truncated (these tasks have both kinds).
    tids = ['task-1-melt/28', 'task-4-grow-plant/102', 'task-7-identify-life-stages-1/12']
    gold = {t: env.gold_demo(t).actions for t in tids}
    fits = [len(gold[t]) <= env.step_limit(t) for t in tids]
    assert True in fits and False in fits
    trajs, table = env.evaluate(ReplayPolicy(gold), task_ids=tids, seed=1, n_workers=2, progress=False)
    assert [t.task_id for t in trajs] == tids and table.loc['all', 'n'] == 3
    assert [t.success for t in trajs] == fits
    assert [t.steps[-1].info['truncated'] for t in trajs] == [not f for f in fits]
    assert all(len(t) == min(len(gold[t.task_id]), env.step_limit(t.task_id)) for t in trajs)
    assert table.loc['all', 'success_rate'] == sum(fits) / 3 and len(table) == 4   # three task types and 'all'

def test_no_orphan_jvm():
    e = SciWorldEnv(); e.reset('task-3-find-animal/225'); pid = e.pid
    assert pid in _children_jvms()
    e.close()
    assert not _alive(pid) and pid not in _children_jvms()

def test_jvm_dies_with_a_killed_worker():
    # a worker process killed hard (as the rollout engine does on a timeout) must not leave its JVM behind
    code = textwrap.dedent('''
        import sys, time
        from hindsight_nb.envs.sciworld import SciWorldEnv
        e = SciWorldEnv(); e.reset('task-3-find-animal/225'); print(e.pid, flush=True); time.sleep(60)''')
    p = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True)
    pid = int(p.stdout.readline())
    assert _alive(pid)
    p.kill(); p.wait()
    for _ in range(100):
        if not _alive(pid): break
        time.sleep(0.1)
    assert not _alive(pid), f'JVM {pid} outlived its killed parent'

def test_no_jvm_left_after_the_tests(env):
    # runs last: once the shared env is closed, this process has no scienceworld JVM left (pgrep)
    env.close()
    assert _children_jvms() == []
