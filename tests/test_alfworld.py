"ALFWorld on the real engine: experts win, the goal tracker agrees with `won`, bad input is reported, the embedded default works."
import os, time
from pathlib import Path
import pytest
from hindsight_nb.envs.alfworld import AlfWorldEnv, parse_goal, find_splits, task_type
from hindsight_nb.core import DataError
from hindsight_nb.envs.rollout import RandomPolicy

DATA = Path(__file__).parent.parent.parent/'shared'/'data'/'alfworld'
needs_data = pytest.mark.skipif(not (DATA/'json_2.1.1'/'valid_seen').exists(), reason=f'{DATA} not present')
KEYS = ('type', 'object', 'receptacle')

def check_agreement(demos):
    "Every demo is won, and its instructed goal is achieved exactly at the step where `won` first became true."
    for d in demos:
        assert d.success, (d.task_id, d.metadata.get('error'))
        won = [i for i, s in enumerate(d.steps) if s.info['won']]
        ins = d.metadata['goal']
        hit = [g for g in d.metadata['goals'] if {k: g[k] for k in KEYS} == ins]
        assert len(hit) == 1 and hit[0]['first_step'] == won[0] == len(d) - 1, d.task_id
        assert all(not any({k: g[k] for k in KEYS} == ins for g in d.steps[i].info['achieved']) for i in range(won[0])), d.task_id
        assert parse_goal(d.instruction) == ins, d.task_id
        assert d.metadata['source'] == 'expert'

def report(demos, dt):
    "Print how many games each expert won (the handcoded one first, the planner where it failed) and the time."
    hc = sum(d.metadata['expert'] == 'handcoded' and d.success for d in demos)
    pl = sum(d.metadata['expert'] == 'planner' and d.success for d in demos)
    print(f'{len(demos)} expert demos in {dt:.0f}s: handcoded won {hc}, planner won {pl} (of the {len(demos) - hc} handcoded failures)')
    return hc

@needs_data
def test_experts_quick():
    "12 games, two per task type: every demo won and agreeing with the tracker; the handcoded expert wins most."
    env = AlfWorldEnv(DATA)
    assert len({task_type(t) for t in env.select('valid_seen', 12)}) == 6
    t = time.time(); demos = env.expert_demos('valid_seen', limit=12, n_workers=2, progress=False)
    hc = report(demos, time.time() - t)
    check_agreement(demos)
    assert hc >= 9, 'the handcoded expert should win most games (did its command dialect change? see to_move/to_put)'

