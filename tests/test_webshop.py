"""WebShopEnv's request/parse logic against a tiny loopback stub of WebShop's web app routes (not WebShop data)."""
import ast, http.server, json, threading, urllib.parse
import pytest
from hindsight_nb.core import DataError
from hindsight_nb.envs.webshop import WebShopEnv

GOAL = 'i want a blue sandal, size 7'
SEEN = []

class Stub(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        parts = [urllib.parse.unquote(p) for p in self.path.strip('/').split('/')]
        SEEN.append(parts)
        kind = parts[0]
        if kind == 'search_results':
            body = (f'<button>Back to Search</button><div>Page {parts[3]}</div><button>&lt; Prev</button><button>Next &gt;</button>'
                    '<a class="product-link">B00000000A</a><span>Stub sandal</span>')
        elif kind == 'item_page':
            body = ('<button>Back to Search</button><button>&lt; Prev</button><div>size</div>'
                    '<input type="radio" name="size" value="7"><label>7</label><input type="radio" name="size" value="7.5"><label>7.5</label>'
                    f'<span>options {parts[5]}</span><button>Features</button><button>Buy Now</button>')
        elif kind == 'item_sub_page':
            body = f'<button>Back to Search</button><button>&lt; Prev</button><div>{parts[5]} of the stub</div>'
        elif kind == 'done':
            body = f'<h3>Your score (min 0.0, max 1.0)</h3><div>{0.5 if ast.literal_eval(parts[3]) else 0.0}</div>'
        elif kind == 'broken':
            self.send_response(500); self.end_headers(); return
        else: body = '<h1>WebShop</h1><button>Search</button>'
        data = f'<html><body><script>var x=1;</script><h4>Instruction:</h4><div>{GOAL}</div>{body}</body></html>'.encode()
        self.send_response(200); self.send_header('Content-Length', str(len(data))); self.end_headers(); self.wfile.write(data)

@pytest.fixture(scope='module')
def base():
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Stub)
    th = threading.Thread(target=srv.serve_forever, daemon=True); th.start()
    yield f'http://127.0.0.1:{srv.server_address[1]}'
    srv.shutdown(); srv.server_close(); th.join(5)

def test_episode_routes_and_reward(base):
    env = WebShopEnv(base_url=base)
    obs, ins, info = env.reset('fixed_3')
    assert (obs, ins) == ('WebShop [SEP] Search', GOAL) and SEEN[-1] == ['fixed_3']
    obs, *_ = env.step('search[sandal 7/8 & "blue"]')       # the query is escaped as one path segment
    assert SEEN[-1] == ['search_results', 'fixed_3', 'sandal 7/8 & "blue"', '1'] and 'var x' not in obs
    env.step('click[Next >]'); assert SEEN[-1][3] == '2'
    env.step('click[< Prev]'); assert SEEN[-1][3] == '1'
    env.step('click[B00000000A]'); assert SEEN[-1][:3] == ['item_page', 'fixed_3', 'B00000000A']
    env.step('click[7.5]'); assert ast.literal_eval(SEEN[-1][5]) == {'size': '7.5'}
    env.step('click[7]'); assert ast.literal_eval(SEEN[-1][5]) == {'size': '7'}
    obs, *_ = env.step('click[Features]'); assert SEEN[-1][5] == 'Features' and 'Features of the stub' in obs
    env.step('click[< Prev]'); assert SEEN[-1][0] == 'item_page' and ast.literal_eval(SEEN[-1][5]) == {'size': '7'}
    assert 'click[Buy Now]' in env.admissible()
    obs, r, d, info = env.step('click[Buy Now]')
    assert SEEN[-1] == ['done', 'fixed_3', 'B00000000A', "{'size': '7'}"]
    assert (r, d, info['won'], info['score']) == (0.5, True, False, 0.5)
    with pytest.raises(RuntimeError, match='ended'): env.step('click[Buy Now]')

def test_invalid_actions_and_limit(base):
    env = WebShopEnv(base_url=base, max_steps=3)
    env.reset('fixed_1'); n = len(SEEN)
    assert env.step('buy the sandal')[0] == 'Invalid action!'
    assert env.step('click[Buy Now]')[0] == 'Invalid action!'      # not on the search page
    obs, r, d, info = env.step('click[Next >]')
    assert len(SEEN) == n and (d, info['truncated']) == (True, True)

def test_errors(base, tmp_path):
    with pytest.raises(ValueError, match='unknown split'): WebShopEnv(base_url=base).tasks('dev')
    with pytest.raises(ConnectionError, match='HTTP 500'): WebShopEnv(base_url=base).reset('broken')
    with pytest.raises(ConnectionError, match='no WebShop server'): WebShopEnv(base_url='http://127.0.0.1:9', timeout=2).reset('fixed_0')
    (tmp_path/'train_indices.json').write_text('[1, 2]'); (tmp_path/'test_indices.json').write_text('[3, "x"]')
    with pytest.raises(DataError, match='test_indices.json: entry 1'): WebShopEnv(base_url=base, data=tmp_path)
    (tmp_path/'test_indices.json').write_text('[3]')
    env = WebShopEnv(base_url=base, data=tmp_path)
    assert env.tasks('test') == ['fixed_3'] and env.factory()().tasks('train') == ['fixed_1', 'fixed_2']   # `data` travels to copies
