"LLMRelabeler against a scripted OpenAI-compatible server on 127.0.0.1, through the real `openai` client."
import json, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from hindsight_nb.core import Step, Trajectory
from hindsight_nb.hsl.relabel import LLMRelabeler

ACTIONS = ['go to countertop 2', 'go to countertop 1', 'take mug 1 from countertop 1', 'go to fridge 1',
           'open fridge 1', 'move mug 1 to fridge 1', 'go to cabinet 1']

def traj(id='t0'):
    return Trajectory(id=id, env='alfworld', task_id='x', instruction='cool some cup and put it in cabinet',
                      steps=[Step(observation=f'obs {i}', action=a) for i, a in enumerate(ACTIONS)], final_observation='end')

def goal_answer(n=len(ACTIONS), at=5):
    return json.dumps([dict(step=i + 1, action='', observation='', reasoning='', location='', inventory=[],
                            reached_goals=['put a mug 1 in fridge 1'] if i >= at else []) for i in range(n)])

REL = json.dumps([dict(step=i + 1, reasoning='', is_relevant_to_goal='no' if i == 0 else 'yes') for i in range(6)])

def completion(text):
    return json.dumps(dict(id='c', object='chat.completion', created=0, model='m', usage=None,
                           choices=[dict(index=0, finish_reason='stop', message=dict(role='assistant', content=text))]))

def ok(text): return (200, 'application/json', completion(text), 0)

class FaultyServer:
    "Serves a script of (status, content type, body, delay) responses, one per request; records (path, body) of each."
    def __init__(self, script):
        self.script, self.requests = list(script), []
        srv = self
        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                srv.requests.append((self.path, json.loads(self.rfile.read(int(self.headers['Content-Length'])))))
                status, ctype, body, delay = srv.script.pop(0) if srv.script else (500, 'text/plain', 'script exhausted', 0)
                time.sleep(delay)
                b = body.encode()
                try:
                    self.send_response(status); self.send_header('Content-Type', ctype); self.send_header('retry-after-ms', '10')
                    self.send_header('Content-Length', str(len(b))); self.end_headers(); self.wfile.write(b)
                except (BrokenPipeError, ConnectionResetError): pass
            def log_message(self, *a): pass
        self.server = ThreadingHTTPServer(('127.0.0.1', 0), H)
        self.url = f'http://127.0.0.1:{self.server.server_address[1]}/v1'
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
    def __enter__(self): self.thread.start(); return self
    def __exit__(self, *exc): self.server.shutdown(); self.server.server_close(); self.thread.join(5)

def Stub(answers):
    "A server that answers each request with the next of `answers` as a chat completion."
    return FaultyServer([ok(a) for a in answers])

def make(stub, cache=None, **kw):
    from openai import OpenAI
    client = OpenAI(base_url=stub.url, api_key='test', max_retries=0, timeout=10)
    return LLMRelabeler(client, model='stub-70b', cache_dir=cache, **kw)

def test_parse():
    with Stub([goal_answer(), REL]) as s:
        rl = make(s)
        rs = rl.relabel(traj())
    assert [(r.goal_text, r.first_step, r.relevance) for r in rs] == [('put a mug in fridge.', 5, [0, 1, 1, 1, 1, 1])]
    assert rl.stats['call'] == 2 and rl.stats['repaired_object_ids'] == 1 and rl.stats['rejected'] == 0
    (p1, b1), (p2, b2) = s.requests
    assert p1 == '/v1/chat/completions' and b1['model'] == 'stub-70b' and b1['temperature'] == 0.0
    assert 'goal-inference assistant for ALFWorld' in b1['messages'][0]['content']
    assert 'cool some cup' not in b1['messages'][1]['content']          # original instruction hidden
    assert b2['messages'][1]['content'].startswith('Goal: put a mug in fridge.')
    demo = rs[0].demo(traj())
    assert demo.instruction == 'put a mug in fridge.' and [s.weight for s in demo.steps] == [0, 1, 1, 1, 1, 1]

def test_retry_after_malformed():
    truncated = goal_answer()[:250]                                     # cut inside an element
    short = goal_answer(n=4, at=3)                                      # wrong step count
    with Stub([truncated, short, goal_answer(), REL]) as s:
        rl = make(s, max_retries=2)
        rs = rl.relabel(traj())
    assert len(rs) == 1 and rs[0].first_step == 5
    assert (rl.stats['bad_json'], rl.stats['wrong_step_count'], rl.stats['retry'], rl.stats['rejected']) == (1, 1, 2, 0)
    assert [b['temperature'] for _, b in s.requests] == [0.0, 0.7, 0.7, 0.0]

def test_relevance_rejection_drops_only_that_goal():
    with Stub([goal_answer(), 'no', 'no']) as s:
        rl = make(s, max_retries=1)
        assert rl.relabel(traj()) == []
    assert rl.stats['rejected'] == 1 and rl.stats['ok'] == 1

def test_cache_hit_makes_no_http_call(tmp_path):
    "A second run over the same cache answers every call from disk (offline replay is checked in nbs/hsl/01_relabel)."
    with Stub([goal_answer()[:250], goal_answer(), REL]) as s:
        first = make(s, tmp_path).relabel(traj())
        assert len(s.requests) == 3
        again = make(s, tmp_path)
        assert again.relabel(traj()) == first
        assert len(s.requests) == 3 and again.stats['cache_hit'] == 3 and again.stats['call'] == 0

def test_cache_key_includes_model_and_params(tmp_path):
    with Stub([goal_answer(), REL, goal_answer(), REL]) as s:
        make(s, tmp_path).relabel(traj())
        make(s, tmp_path, params=dict(max_tokens=100)).relabel(traj())  # other params: new calls
    assert len(s.requests) == 4
