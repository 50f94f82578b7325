"`run_all(jobs=2)`: the runs happen in two spawned processes, a shared item is made once, and the table equals one process's."
import json, os, time
from dataclasses import dataclass
from pathlib import Path
import pytest
from hindsight_nb.experiment import Experiment, Methods, run_all, run_grid

@dataclass
class CoinSettings:
    bias: float = 0.1

class Coin(Experiment):
    "A seed's 'base policy' is a file made once under a lock; both methods read it (as EEF's methods share behaviour cloning)."
    chapter, methods = 'coin', Methods()
    def evaluate(self, model, tok): return dict(score=model)
    def base(self) -> float:
        path = self.root/'base.json'
        with self.lock('base'):
            if not path.exists():
                time.sleep(0.5)   # long enough for the other process to want it too
                with open(self.root/'base_made.log', 'a') as f: f.write(f'{os.getpid()}\n')
                path.write_text(json.dumps(0.5 + 0.01 * self.seed))
        return json.loads(path.read_text())

@Coin.methods.register('base')
def _base(ex, name): return ex.base(), None, dict(pid=os.getpid())
@Coin.methods.register('better')
def _better(ex, name): return ex.base() + ex.settings.bias, None, dict(pid=os.getpid())

def test_two_processes_give_the_table_of_one(tmp_path):
    par = run_all(lambda s: Coin(CoinSettings(), s, cache=tmp_path/'par'), ['base', 'better'], [0, 1, 2, 3], progress=False, jobs=2)
    one = run_all(lambda s: Coin(CoinSettings(), s, cache=tmp_path/'one'), ['base', 'better'], [0, 1, 2, 3], progress=False)
    assert par[['method', 'seed', 'score']].equals(one[['method', 'seed', 'score']])
    pids = {r['pid'] for r in par['info']}
    assert len(pids) == 2 and os.getpid() not in pids          # two worker processes did the work, not this one
    made = list((tmp_path/'par').rglob('base_made.log'))
    assert len(made) == 4 and all(len(p.read_text().split()) == 1 for p in made)   # each seed's base made exactly once

def test_a_grid_over_settings_in_one_pool(tmp_path):
    "Experiments under different settings (as a grid over demo counts) run in one pool; rows come experiment by experiment."
    exps = lambda c: [Coin(CoinSettings(b), s, cache=tmp_path/c) for b in (0.1, 0.2) for s in (0, 1)]
    par, one = run_grid(exps('par'), ['better', 'base'], progress=False, jobs=2), run_grid(exps('one'), ['better', 'base'], progress=False)
    assert par[['method', 'seed', 'score']].equals(one[['method', 'seed', 'score']])
    assert list(par.score.round(2)) == [0.6, 0.5, 0.61, 0.51, 0.7, 0.5, 0.71, 0.51]
    some = run_grid(exps('par'), lambda ex: ['better', 'base'] if ex.settings.bias > 0.15 else ['base'], progress=False, jobs=2)
    assert list(some.method) == ['base', 'base', 'better', 'base', 'better', 'base'] and list(some.score.round(2)) == [0.5, 0.51, 0.7, 0.5, 0.71, 0.51]

def test_a_failing_run_names_method_and_seed(tmp_path):
    with pytest.raises(RuntimeError, match=r"method 'worse', seed 0 failed in a worker process"):
        run_all(lambda s: Coin(CoinSettings(), s, cache=tmp_path), ['worse'], [0], progress=False, jobs=2)

@Coin.methods.register('slow')
def _slow(ex, name):
    (ex.root/'worker.pid').write_text(str(os.getpid()))
    time.sleep(120)
    return 0.0, None, {}

def _alive(pid: int) -> bool:
    "Whether `pid` runs (a zombie waiting for its new parent to reap it counts as gone)."
    try: return Path(f'/proc/{pid}/status').read_text().split('State:')[1].split()[0] != 'Z'
    except (FileNotFoundError, IndexError): return False

@pytest.mark.skipif(not Path('/proc/self/status').exists(), reason='reads /proc')
def test_workers_exit_when_the_notebook_is_killed(tmp_path):
    "A killed parent (a notebook kernel stopped mid-grid) must not leave its workers computing."
    import signal, subprocess, sys
    script = (f'import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n'
              'from test_experiment import Coin, CoinSettings\nfrom hindsight_nb.experiment import run_all\n'
              f"run_all(lambda s: Coin(CoinSettings(), s, cache={str(tmp_path)!r}), ['slow'], [0, 1], progress=False, jobs=2)\n")
    parent = subprocess.Popen([sys.executable, '-c', script])
    try:
        deadline = time.time() + 120
        while len(pids := list(tmp_path.rglob('worker.pid'))) < 2:
            assert parent.poll() is None and time.time() < deadline, 'the workers did not start'
            time.sleep(0.2)
        workers = [int(p.read_text()) for p in pids]
        assert all(map(_alive, workers))
        parent.send_signal(signal.SIGKILL); parent.wait()
        deadline = time.time() + 15
        while any(map(_alive, workers)) and time.time() < deadline: time.sleep(0.2)
        assert not any(map(_alive, workers)), f'workers {[w for w in workers if _alive(w)]} outlived their parent'
    finally:
        if parent.poll() is None: parent.kill()
