"""Speed of the dialogue games (HOPE's environments): turns per second of the bare environment with a fixed question
list, of the environment with its scripted player through the rollout engine in this process, and the player's share.

The target is thousands of turns per second, so that the cpu profile can afford many rollouts; the policies (tiny LMs)
are then the cost, not the games. Run: `python benchmarks/dialogue.py [--games N]`.
"""
import argparse, time
from hindsight_nb.envs.base import make_env
from hindsight_nb.envs.rollout import rollout
from hindsight_nb.envs.twenty_questions import InfoGainPlayer

def bare(env, tasks, questions, turns_per_game):
    t0, n = time.perf_counter(), 0
    for t in tasks:
        env.reset(t)
        for k in range(turns_per_game):
            done = env.step(questions[k % len(questions)])[2]; n += 1
            if done: break
    return n / (time.perf_counter() - t0)

def played(env, tasks):
    player = InfoGainPlayer(env, noise=0.2)
    t0 = time.perf_counter()
    games = rollout(env.factory(), player, tasks, n_workers=0, progress=False)
    wall = time.perf_counter() - t0
    return sum(len(g.steps) for g in games) / wall, sum(bool(g.success) for g in games) / len(games)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--games', type=int, default=300, help='games per measurement (tasks repeated as needed)')
    a = ap.parse_args()
    for name in ('twenty_questions', 'guess_my_city'):
        env = make_env(name, listing=False)
        pool = env.tasks('train')
        tasks = (pool * (a.games // len(pool) + 1))[:a.games]
        b = bare(env, tasks, env.questions(), env.max_steps)
        p, won = played(env, tasks)
        print(f'{name}: bare env {b:,.0f} turns/s; with InfoGainPlayer through rollout {p:,.0f} turns/s '
              f'({won:.0%} won); the env is {100 * p / b:.1f} % of that time')
