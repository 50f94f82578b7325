"""A misbehaving OpenAI-compatible endpoint (HTTP errors, HTML pages, broken completions, garbage answers, timeouts),
served on 127.0.0.1 and reached through the real `openai` client: every fault is a counted rejection, never a crash,
and the call cache keeps only answers, with their parse outcome."""
import json, time
import pytest
from hindsight_nb.llm import EndpointError, LLMCalls, make_complete
from hindsight_nb.hsl.relabel import LLMRelabeler
from test_llm_relabeler import traj, goal_answer, REL, FaultyServer, completion, ok

def relabeler(srv, cache=None, **kw):
    kw = {**dict(timeout=5, http_retries=0), **kw}
    return LLMRelabeler(srv.url, 'stub-70b', cache_dir=cache, **kw)

E500 = (500, 'application/json', '{"error": {"message": "engine died"}}', 0)
HTML = (200, 'text/html', '<html><body>502 Bad Gateway</body></html>', 0)

def test_http_500_is_retried_with_backoff_then_rejected_and_the_run_goes_on():
    with FaultyServer([E500, E500, E500, ok(goal_answer()), ok(REL)]) as s:
        rl = relabeler(s, http_retries=2)        # the relabeler's setting reaches the client: 1 + 2 requests
        assert rl.relabel(traj('a')) == []
        assert len(s.requests) == 3 and rl.stats['http_error'] == 1 and rl.stats['rejected'] == 1
        assert [r.first_step for r in rl.relabel(traj('b'))] == [5]   # the next trajectory is relabeled

def test_transient_500_recovers_within_client_retries():
    with FaultyServer([E500, ok(goal_answer()), ok(REL)]) as s:
        rl = relabeler(s, http_retries=1)
        assert [r.first_step for r in rl.relabel(traj())] == [5] and rl.stats['http_error'] == 0

@pytest.mark.parametrize('bad', [HTML, (200, 'application/json', '<html>oops</html>', 0),
                                 (200, 'application/json', '{"choices": []}', 0), (200, 'application/json', '{}', 0),
                                 (200, 'application/json', '{"choices": [{"message": null}]}', 0)],
                         ids=['html', 'html-as-json', 'empty-choices', 'no-choices', 'null-message'])
def test_bad_response_bodies_are_rejections(bad):
    with FaultyServer([bad, ok(goal_answer()), ok(REL)]) as s:
        rl = relabeler(s)
        assert rl.relabel(traj('a')) == [] and rl.stats['bad_response'] == 1 and rl.stats['rejected'] == 1
        assert len(rl.relabel(traj('b'))) == 1

def test_garbage_answers_are_counted_not_raised_and_replay_from_cache(tmp_path):
    "`{[1]: 2}` (TypeError in ast) and thousands of `[` (RecursionError in json) were crashes, cached before parsing."
    with FaultyServer([ok('{[1]: 2}'), ok('[' * 5000), ok('[' * 5000)]) as s:
        rl = relabeler(s, tmp_path)
        assert rl.relabel(traj()) == []
        assert (rl.stats['bad_schema'], rl.stats['bad_json'], rl.stats['retry'], rl.stats['rejected']) == (1, 2, 2, 1)
        outcomes = sorted(json.loads(p.read_text())['outcome'] for p in tmp_path.glob('*/*.json'))
        assert outcomes == ['bad_json', 'bad_json', 'bad_schema']       # stored as failures
        again = relabeler(s, tmp_path)                                  # a resumed run: no crash, no new call
        assert again.relabel(traj()) == [] and len(s.requests) == 3 and again.stats['cache_hit'] == 3

def test_failed_calls_are_not_cached_so_a_resume_asks_again(tmp_path):
    with FaultyServer([E500, ok(goal_answer()), ok(REL)]) as s:
        assert relabeler(s, tmp_path).relabel(traj()) == [] and not list(tmp_path.glob('*/*.json'))
        rl = relabeler(s, tmp_path)
        assert len(rl.relabel(traj())) == 1 and rl.stats['call'] == 2

def test_timeout_is_a_setting_and_a_rejection():
    with FaultyServer([(200, 'application/json', completion(goal_answer()), 2), ok(goal_answer()), ok(REL)]) as s:
        rl = relabeler(s, timeout=0.5)
        t = time.time()
        assert rl.relabel(traj('a')) == [] and rl.stats['timeout'] == 1 and time.time() - t < 2
        assert len(rl.relabel(traj('b'))) == 1

def test_wrong_url_or_model_stops_at_once_naming_it():
    with FaultyServer([(404, 'application/json', '{"error": {"message": "model stub-70b does not exist"}}', 0)]) as s:
        with pytest.raises(EndpointError, match=r'HTTP 404 .*stub-70b.*check base_url'):
            relabeler(s).relabel(traj())

def test_an_endpoint_that_is_down_stops_the_run_instead_of_rejecting_everything():
    with FaultyServer([E500] * 3) as s:
        rl = relabeler(s, max_failures_in_a_row=3)
        assert rl.relabel(traj('a')) == [] and rl.relabel(traj('b')) == []
        with pytest.raises(EndpointError, match='3 LLM calls in a row failed'): rl.relabel(traj('c'))

def test_llm_calls_is_the_same_contract_for_any_caller():
    "A later chapter's judge: its own prompt and parser, the same counted rejections."
    def verdict(t):
        v = json.loads(t)
        return v['score']
    with FaultyServer([HTML, ok('{"score": [1'), ok('{"score": 0.8}')]) as s:
        judge = LLMCalls(make_complete(s.url, 'judge', timeout=5, max_retries=0), 'judge')
        msgs = [dict(role='user', content='rate it')]
        assert judge.ask(msgs, verdict) is None and judge.ask(msgs, verdict) == 0.8
        assert (judge.stats['bad_response'], judge.stats['parser_crash'], judge.stats['rejected']) == (1, 1, 1)
