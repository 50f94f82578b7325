"Rollout engine: worker crash/restart, determinism, checkpoint-resume (toy env, real processes)."
import os, signal, threading, time
from hindsight_nb.core import read_jsonl
from hindsight_nb.envs import CounterEnv, RandomPolicy, rollout, _FaultyPolicy

TASKS = CounterEnv().tasks('train')[:8]

def test_determinism_across_workers():
    a = rollout(CounterEnv, RandomPolicy(5), TASKS, n_workers=2, progress=False)
    b = rollout(CounterEnv, RandomPolicy(5), TASKS, n_workers=0, progress=False)
    c = rollout(CounterEnv, RandomPolicy(6), TASKS, n_workers=2, progress=False)
    assert [t.model_dump() for t in a] == [t.model_dump() for t in b]
    assert [t.actions for t in a] != [t.actions for t in c]

def test_crash_and_restart():
    res = rollout(CounterEnv, _FaultyPolicy({'train-1': 'crash', 'train-4': 'boom'}), TASKS, n_workers=2, progress=False)
    assert [t.task_id for t in res] == TASKS
    assert 'exit code 3' in res[1].metadata['error'] and 'boom' in res[4].metadata['error']
    assert not res[1].success and all(t.success for i, t in enumerate(res) if i not in (1, 4))

class _KillOnce(RandomPolicy):
    "Kills one worker process from outside (SIGKILL) during the run."
    killed = False
    def __call__(self, hs, adm):
        if not self.killed and len(hs) and any(len(h.steps) == 1 for h in hs):
            import multiprocessing as mp
            kids = [p for p in mp.active_children()]
            os.kill(kids[0].pid, signal.SIGKILL); self.killed = True; time.sleep(0.2)
        return [type(d)(action='inc') for d in super().__call__(hs, adm)]

def test_killed_worker():
    res = rollout(CounterEnv, _KillOnce(0), TASKS, n_workers=2, progress=False)
    errs = [t for t in res if 'error' in t.metadata]
    assert len(errs) == 1 and 'died' in errs[0].metadata['error']
    assert sum(t.success for t in res) == len(TASKS) - 1

def test_checkpoint_resume(tmp_path):
    ck = tmp_path/'ck.jsonl'
    part = rollout(CounterEnv, RandomPolicy(0), TASKS[:3], n_workers=2, progress=False, checkpoint=ck)
    assert len(read_jsonl(ck)) == 3
    full = rollout(CounterEnv, RandomPolicy(0), TASKS, n_workers=2, progress=False, checkpoint=ck)
    ref = rollout(CounterEnv, RandomPolicy(0), TASKS, n_workers=0, progress=False)
    assert [t.model_dump() for t in full] == [t.model_dump() for t in ref]
    assert len(read_jsonl(ck)) == len(TASKS)
