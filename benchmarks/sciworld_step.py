"""Per-step cost of ScienceWorld: the python wrapper's `step` (lists all valid actions and more on every call)
against `SciWorldEnv.step` (the server's raw step), with and without listing the valid actions. Prints ratios.
Run: .venv/bin/python benchmarks/sciworld_step.py [n_tasks]"""
import sys, time
from hindsight_nb.envs.sciworld import SciWorldEnv, parse_task_id, short_name

def main(n_tasks=4):
    env = SciWorldEnv(list_actions=True)
    ids = env.select('test', n_tasks)   # one task of each of the first n_tasks types
    env.server; sw = env._sw   # the scienceworld wrapper of this env's JVM
    tot = dict(wrapper=0., raw=0., raw_listing=0.); n = 0
    for tid in ids:
        gold = env.gold_demo(tid).actions[:40]   # up to completion
        # the wrapper's step (what most agents call): one env.step per action
        name, var = parse_task_id(tid)
        sw.load(short_name(name), var, env.simplifications, False); env._loaded = None; sw.reset()
        t0 = time.perf_counter()
        for a in gold:
            if sw.step(a)[2]: break
        tot['wrapper'] += time.perf_counter() - t0
        for key, listing in (('raw', False), ('raw_listing', True)):
            env.reset(tid); t0 = time.perf_counter()
            for a in gold:
                if env.step(a)[2]: break
                if listing: env.admissible()
            tot[key] += time.perf_counter() - t0
        n += len(gold)
        print(f'{tid}: {len(gold)} steps', flush=True)
    env.close()
    ms = {k: 1000 * v / n for k, v in tot.items()}
    print(f"per step over {n} steps: wrapper {ms['wrapper']:.1f} ms, raw {ms['raw']:.1f} ms, "
          f"raw + admissible() {ms['raw_listing']:.1f} ms")
    print(f"speed-up raw vs wrapper: {ms['wrapper']/ms['raw']:.1f}x; listing valid actions costs {ms['raw_listing']/ms['raw']:.1f}x raw")

if __name__ == '__main__': main(*map(int, sys.argv[1:]))
