"""Rollout throughput on real ALFWorld games: 2 worker processes vs one process, RandomPolicy. Prints the cost of one
env's reset and step, steps/s of each mode and their ratio (target >= 1.8x on 2 free cores).

Each mode runs in a fresh Python process, timed from the `rollout` call: both include their start-up (imports, the
first parse of the game grammar), so neither profits from caches the other warmed."""
import argparse, json, os, subprocess, sys, time
from functools import partial

def measure(a):
    "One mode, in this (fresh) process: a JSON line with steps, seconds, and (for one env) reset/step costs."
    from hindsight_nb.alfworld import AlfWorldEnv, select_tasks
    from hindsight_nb.envs import rollout, RandomPolicy
    tasks = select_tasks(AlfWorldEnv(a.data).tasks(a.split), a.games)
    if a.mode == 'env':
        env = AlfWorldEnv(a.data); t = time.perf_counter(); env.reset(tasks[0]); first = time.perf_counter() - t
        resets, steps, n = 0.0, 0.0, 0
        for tid in tasks[1:]:
            t = time.perf_counter(); env.reset(tid); resets += time.perf_counter() - t
            for k in range(a.steps):
                adm = env.admissible(); t = time.perf_counter(); env.step(adm[k % len(adm)]); steps += time.perf_counter() - t; n += 1
        env.close()
        return dict(first_reset=first, reset=resets / (len(tasks) - 1), step=steps / n)
    w = int(a.mode); t = time.perf_counter()
    trajs = rollout(partial(AlfWorldEnv, a.data), RandomPolicy(0), tasks, n_workers=w, max_steps=a.steps, progress=False)
    return dict(games=len(tasks), steps=sum(len(x) for x in trajs), seconds=time.perf_counter() - t)

def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--data', default=os.environ.get('ALFWORLD_DATA'))
    p.add_argument('--split', default='valid_seen'); p.add_argument('--games', type=int, default=12)
    p.add_argument('--steps', type=int, default=20); p.add_argument('--mode', default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.mode is not None: print(json.dumps(measure(a))); return
    def run(mode):
        args = [sys.executable, __file__, '--mode', mode, '--split', a.split, '--games', str(a.games), '--steps', str(a.steps)]
        out = subprocess.run(args + (['--data', a.data] if a.data else []), capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    e = run('env')
    print(f"one env: first reset {e['first_reset']*1000:.0f} ms, then reset {e['reset']*1000:.0f} ms, step {e['step']*1000:.1f} ms")
    res = {}
    for w in ('0', '2'):
        r = run(w); res[w] = r['steps'] / r['seconds']
        print(f"{'one process' if w == '0' else w + ' workers'}: {r['games']} games, {r['steps']} steps in {r['seconds']:.1f} s "
              f"= {res[w]:.2f} steps/s (start-up and resets included)")
    print(f"ratio (2 workers / one process): {res['2']/res['0']:.2f}x  (target >= 1.8x on 2 free cores; "
          f"{os.cpu_count()} cores here, load {os.getloadavg()[0]:.1f})")

if __name__ == '__main__': main()
