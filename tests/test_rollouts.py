"""Rollout engine beyond the notebook's examples (determinism across workers, faults, checkpoint-resume are shown in
nbs/envs/01_rollout.ipynb): a worker killed from outside, determinism under random timing, slow resets."""
import os, signal, threading, time
import hindsight_nb
from hindsight_nb.envs.base import CounterEnv
from hindsight_nb.envs.rollout import RandomPolicy, rollout

TASKS = CounterEnv().tasks('train')[:8]

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

class JitterEnv(CounterEnv):
    """The counter game with resets and steps of random duration (true randomness, not seeded), so that which episodes
    are ready together, and hence the policy's batches, differ from run to run."""
    def reset(self, task_id):
        time.sleep(int.from_bytes(os.urandom(1), 'little') / 255 * 0.04)
        return super().reset(task_id)
    def step(self, action):
        time.sleep(int.from_bytes(os.urandom(1), 'little') / 255 * 0.004)
        return super().step(action)

class Recording:
    "Wraps a policy and records each call's batch as (trajectory id, step) pairs."
    def __init__(self, policy): self.policy, self.batches = policy, []
    def __call__(self, hs, adm):
        self.batches.append(tuple((h.id, len(h.steps)) for h in hs))
        return self.policy(hs, adm)

def _dump(trajs): return [t.model_dump() for t in trajs]

def _same_seed_same_trajectories(make_policy, tasks, workers=(2, 2, 1, 0)):
    runs = {}
    for i, w in enumerate(workers):
        pol = Recording(make_policy())
        runs[i] = (w, rollout(JitterEnv, pol, tasks, n_workers=w, progress=False), pol.batches)
    ref = _dump(runs[0][1])
    for w, trajs, _ in runs.values(): assert _dump(trajs) == ref, f'n_workers={w} differs'
    two = [b for w, _, b in runs.values() if w == 2]
    one = next(b for w, _, b in runs.values() if w == 1)
    flat = lambda bs: [d for b in bs for d in b]
    assert sorted(flat(two[0])) == sorted(flat(two[1])) == sorted(flat(one))  # the same decisions were taken ...
    assert flat(two[0]) != flat(one)  # ... in another order: two episodes in flight interleave, one worker does not
    return runs

def test_async_determinism_random_policy():
    "Same seed -> identical trajectories with 2 workers twice, 1 and 0 workers, whatever the batches were."
    assert hindsight_nb.__file__.startswith(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    tasks = CounterEnv().tasks('train')[:12]
    runs = _same_seed_same_trajectories(lambda: RandomPolicy(7), tasks)
    assert any(not t.success for t in runs[0][1]) and any(t.success for t in runs[0][1])

def test_async_determinism_sampled_lm_policy():
    "The same for a sampling transformer policy (scored admissible actions, then free generation)."
    from hindsight_nb.policy import LMPolicy, train_tokenizer, build_model
    texts = ['The counter shows 0. inc dec count to 5 Nothing happens.'] * 20
    tok = train_tokenizer(texts, vocab_size=300); model = build_model(tok, 'tiny', seed=0)
    tasks = CounterEnv().tasks('train')[:6]
    runs = _same_seed_same_trajectories(lambda: LMPolicy(model, tok, greedy=False, temperature=2.0, seed=1), tasks)
    acts = [a for t in runs[0][1] for a in t.actions]
    assert 'inc' in acts and 'dec' in acts                       # real sampling between the two actions
    other = rollout(JitterEnv, LMPolicy(model, tok, greedy=False, temperature=2.0, seed=2), tasks, n_workers=2, progress=False)
    assert [t.actions for t in other] != [t.actions for t in runs[0][1]]

class SlowFirstEnv(CounterEnv):
    "Resetting task train-0 takes 1 s (like an ALFWorld game's first reset); everything else is instant."
    def reset(self, task_id):
        if task_id == 'train-0': time.sleep(1.0)
        return super().reset(task_id)

def test_slow_reset_does_not_stall_other_workers():
    "While one worker resets a slow game, the other keeps playing: its episodes are decided alone, not in lockstep."
    pol = Recording(RandomPolicy(0))
    res = rollout(SlowFirstEnv, pol, TASKS, n_workers=2, progress=False)
    first = next(k for k, b in enumerate(pol.batches) if any(i.startswith('counter/train-0/') for i, _ in b))
    assert first >= 5, pol.batches[:first + 1]                   # others got >= 5 decisions before train-0's first
    assert {i for b in pol.batches[:first] for i, _ in b} - {'counter/train-1/s0'}  # ... beyond the first episode
    assert _dump(res) == _dump(rollout(SlowFirstEnv, RandomPolicy(0), TASKS, n_workers=0, progress=False))
