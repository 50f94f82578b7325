"""ALFWorld reset cost with and without the per-game engine cache, then rollout throughput: 2 worker processes vs one
process, RandomPolicy.

Resets. `hindsight_nb.envs.alfworld` keeps each game's PDDL->SAS translations and grammar parse on disk, keyed by a hash
of their text (`_memo`). One env resets the `--games` games of `--split` (the first reset apart), `--reset-steps`
steps each, with that cache off (`ENGINE_CACHE = False`: every game translated again, the cost before the cache; it
still pickles each result, which the code before did not, so the ratio is also given without that time), cold (an
empty cache folder: each game translated and written) and warm (the same folder again), without and with the
handcoded expert (expert demos reset with it). It prints the mean reset time of each, the speed-up off / warm
measured in this run, and where a reset's time goes (exclusive time of the engine's parts). Every setting runs in a
fresh process with a cache folder in a temporary directory; the user's cache is not touched.

Throughput (skipped with `--only-resets`), on the same games with the warm cache. It prints steps/s of each mode and
their ratio (target >= 1.8x on 2 free cores). Each mode runs in a fresh Python process. Two rates per mode:
- total: all steps over the whole `rollout` call, start-up included (worker processes, imports, the first parse of
  the game grammar in every environment);
- steady: the steps decided after every environment has asked for its first action, over the time from then to the
  end (start-up excluded; later resets included, as they are part of the work).

On a machine shared with other jobs, the ALFWorld ratio is capped by the CPU time left over. `--sim` adds a run of
the same workload in which the environments only sleep for the measured reset and step times: its ratio shows what the
engine's scheduling achieves (2.0x is perfect overlap) independently of the load."""
import argparse, json, os, subprocess, sys, tempfile, time
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

class Parts:
    "Exclusive time spent in each wrapped function during `AlfWorldEnv.reset` (the root), by part name."
    def __init__(self): self.t, self.stack = {}, []
    def wrap(self, owner, attr, part, root=False):
        f = getattr(owner, attr)
        def timed(*args, **kw):
            if not self.stack and not root: return f(*args, **kw)
            self.stack.append(0.0); t = time.perf_counter()
            try: return f(*args, **kw)
            finally:
                dt = time.perf_counter() - t; child = self.stack.pop()
                self.t[part] = self.t.get(part, 0.0) + dt - child
                if self.stack: self.stack[-1] += dt
        setattr(owner, attr, timed)

MEMO = 'engine cache: hash, read or pickle, unpickle'

def instrument(A):
    "Time the parts of a reset; before `fast_textworld` captures the translator and the grammar parser."
    import fast_downward, textworld.envs.pddl.pddl as pddl
    from textworld.envs.pddl import logic
    from alfworld.agents.expert import HandCodedTWAgent
    P = Parts()
    P.wrap(A.AlfWorldEnv, 'reset', 'AlfWorldEnv.reset itself (traj_data.json, first observation)', root=True)
    P.wrap(fast_downward, 'pddl2sas', 'PDDL->SAS translation (fast-downward, Python)')
    P.wrap(logic, '_parse_and_convert', "game grammar parse (tatsu)")
    P.wrap(A, '_memo', MEMO)
    P.wrap(logic.PddlState, '__init__', 'PDDL state: facts, SAS into the C planner (x2: load and reset)')
    P.wrap(logic.PddlState, 'replan', 'planner (walkthrough)')
    P.wrap(pddl.PddlEnv, 'load', 'load: game json, entity names')
    P.wrap(pddl.PddlEnv, 'reset', 'reset: intro text, admissible commands')
    P.wrap(HandCodedTWAgent, 'reset', 'handcoded expert: reset and first action'); P.wrap(A.AlfWorldEnv, '_expert_next', 'handcoded expert: reset and first action')
    P.wrap(A.GoalTracker, '__init__', 'goal tracker')
    return P

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
    if a.mode == 'env':  # one env: resets (the first one apart) and steps
        import random, hindsight_nb.envs.alfworld as A
        A.ENGINE_CACHE = a.cache != 'off'; P = instrument(A)
        env = AlfWorldEnv(a.data, expert=a.expert); t = time.perf_counter(); env.reset(tasks[0]); first = time.perf_counter() - t
        P.t.clear(); resets, steps, n = [], 0.0, 0
        for tid in tasks[1:]:
            random.seed(0); t = time.perf_counter(); env.reset(tid); resets.append(time.perf_counter() - t)
            for k in range(a.steps):
                adm = env.admissible(); t = time.perf_counter(); env.step(adm[k % len(adm)]); steps += time.perf_counter() - t; n += 1
        env.close()
        return dict(first_reset=first, reset=sum(resets) / len(resets), step=steps / max(n, 1),
                    parts={k: v / len(resets) for k, v in P.t.items()})
    w = int(a.mode); pol = Timed(RandomPolicy(0), max(1, w)); t = time.perf_counter()
    trajs = rollout(partial(AlfWorldEnv, a.data), pol, tasks, n_workers=w, max_steps=a.steps, progress=False)
    end = time.perf_counter()
    return dict(games=len(tasks), steps=sum(len(x) for x in trajs), seconds=end - t, steady_steps=pol.after,
                steady_seconds=end - pol.t0)

