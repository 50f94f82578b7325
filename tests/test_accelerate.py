"""`sft` and `dpo` run unchanged under `accelerate launch` (data parallel, 2 CPU processes over gloo) and end where one
process ends: each epoch is one full batch (8 sequences, split 4 + 4 over the processes), so the same gradient.
Plain SGD makes the comparison exact up to float rounding (Adam's first steps amplify a rounding difference in a
near-zero gradient to a whole step).
(`--multi_gpu` picks accelerate's torchrun launcher; on a machine without GPUs its processes use the CPU and gloo.)"""
import os, shutil, subprocess, sys
from pathlib import Path
import pytest, torch

SCRIPT = r'''
import sys
from pathlib import Path
import torch
from accelerate import PartialState
from hindsight_nb.core import Step, Trajectory
from hindsight_nb.policy import train_tokenizer, build_model, corpus
from hindsight_nb.training import sft, dpo, dpo_pairs

out, procs = Path(sys.argv[1]), int(sys.argv[2])
def toy(i, good=True):
    o = ['mug', 'apple', 'book', 'pen'][i % 4]
    steps = [Step(observation=f'You are in room {i}. You see a {o} {k}.', action=f'go to shelf {k + 1}') for k in range(2)]
    steps.append(Step(observation='Nothing happens.', action=f'take {o} 1' if good else 'look', weight=0.5))
    return Trajectory(id=f't{i}{good}', env='toy', task_id=f'task{i}', instruction=f'take the {o}', steps=steps, weight=1 + i % 2)
trajs = [toy(i) for i in range(8)]
tok = train_tokenizer(corpus(trajs + [toy(0, False)]), vocab_size=400)
bs = 8 // procs   # per process: the global batch is 8 either way
m = sft(build_model(tok, seed=0), tok, trajs, out/'sft', epochs=3, batch_size=bs, lr=0.5, optim='sgd', save_steps=10**6, logging_steps=100)
after_sft = {k: v.clone() for k, v in m.state_dict().items()}  # dpo trains the same model object
pairs = [dpo_pairs(toy(i), toy(i, False)) for i in range(8)]
d = dpo(m, tok, pairs, out/'dpo', epochs=2, batch_size=bs, lr=0.5, optim='sgd', save_steps=10**6, logging_steps=100)
if PartialState().is_main_process:
    torch.save({'sft': after_sft, 'dpo': {k: v.clone() for k, v in d.state_dict().items()}},
               out/'final.pt')
'''

def _env():
    return {**os.environ, 'HF_HUB_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1', 'OMP_NUM_THREADS': '1', 'TOKENIZERS_PARALLELISM': 'false',
            'PYTHONPATH': str(Path(__file__).resolve().parents[1])}

def test_two_processes_match_one(tmp_path):
    pytest.importorskip('accelerate')
    script = tmp_path/'train.py'; script.write_text(SCRIPT)
    one, two = tmp_path/'one', tmp_path/'two'
    subprocess.run([sys.executable, str(script), str(one), '1'], env=_env(), check=True, capture_output=True, timeout=600)
    launch = [sys.executable, '-m', 'accelerate.commands.launch', '--multi_gpu', '--num_processes', '2', '--num_machines', '1',
              '--mixed_precision', 'no', '--dynamo_backend', 'no', '--main_process_port', '29517', str(script), str(two), '2']
    r = subprocess.run(launch, env=_env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    a, b = torch.load(one/'final.pt'), torch.load(two/'final.pt')
    for stage in ('sft', 'dpo'):
        diff = max((a[stage][k] - b[stage][k]).abs().max().item() for k in a[stage])
        assert diff < 1e-5, f'{stage}: 2 processes differ from 1 by {diff:.2e}'
    # and DPO did move the weights (else the comparison could not fail)
    assert max((a['sft'][k] - a['dpo'][k]).abs().max().item() for k in a['sft']) > 1e-3