@needs_data
def test_heldout_scenes_of_the_development_copy():
    "Without valid_unseen, whole scenes absent from valid_seen are held out: >= 100 games, every room type that has one."
    env = AlfWorldEnv(DATA)
    sp = env.heldout_splits()
    scenes = {AlfWorldEnv.scene(t) for t in sp['unseen']}
    assert len(sp['unseen']) >= 100 and len(sp['train']) + len(sp['unseen']) == len(env.tasks('train'))
    assert not scenes & {AlfWorldEnv.scene(t) for t in sp['train'] + sp['seen']}
    assert {s // 100 for s in scenes} == {2, 3, 4}           # living rooms, bedrooms, bathrooms (every kitchen is in valid_seen)
    assert len({task_type(t) for t in sp['unseen']}) >= 4

@needs_data
@pytest.mark.full
def test_experts_all_valid_seen():
    "All 140 valid_seen games: every demo won (planner as fallback), goal tracker agrees with `won` on each."
    t = time.time(); demos = AlfWorldEnv(DATA).expert_demos('valid_seen', n_workers=2, progress=False)
    hc = report(demos, time.time() - t)
    assert len(demos) == 140
    check_agreement(demos)
    assert hc >= 0.75 * len(demos)

def test_bad_input(tmp_path, monkeypatch):
    monkeypatch.delenv('ALFWORLD_DATA', raising=False)
    with pytest.raises(DataError, match=str(tmp_path)): AlfWorldEnv(tmp_path)
    bad = tmp_path/'json_2.1.1'/'valid_seen'/'pick_and_place_simple-Mug-None-Shelf-1'/'trial_1'
    bad.mkdir(parents=True); (bad/'traj_data.json').write_text('{}'); (bad/'game.tw-pddl').write_text('{"solvable": true}')
    env = AlfWorldEnv(tmp_path)
    assert env.tasks('valid_seen') == ['valid_seen/pick_and_place_simple-Mug-None-Shelf-1/trial_1']
    with pytest.raises(DataError, match='traj_data.json'): env.reset(env.tasks('valid_seen')[0])
    with pytest.raises(DataError, match='game.tw-pddl'): env.reset('valid_seen/missing/trial')
    assert str(tmp_path) not in os.environ.get('ALFWORLD_DATA', '')  # an env's data dir never leaks into the environment (or subprocesses)

def test_alfworld_import_default_is_not_a_choice(monkeypatch, tmp_path):
    "Importing alfworld sets $ALFWORLD_DATA to an empty ~/.cache/alfworld; that must not hide the embedded games."
    monkeypatch.setenv('HOME', str(tmp_path)); monkeypatch.setenv('HINDSIGHT_NB_CACHE', str(tmp_path/'cache'))
    monkeypatch.setenv('ALFWORLD_DATA', ''); monkeypatch.delenv('ALFWORLD_DATA')  # recorded: the value alfworld sets below is undone after
    import importlib, alfworld.info; importlib.reload(alfworld.info)
    assert os.environ['ALFWORLD_DATA'] == str(tmp_path/'.cache'/'alfworld')
    assert set(find_splits()) == {'train', 'valid_seen', 'valid_unseen'}
    monkeypatch.setenv('ALFWORLD_DATA', str(tmp_path/'elsewhere')); (tmp_path/'elsewhere').mkdir()
    with pytest.raises(DataError, match='elsewhere'): find_splits()  # a folder the user chose is never second-guessed

def test_embedded_default_through_the_interface(monkeypatch):
    "The embedded games (every split has all six types), their expert demos and an evaluation, in worker processes."
    monkeypatch.delenv('ALFWORLD_DATA', raising=False)
    env = AlfWorldEnv()
    for split in ('train', 'valid_unseen'):
        assert len({env.task_type(t) for t in env.tasks(split)}) == 6
    demos = env.expert_demos('valid_unseen', limit=2, n_workers=2, progress=False)
    check_agreement(demos)
    trajs, summary = env.evaluate(RandomPolicy(0), 'valid_unseen', limit=2, n_workers=2, max_steps=5, progress=False)
    assert [t.task_id for t in trajs] == [d.task_id for d in demos] and all(len(t) <= 5 for t in trajs)
    assert summary.loc['all', 'n'] == 2 and list(summary.columns) == ['n', 'successes', 'success_rate', 'mean_score']

def play(env, tasks, n=12):
    "Everything an env shows on `tasks` (facts in their order), the expert's actions or a fixed cycle of admissible ones."
    import random
    out = []
    for tid in tasks:
        random.seed(0); obs, ins, info = env.reset(tid); ep = [(obs, ins, info)]
        for k in range(n):
            a = info['expert'] if env.expert_type else env.admissible()[k % len(env.admissible())]
            if a is None: break
            obs, r, done, info = env.step(a)
            ep.append((a, obs, r, done, info, env.admissible(), [str(f) for f in env.state['facts']]))
            if done: break
        out.append(ep)
    return out

def facts_as_sets(run): return [[x[:-1] + (sorted(x[-1]),) if len(x) == 7 else x for x in ep] for ep in run]

@pytest.mark.parametrize('expert', [None, 'handcoded'])
def test_engine_cache_changes_nothing(monkeypatch, tmp_path, expert):
    """The per-game engine cache (`_memo`) off, cold and warm: the same episodes. The translator's list of initial facts
    (hence the order of `facts`, not their set) may vary between translations (it does between processes), so `off`
    is compared with facts as sets; cold and warm share the stored translation and agree exactly."""
    from hindsight_nb.envs import alfworld as A
    monkeypatch.delenv('ALFWORLD_DATA', raising=False)
    env = AlfWorldEnv(expert=expert); tasks = env.select('valid_seen', 3)
    monkeypatch.setenv('HINDSIGHT_NB_CACHE', str(tmp_path)); A._BLOBS.clear()
    n = 40 if expert else 12
    monkeypatch.setattr(A, 'ENGINE_CACHE', False); off = play(env, tasks, n); A._BLOBS.clear()
    assert not (tmp_path/'alfworld').exists()
    monkeypatch.setattr(A, 'ENGINE_CACHE', True); cold = play(env, tasks, n); A._BLOBS.clear()
    assert len(list((tmp_path/'alfworld').glob('engine-*/sas/*/*.pkl.z'))) == 2 * len(tasks)  # as is, and for the planner
    warm = play(env, tasks, n)
    assert cold == warm and facts_as_sets(off) == facts_as_sets(cold)
    if expert: assert sum(ep[-1][3] for ep in cold) >= 2  # the expert's actions were followed to a win

def test_engine_cache_in_workers(monkeypatch, tmp_path):
    "Worker processes filling an empty cache at once (the same game twice) play what one process then reads from it."
    from hindsight_nb.envs.rollout import rollout
    monkeypatch.delenv('ALFWORLD_DATA', raising=False); monkeypatch.setenv('HINDSIGHT_NB_CACHE', str(tmp_path))
    env = AlfWorldEnv(); tasks = env.select('valid_unseen', 2)
    runs = [rollout(env.factory(), RandomPolicy(0), tasks + tasks, n_workers=n, max_steps=8, progress=False) for n in (2, 0)]
    assert not list(tmp_path.rglob('*.tmp'))
    assert [t.model_dump() for t in runs[0]] == [t.model_dump() for t in runs[1]]
