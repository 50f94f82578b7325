"""Scoring admissible actions: the naive loop (one full forward of prompt+candidate per candidate) against
`policy.prefix_logprobs` (each prompt run once, its KV cache reused over the candidates), on the same inputs.
Checks that both agree and prints both times and the speed ratio.
Run: .venv/bin/python benchmarks/scoring.py [--sizes tiny small] [--histories 8] [--repeats 1]"""
import argparse, random, time
import torch
from hindsight_nb.core import Trajectory, Step
from hindsight_nb.policy import train_tokenizer, corpus, build_model, LMPolicy, prefix_logprobs

PLACES = [f'{r} {i}' for r in ('cabinet', 'countertop', 'drawer', 'shelf', 'sidetable', 'diningtable', 'fridge',
                               'microwave', 'sinkbasin', 'stoveburner', 'garbagecan', 'coffeemachine') for i in (1, 2, 3)]
THINGS = [f'{o} {i}' for o in ('mug', 'apple', 'plate', 'knife', 'spoon', 'egg', 'bowl', 'pan', 'cup', 'potato',
                               'lettuce', 'tomato', 'bread', 'fork', 'kettle') for i in (1, 2)]

def episode(rng: random.Random, i: int, n_steps: int) -> Trajectory:
    "An ALFWorld-like episode of `n_steps` random steps (text of ALFWorld's shape and length)."
    room = 'You are in the middle of a room. Looking quickly around you, you see ' + ', '.join(f'a {p}' for p in PLACES) + '.'
    steps, obs = [], room
    for _ in range(n_steps):
        place = rng.choice(PLACES)
        act = rng.choice([f'go to {place}', f'open {place}', f'take {rng.choice(THINGS)} from {place}', 'look', 'inventory'])
        steps.append(Step(observation=obs, action=act))
        seen = rng.sample(THINGS, rng.randint(0, 4))
        obs = (f'You arrive at {place}. On the {place}, you see ' + (', '.join(f'a {t}' for t in seen) or 'nothing') + '.')
    return Trajectory(id=f'b{i}', env='alfworld', task_id=f'b{i}', instruction=f'put a {rng.choice(THINGS)[:-2]} in {rng.choice(PLACES)}',
                      steps=steps, final_observation=obs)

def admissible(rng: random.Random, n: int) -> list[str]:
    acts = [f'go to {p}' for p in PLACES] + [f'take {t} from {rng.choice(PLACES)}' for t in THINGS] + ['look', 'inventory']
    return rng.sample(acts, n)

def timed(f, repeats):
    best = float('inf')
    for _ in range(repeats):
        t0 = time.perf_counter(); out = f(); best = min(best, time.perf_counter() - t0)
    return out, best

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--sizes', nargs='+', default=['tiny'], choices=['tiny', 'small'])
    ap.add_argument('--histories', type=int, default=8)
    ap.add_argument('--repeats', type=int, default=1)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    rng = random.Random(a.seed)
    hists = [episode(rng, i, n) for i, n in enumerate(rng.choices(range(10, 41), k=a.histories))]
    cands = [admissible(rng, rng.randint(20, 40)) for _ in hists]
    tok = train_tokenizer(corpus(hists, extra=[c for cs in cands for c in cs]), vocab_size=2000)
    for size in a.sizes:
        pol = LMPolicy(build_model(tok, size, seed=a.seed), tok)
        plen = [len(p) for p in pol.prompts(hists)]
        print(f'[{size}] {sum(p.numel() for p in pol.model.parameters())/1e6:.1f}M params, {len(hists)} histories of '
              f'{min(len(h) for h in hists)}-{max(len(h) for h in hists)} steps ({min(plen)}-{max(plen)} prompt tokens), '
              f'{sum(map(len, cands))} candidates ({min(map(len, cands))}-{max(map(len, cands))} per history), '
              f'{torch.get_num_threads()} threads', flush=True)
        pol.score(hists[:1], cands[:1])  # warm-up
        P, C = pol._args(hists, cands)
        variants = {'batched prefix-cached (default)': lambda: pol.score(hists, cands),
                    'histories padded into one batch': lambda: prefix_logprobs(pol.model, P, C, tok.pad_token_id, batch_histories=True),
                    'cache repeated per candidate (packed=False)': lambda: prefix_logprobs(pol.model, P, C, tok.pad_token_id, packed=False)}
        slow, t_slow = timed(lambda: pol.naive_score(hists, cands), a.repeats)
        print(f'[{size}] naive (one forward per candidate): {t_slow:.2f} s', flush=True)
        for name, f in variants.items():
            got, t = timed(f, a.repeats)
            err = max(abs(x - y) for g, s in zip(got, slow) for x, y in zip(g, s))
            assert err < 1e-3, f'{name}: scores differ from the naive ones by {err}'
            print(f'[{size}] {name}: {t:.2f} s, speed ratio {t_slow / t:.1f}x (max |difference| {err:.1e})', flush=True)

if __name__ == '__main__': main()
