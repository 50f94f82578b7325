"""Rollout throughput on real ALFWorld games: 2 worker processes vs one process, RandomPolicy. Prints the cost of one
env's reset and step, steps/s of each mode and their ratio (target >= 1.8x on 2 free cores).

Each mode runs in a fresh Python process, so neither profits from caches the other warmed. Two rates per mode:
- total: all steps over the whole `rollout` call, start-up included (worker processes, imports, the first parse of
  the game grammar in every environment);
- steady: the steps decided after every environment has asked for its first action, over the time from then to the
  end (start-up excluded; later resets included, as they are part of the work).

On a machine shared with other jobs, the ALFWorld ratio is capped by the CPU time left over. `--sim` adds a run of
the same workload in which the environments only sleep for the measured reset and step times: its ratio shows what the
engine's scheduling achieves (2.0x is perfect overlap) independently of the load."""
import argparse, json, os, subprocess, sys, time
from functools import partial

class Timed:
    "Wraps a policy: the time by which `warm` distinct episodes had asked for an action, and the decisions after it."
    def __init__(self, policy, warm):
        self.policy, self.warm, self.seen, self.t0, self.after = policy, warm, set(), None, 0
    def __call__(self, hs, adm):
        if self.t0 is None:
            self.seen.update(h.id for h in hs)
            if len(self.seen) >= self.warm: self.t0 = time.perf_counter()
        else: self.after += len(hs)
        return self.policy(hs, adm)

class SleepEnv:
    """Stands in for an ALFWorld env: sleeps `reset_s` per reset and `step_s` per step, scaled per game (resets from
    0.25x to 1.75x; games end after 30% to 100% of `steps`), as games differ in size and policies win some early."""
    name, max_steps = 'sleep', 1000
    def __init__(self, reset_s, step_s, steps): self.reset_s, self.step_s, self.steps = reset_s, step_s, steps
    def reset(self, task_id):
        import zlib
        u, v = (zlib.crc32(f'{k}{task_id}'.encode()) / 2**32 for k in 'rl')
        self.n, self.end = 0, max(1, round(self.steps * (0.3 + 0.7 * v)))
        time.sleep(self.reset_s * (0.25 + 1.5 * u)); return 'obs', 'task', {}
    def step(self, action):
        time.sleep(self.step_s); self.n += 1
        return 'obs', 0.0, self.n >= self.end, {}
    def admissible(self): return ['a', 'b']
    def metadata(self): return {}
    def close(self): pass

def measure(a):
    "One mode, in this (fresh) process: a JSON line with steps, seconds, and (for one env) reset/step costs."
    from hindsight_nb.envs.rollout import rollout, RandomPolicy
    if a.mode.startswith('sim'):
        w = int(a.mode[3:]); pol = Timed(RandomPolicy(0), max(1, w)); t = time.perf_counter()
        trajs = rollout(partial(SleepEnv, a.reset_s, a.step_s, a.steps), pol, [f'g{i}' for i in range(a.games)], n_workers=w,
                        max_steps=a.steps, progress=False)
        end = time.perf_counter()
        return dict(games=a.games, steps=sum(len(x) for x in trajs), seconds=end - t, steady_steps=pol.after,
                    steady_seconds=end - pol.t0)
    from hindsight_nb.envs.alfworld import AlfWorldEnv
    tasks = AlfWorldEnv(a.data).select(a.split, a.games)
    if a.mode == 'env':
        env = AlfWorldEnv(a.data); t = time.perf_counter(); env.reset(tasks[0]); first = time.perf_counter() - t
        resets, steps, n = 0.0, 0.0, 0
        for tid in tasks[1:]:
            t = time.perf_counter(); env.reset(tid); resets += time.perf_counter() - t
            for k in range(a.steps):
                adm = env.admissible(); t = time.perf_counter(); env.step(adm[k % len(adm)]); steps += time.perf_counter() - t; n += 1
        env.close()
        return dict(first_reset=first, reset=resets / (len(tasks) - 1), step=steps / n)
    w = int(a.mode); pol = Timed(RandomPolicy(0), max(1, w)); t = time.perf_counter()
    trajs = rollout(partial(AlfWorldEnv, a.data), pol, tasks, n_workers=w, max_steps=a.steps, progress=False)
    end = time.perf_counter()
    return dict(games=len(tasks), steps=sum(len(x) for x in trajs), seconds=end - t, steady_steps=pol.after,
                steady_seconds=end - pol.t0)

def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--data', default=os.environ.get('ALFWORLD_DATA'))
    p.add_argument('--split', default='train'); p.add_argument('--games', type=int, default=30)
    p.add_argument('--steps', type=int, default=30); p.add_argument('--mode', default=None, help=argparse.SUPPRESS)
    p.add_argument('--sim', action='store_true', help='also run the sleeping stand-in environments')
    p.add_argument('--reset-s', type=float, default=None, help=argparse.SUPPRESS)
    p.add_argument('--step-s', type=float, default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.mode is not None: print(json.dumps(measure(a))); return
    def run(mode, extra=()):
        args = [sys.executable, __file__, '--mode', mode, '--split', a.split, '--games', str(a.games), '--steps', str(a.steps), *extra]
        out = subprocess.run(args + (['--data', a.data] if a.data else []), capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    e = run('env')
    print(f"one env: first reset {e['first_reset']*1000:.0f} ms, then reset {e['reset']*1000:.0f} ms, step {e['step']*1000:.1f} ms")
    sim = ('--reset-s', str(e['reset']), '--step-s', str(e['step']))
    for kind, modes, extra in [('ALFWorld', ('0', '2'), ()), ('sleeping stand-in', ('sim0', 'sim2'), sim)][:2 if a.sim else 1]:
        res, load = {}, [os.getloadavg()]
        for m in modes:
            r = run(m, extra); load.append(os.getloadavg()); w = m[-1]
            res[w] = r['steps'] / r['seconds'], r['steady_steps'] / r['steady_seconds']
            print(f"{kind}, {'one process' if w == '0' else w + ' workers'}: {r['games']} games, {r['steps']} steps in "
                  f"{r['seconds']:.1f} s = {res[w][0]:.2f} steps/s total (start-up included); steady {r['steady_steps']} "
                  f"steps in {r['steady_seconds']:.1f} s = {res[w][1]:.2f} steps/s")
        print(f"{kind} ratio (2 workers / one process): total {res['2'][0]/res['0'][0]:.2f}x, steady "
              f"{res['2'][1]/res['0'][1]:.2f}x  (target >= 1.8x on 2 free cores; {os.cpu_count()} cores here, "
              f"1-min load average before/after each mode: {' / '.join(f'{x[0]:.1f}' for x in load)})")

if __name__ == '__main__': main()
