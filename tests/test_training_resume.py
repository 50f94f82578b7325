"""A killed SFT run resumes from its last checkpoint and ends where an uninterrupted run ends."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest

SCRIPT = r'''
import json, os, sys, time
from pathlib import Path
import torch
from transformers import TrainerCallback
from hindsight_nb.core import Step, Trajectory
from hindsight_nb.policy import train_tokenizer, build_model, corpus
from hindsight_nb.training import sft

out, log, slow = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])

class Record(TrainerCallback):
    "Append each finished global step to `log`; optionally sleep so the test can kill the run midway."
    def on_step_end(self, args, state, control, **kw):
        with log.open('a') as f: f.write(f'{state.global_step}\n')
        time.sleep(slow)

def toy(i):
    o = ['mug', 'apple', 'book', 'pen'][i % 4]
    steps = [Step(observation=f'You are in room {i}. You see a {o} {k}.', action=f'go to shelf {k + 1}') for k in range(2)]
    steps.append(Step(observation='Nothing happens.', action=f'take {o} 1', weight=0.5))
    return Trajectory(id=f't{i}', env='toy', task_id=f'task{i}', instruction=f'take the {o}', steps=steps, weight=1 + i % 2)

trajs = [toy(i) for i in range(12)]
tok = train_tokenizer(corpus(trajs), vocab_size=400)
model = sft(build_model(tok, seed=0), tok, trajs, out, max_steps=24, save_steps=6, batch_size=4, lr=3e-3,
            callbacks=[Record()], logging_steps=100)
torch.save({k: v.clone() for k, v in model.state_dict().items()}, out / 'final_state.pt')
'''

def _env():
    return {**os.environ, 'HF_HUB_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1', 'OMP_NUM_THREADS': '1',
            'TOKENIZERS_PARALLELISM': 'false', 'PYTHONPATH': str(Path(__file__).resolve().parents[1])}

def _run(out, log, slow=0.0, **kw):
    return subprocess.Popen([sys.executable, '-c', SCRIPT, str(out), str(log), str(slow)], env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **kw)

def _steps(log): return [int(x) for x in log.read_text().split()] if log.exists() else []

def _complete(out):
    return sorted(int(p.parent.name.split('-')[1]) for p in out.glob('checkpoint-*/trainer_state.json'))

def test_killed_run_resumes(tmp_path):
    torch = pytest.importorskip('torch')
    out, log = tmp_path / 'run', tmp_path / 'steps1.txt'
    ref, log3 = tmp_path / 'ref', tmp_path / 'steps3.txt'
    q = _run(ref, log3)  # an uninterrupted run alongside, to compare weights with at the end
    p = _run(out, log, slow=0.2)
    t0 = time.time()
    while not _complete(out):  # wait for the first complete checkpoint, then kill without warning
        assert p.poll() is None, f'run ended before any checkpoint: {p.stderr.read()[-2000:]}'
        assert time.time() - t0 < 60, 'no checkpoint within 60 s'
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL); p.wait()
    saved = max(_complete(out))
    done = _steps(log)
    assert saved < 24 and max(done) < 24, 'the run finished before it could be killed'
    assert not (out / 'model.safetensors').exists()

    log2 = tmp_path / 'steps2.txt'
    r = _run(out, log2); _, err = r.communicate(timeout=120)
    assert r.returncode == 0, err[-3000:]
    resumed = _steps(log2)
    assert resumed == list(range(saved + 1, 25)), (saved, resumed)  # continued from the checkpoint's global step
    state = json.loads((out / f'checkpoint-24' / 'trainer_state.json').read_text())
    assert state['global_step'] == state['max_steps'] == 24

    # An uninterrupted run ends with the same weights (CPU training here is deterministic).
    _, err = q.communicate(timeout=120)
    assert q.returncode == 0, err[-3000:]
    assert _steps(log3) == list(range(1, 25))
    a, b = torch.load(out / 'final_state.pt'), torch.load(ref / 'final_state.pt')
    assert a.keys() == b.keys()
    for k in a: torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)
