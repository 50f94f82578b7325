"""EEF's exploration on the real ScienceWorld simulator: runs from an expert's states survive a JVM that dies mid-episode."""
import psutil
from hindsight_nb.core import Decision
from hindsight_nb.envs.rollout import rollout, STOP
from hindsight_nb.envs.sciworld import SciWorldEnv
from hindsight_nb.eef.experiment import NO_TELEPORT

TASKS = ['task-3-find-animal/225', 'task-3-find-animal/226', 'task-3-find-animal/227']

class _GoldKiller:
    "Plays each task's gold path from wherever the episode stands; kills every JVM below this process at `kill` = (task, step)."
    def __init__(self, gold, kill): self.gold, self.kill, self.killed = gold, kill, []
    def __call__(self, hs, adm):
        out = []
        for h in hs:
            if (h.task_id, len(h.steps)) == self.kill and not self.killed:
                self.killed = [p.pid for p in psutil.Process().children(recursive=True) if 'java' in p.name()]
                for pid in self.killed: psutil.Process(pid).kill()
            g = self.gold[h.task_id]
            out.append(Decision(action=g[len(h.steps)] if len(h.steps) < len(g) else STOP))
        return out

def test_a_dead_jvm_marks_the_episode_and_the_rest_go_on(tmp_path):
    env = SciWorldEnv(simplifications=NO_TELEPORT, limit=100)
    gold = {t: env.gold(t) for t in TASKS}; env.close()
    pol = _GoldKiller(gold, (TASKS[0], 3))
    ck = tmp_path/'explore.jsonl'   # (a rerun with it would retry the marked episode: tests/test_faults.py)
    trajs = rollout(env.factory(), pol, TASKS, n_workers=1, max_steps=30, progress=False, checkpoint=ck,
                    prefixes=[gold[TASKS[0]][:2], gold[TASKS[1]][:1], []])
    assert pol.killed, 'no JVM was found to kill'
    dead, *rest = trajs
    assert 'error' in dead.metadata and not dead.success and dead.metadata['start'] == 2   # marked, kept, not dropped
    assert all(t.success and 'error' not in t.metadata for t in rest)                      # a fresh JVM played the others
    assert [t.metadata.get('start', 0) for t in rest] == [1, 0]
