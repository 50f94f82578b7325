"""AgentHER's LLM stages against a misbehaving OpenAI-compatible endpoint (the real `openai` client on 127.0.0.1):
malformed relabeler and judge answers are retried or rejected and counted per reason, the run never crashes, and no
goal outside ALFWorld's goal space is ever accepted."""
import json
from hindsight_nb.core import Trajectory, Step
from hindsight_nb.agenther.relabel import LLMRelabeler, LLMJudge, agenther, label_noise
from hindsight_nb.agenther.extract import EngineExtractor
from test_llm_relabeler import FaultyServer, ok

def failure(tid, instruction='put a clean mug in coffeemachine.', goal=('pick_and_place_simple', 'mug', 'shelf')):
    t, o, r = goal
    steps = [Step(observation='You are in the middle of a room.\n\nYour task is to: ' + instruction, action='go to countertop 1'),
             Step(observation='On the countertop 1, you see a mug 1.', action='take mug 1 from countertop 1'),
             Step(observation='You pick up the mug 1 from the countertop 1.', action='go to shelf 1'),
             Step(observation='On the shelf 1, you see nothing.', action='put mug 1 in/on shelf 1')]
    return Trajectory(id=tid, env='alfworld', task_id=f'train/{tid}/1', instruction=instruction, steps=steps,
                      final_observation='You put the mug 1 in/on the shelf 1.', success=False,
                      metadata=dict(goal=dict(type='pick_clean_then_place_in_recep', object='mug', receptacle='coffeemachine'),
                                    goals=[dict(type=t, object=o, receptacle=r, text=f'put a {o} in {r}.', first_step=3, touched=[1, 3])]))

def relabeling(goal, c=0.8, valid=True): return ok(json.dumps(dict(hindsight_prompt=goal, is_valid=valid, rationale='seen', confidence=c)))
def verdict(c): return ok(json.dumps(dict(is_valid=True, confidence=c, rejection_reason='')))

def test_malformed_relabeler_and_judge_answers_are_counted_never_raised(tmp_path):
    script = [  # failure a: three attempts, all malformed -> nothing accepted
              ok('Sure! The goal is: put a mug in shelf'), relabeling('put a mug in shelf.', c=1.7), ok('{"is_valid": true, "confidence": 0.9}'),
              # failure b: a goal outside the goal space, then a valid one the judge answers in HTML, then valid + confirmed
              relabeling('make coffee for the team.'), relabeling('put a mug in shelf.'), (200, 'text/html', '<html>502</html>', 0),
              relabeling('put a mug in shelf.'), verdict(0.9)]
    with FaultyServer(script) as s:
        kw = dict(cache_dir=tmp_path, timeout=5, http_retries=0)
        rl, jd = LLMRelabeler(s.url, 'stub', **kw), LLMJudge(s.url, 'stub', **kw)
        trajs = [failure('a'), failure('b', 'put a hot mug in coffeemachine.')]  # different questions: no shared cache entry
        acc, audit = agenther(trajs, None, EngineExtractor(), rl, jd, theta=0.5, K=3, detect=False)
    assert [a.traj_id for a in acc] == ['b'] and acc[0].parsed == dict(type='pick_and_place_simple', object='mug', receptacle='shelf')
    assert acc[0].attempts == 3 and acc[0].judge == 0.9
    st = audit.stats['relabeler']
    assert (st['not_json'], st['out_of_range'], st['missing_field'], st['outside_goal_space']) == (1, 1, 1, 1)
    assert audit.stats['judge']['bad_response'] == 1
    t = audit.table().set_index(['stage', 'outcome'])['count']
    assert t['accept', 'none'] == 1 and t['accept', 'later_attempt'] == 1 and t['relabel', 'no_answer'] == 4
    assert label_noise(acc, {t.id: t for t in trajs})['noise'] == 0.0
