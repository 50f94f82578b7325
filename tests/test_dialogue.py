"""The dialogue games in worker processes: built by name, identical to an in-process run; spliced games read back from their checkpoint."""
from hindsight_nb.envs.base import make_env
from hindsight_nb.envs.rollout import rollout
from hindsight_nb.envs.twenty_questions import InfoGainPlayer

def _play(env, tasks, n_workers, **kw):
    return rollout(env.factory(), InfoGainPlayer(env, noise=0.3, seed=1), tasks, n_workers=n_workers, progress=False, seed=3, **kw)

def test_games_in_worker_processes_match_in_process(tmp_path):
    for name in ('twenty_questions', 'guess_my_city'):
        env = make_env(name, listing=False)
        tasks = env.tasks('test')[:6]
        here, there = _play(env, tasks, 0), _play(env, tasks, 2)
        assert [t.actions for t in here] == [t.actions for t in there]
        assert [t.score for t in here] == [t.score for t in there] and any(t.success for t in there)
        assert all(t.metadata['secret'] == env.by_id[t.task_id][2] for t in there)
        assert all(t.instruction == env.goal_space[0].upper() + env.goal_space[1:] + '.' for t in there)

def test_spliced_games_read_back_from_their_checkpoint(tmp_path):
    env = make_env('twenty_questions')
    tasks = env.tasks('train')[:4]
    first = _play(env, tasks, 2)
    prefixes = [t.actions[:2] + ['Is it alive?'] for t in first]
    ck = tmp_path/'splice.jsonl'
    a = _play(env, tasks, 2, prefixes=prefixes, checkpoint=ck)
    b = _play(env, tasks, 0, prefixes=prefixes, checkpoint=ck)   # complete: read back
    assert [t.model_dump() for t in a] == [t.model_dump() for t in b]
    assert all(t.steps[2].action == 'Is it alive?' and t.steps[2].info.get('prefix') for t in a)

def test_car_dealer_runs_in_workers():
    env = make_env('car_dealer')
    from hindsight_nb.envs.car_dealer import ScriptedSeller
    tasks = env.tasks('train')[:4]
    here = rollout(env.factory(), ScriptedSeller(seed=0), tasks, n_workers=0, progress=False, seed=0)
    there = rollout(env.factory(), ScriptedSeller(seed=0), tasks, n_workers=2, progress=False, seed=0)
    assert [t.actions for t in here] == [t.actions for t in there] and [t.score for t in here] == [t.score for t in there]