def reset_times(a, run):
    "Reset (and step) times of one env: engine cache off / cold / warm, without and with the handcoded expert."
    res = {}
    for expert in ('plain', 'handcoded'):
        extra = () if expert == 'plain' else ('--expert', 'handcoded')
        for cache in ('off', 'cold', 'warm'):
            res[expert, cache] = run('env', ('--cache', cache, *extra), cache=expert, steps=a.reset_steps)
    n = a.games - 1
    print(f'reset of one env, ms (mean over {n} {a.split} games after the first; {a.reset_steps} steps each; '
          f'engine cache off = before, cold = first use, warm = later uses):')
    for expert in ('plain', 'handcoded'):
        r = {c: res[expert, c]['reset'] * 1000 for c in ('off', 'cold', 'warm')}
        own = res[expert, 'off']['parts'].get(MEMO, 0) * 1000  # pickling that the code before the cache did not do
        print(f"  {'no expert' if expert == 'plain' else 'handcoded expert':16s} off {r['off']:6.0f}   cold {r['cold']:6.0f}   "
              f"warm {r['warm']:5.0f}   speed-up off/warm {r['off'] / r['warm']:.1f}x ({(r['off'] - own) / r['warm']:.1f}x "
              f"without off's {own:.0f} ms in the cache code)")
    step = res['plain', 'warm']['step'] * 1000
    print(f"  step {step:.1f} ms (no expert), {res['handcoded', 'warm']['step'] * 1000:.1f} ms (handcoded expert); an episode of "
          f"{a.steps} steps costs {(res['plain', 'off']['reset'] * 1000 + a.steps * step) / 1000:.2f} s before, "
          f"{(res['plain', 'warm']['reset'] * 1000 + a.steps * step) / 1000:.2f} s after")
    for expert, cache in (('plain', 'off'), ('plain', 'warm'), ('handcoded', 'warm')):
        parts = res[expert, cache]['parts']
        print(f"where a reset's time goes ({'no expert' if expert == 'plain' else 'handcoded expert'}, cache {cache}), ms:")
        for k, v in sorted(parts.items(), key=lambda x: -x[1]): print(f'  {v * 1000:7.1f}  {k}')
    return res

def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--data', default=os.environ.get('ALFWORLD_DATA'))
    p.add_argument('--split', default='train'); p.add_argument('--games', type=int, default=30)
    p.add_argument('--steps', type=int, default=30); p.add_argument('--mode', default=None, help=argparse.SUPPRESS)
    p.add_argument('--reset-steps', type=int, default=5, help='steps per game while timing resets')
    p.add_argument('--only-resets', action='store_true', help='time resets and steps only, not the rollout throughput')
    p.add_argument('--sim', action='store_true', help='also run the sleeping stand-in environments')
    p.add_argument('--reset-s', type=float, default=None, help=argparse.SUPPRESS)
    p.add_argument('--step-s', type=float, default=None, help=argparse.SUPPRESS)
    p.add_argument('--cache', default='on', help=argparse.SUPPRESS); p.add_argument('--expert', default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.mode is not None: print(json.dumps(measure(a))); return
    from hindsight_nb.envs.alfworld import AlfWorldEnv
    data, tmp = str(AlfWorldEnv(a.data).root), tempfile.TemporaryDirectory(prefix='alfworld-engine-cache-')
    def run(mode, extra=(), cache='plain', steps=a.steps):  # a fresh process, its engine cache in tmp/<cache>
        args = [sys.executable, __file__, '--mode', mode, '--split', a.split, '--games', str(a.games), '--steps', str(steps), '--data', data, *extra]
        out = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ, HINDSIGHT_NB_CACHE=os.path.join(tmp.name, cache)))
        if out.returncode: sys.exit(f'{" ".join(args)} failed:\n{out.stderr}')
        return json.loads(out.stdout.strip().splitlines()[-1])
    with tmp:
        reset_times(a, run)
        if not a.only_resets: throughput(a, run)

def throughput(a, run):
    "Steps/s of rollouts in one process and in 2 workers (the games' translations already in the engine cache)."
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
