"""SFT training speed on CPU: tokens/s through the library's `sft`, and the fraction of this machine's own fp32 matmul
peak (measured with torch, in this run, on the model's own GEMM shapes and at the same thread count) that it reaches.

For every (size, threads, max_len) setting, in one process:

1. `sft(...)` on cached ALFWorld expert demos (`--demos`, default 40, written once to a JSONL in /tmp), stopped by a
   callback after `--seconds` of steady training (at least `--min-steps` steps; save_steps never reached). The first
   step is warm-up and is left out. `encode`, `collate` and `save_policy` of `hindsight_nb.training` are wrapped for
   timing and to record the exact batches the Trainer fed the model.
   - trained tokens = non-pad (attention-masked) tokens; padded tokens = batch x padded length.
2. A bare loop on the same batches (a fresh model with the same seed): forward + `weighted_loss`, backward, grad-norm
   clip, the Trainer's own optimizer (fused AdamW) -- timed per phase. sft step - bare step = Trainer/Python overhead.
3. FLOPs (PaLM-style, training = 3 x forward, causal masking not discounted):
       per sequence of length S:  6 * N * S + 12 * n_layers * d_attn * S^2
   N = weights used in matmuls = sum of in*out over every nn.Linear (q,k,v,o,gate,up,down and the LM head, which is
   tied to the embedding; the embedding lookup is no matmul). d_attn = n_heads * head_dim.
   "useful" FLOPs use each sequence's real length; "executed" FLOPs use the padded batch (B rows of length S_max).
4. Peak: the same GEMMs torch runs for one training step of a representative batch (B = batch size, S = mean padded
   length of the timed batches): for every Linear its forward X@W^T, input grad dY@W and weight grad dY^T@X, plus the
   attention bmms (QK^T and dO@V^T of shape [S,hd]x[hd,S]; PV, dV, dQ, dK of shape [S,S]x[S,hd], per batch*head),
   each timed alone (best of several runs) with torch at the setting's thread count, in fp32 and in bf16 (AMX where
   present). peak = total GEMM FLOPs / total GEMM time, i.e. the rate if the step were nothing but its matmuls. A run
   is compared with the peak of its own precision: `--precision bf16` trains under the Trainer's bf16 autocast
   (`AgentSettings.bf16`, what the cpu profile uses), whose matmuls run in bf16 while weights and AdamW stay fp32.
5. One bare step under torch.profiler, self time grouped by kind (matmul, attention, loss, optimizer, other ops) and
   the rest of the step's wall time (Python, dispatch, autograd bookkeeping).

Threads: `sft` sets torch's thread count from OMP_NUM_THREADS (default 1) in `train_args`, so this script sets that
variable as well as `torch.set_num_threads` for each setting. OpenMP's pool is started at the largest thread count
first (see `main`). `--group-by-length` is a no-op below 64 demos at batch size 8: the Trainer's LengthGroupedSampler
sorts within megabatches of len(data) // (4 * batch_size) batches, i.e. of one batch. Ratios are printed; nothing
asserts on timing.

    python benchmarks/training.py                     # tiny and small, threads 1 and 2, max_len 512 and 1024, fp32 and bf16
    python benchmarks/training.py --quick             # about two minutes: tiny, threads 1 and 2, max_len 512, fp32 and bf16
    python benchmarks/training.py --sizes small --threads 2 --max-len 1024 --seconds 60
"""
import argparse, contextlib, os, shutil, statistics, sys, tempfile, time
from pathlib import Path

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')


def ints(s): return [int(x) for x in s.split(',') if x]


@contextlib.contextmanager
def quiet(on=True):
    "Send the process's stdout/stderr (file descriptors, so C-level prints too) to /dev/null while inside."
    if not on: yield; return
    sys.stdout.flush(); sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(os.devnull, 'w') as null:
        os.dup2(null.fileno(), 1); os.dup2(null.fileno(), 2)
        try: yield
        finally:
            sys.stdout.flush(); sys.stderr.flush()
            os.dup2(saved[0], 1); os.dup2(saved[1], 2); os.close(saved[0]); os.close(saved[1])


def get_demos(n, cache):
    from hindsight_nb.core import read_jsonl, write_jsonl
    path = Path(cache or f'/tmp/hindsight_training_bench_demos_{n}.jsonl')
    if path.exists():
        demos = read_jsonl(path)
        if len(demos) >= n: return demos[:n], path
    from hindsight_nb.envs.alfworld import AlfWorldEnv
    t = time.perf_counter()
    demos = AlfWorldEnv().expert_demos('train', limit=n, n_workers=2, progress=False)
    write_jsonl(path, demos)
    print(f'expert demos: {len(demos)} in {time.perf_counter() - t:.0f}s, cached to {path}', flush=True)
    return demos, path


def set_threads(n):
    import torch
    os.environ['OMP_NUM_THREADS'] = str(n)  # train_args (inside sft) calls torch.set_num_threads from this variable
    torch.set_num_threads(n)


def linear_shapes(model):
    "{(in, out): count} over the model's nn.Linear modules (the LM head included)."
    import torch
    out = {}
    for m in model.modules():
        if isinstance(m, torch.nn.Linear): out[(m.in_features, m.out_features)] = out.get((m.in_features, m.out_features), 0) + 1
    return out


def model_dims(model):
    c = model.config
    hd = getattr(c, 'head_dim', None) or c.hidden_size // c.num_attention_heads
    N = sum(i * o * k for (i, o), k in linear_shapes(model).items())
    return dict(N=N, L=c.num_hidden_layers, h=c.num_attention_heads, hd=hd, d_attn=c.num_attention_heads * hd,
                params=sum(p.numel() for p in model.parameters()))


def batch_flops(batch, dims):
    "(useful FLOPs on the real tokens, executed FLOPs on the padded batch) of one training step on `batch`."
    lens = batch['attention_mask'].sum(1).tolist()
    B, S = batch['input_ids'].shape
    a = 12 * dims['L'] * dims['d_attn']
    useful = sum(6 * dims['N'] * n + a * n * n for n in lens)
    return useful, B * (6 * dims['N'] * S + a * S * S)


def time_op(fn, min_time=0.05, max_reps=50):
    "Best time of `fn()` over repetitions (after one warm-up call), running for about `min_time` seconds."
    fn()
    best, total, reps = float('inf'), 0.0, 0
    while reps < 3 or (total < min_time and reps < max_reps):
        t = time.perf_counter(); fn(); dt = time.perf_counter() - t
        best, total, reps = min(best, dt), total + dt, reps + 1
    return best


def gemm_peak(model, B, S, dtype, min_time):
    "Matmul rate on the GEMMs of one training step of a [B, S] batch: (total GFLOP/s, best single GEMM GFLOP/s, GEMM FLOPs)."
    import torch
    dims, M = model_dims(model), B * S
    jobs = []  # (flops, count, fn)
    g = torch.Generator().manual_seed(0)
    def r(*shape): return torch.randn(*shape, generator=g).to(dtype)
    for (i, o), k in linear_shapes(model).items():
        x, w, dy = r(M, i), r(o, i), r(M, o)
        f = 2 * M * i * o
        jobs += [(f, k, lambda x=x, w=w: torch.mm(x, w.t())),      # forward (F.linear)
                 (f, k, lambda dy=dy, w=w: torch.mm(dy, w)),       # grad of the input
                 (f, k, lambda dy=dy, x=x: torch.mm(dy.t(), x))]   # grad of the weight
    bh, hd, L = B * dims['h'], dims['hd'], dims['L']
    q, kt, p, v = r(bh, S, hd), r(bh, hd, S), r(bh, S, S), r(bh, S, hd)
    f = 2 * bh * S * S * hd
    jobs += [(f, 2 * L, lambda: torch.bmm(q, kt)), (f, 4 * L, lambda: torch.bmm(p, v))]
    tot_f = tot_t = best = 0.0
    for f, k, fn in jobs:
        t = time_op(fn, min_time)
        tot_f, tot_t, best = tot_f + f * k, tot_t + t * k, max(best, f / t)
    return tot_f / tot_t / 1e9, best / 1e9, tot_f


class Recorder:
    "Wraps encode/collate/save_policy of hindsight_nb.training for timing; keeps the collated batches in order."
    def __init__(self):
        import hindsight_nb.training as T
        self.T, self.encode_s, self.collate_s, self.save_s, self.batches = T, 0.0, [], 0.0, []
    def __enter__(self):
        T, self.orig = self.T, (self.T.encode, self.T.collate, self.T.save_policy)
        enc, col, sav = self.orig
        def encode(*a, **k):
            t = time.perf_counter(); out = enc(*a, **k); self.encode_s += time.perf_counter() - t; return out
        def collate(*a, **k):
            t = time.perf_counter(); out = col(*a, **k); self.collate_s.append(time.perf_counter() - t)
            self.batches.append(out); return out
        def save_policy(*a, **k):
            t = time.perf_counter(); out = sav(*a, **k); self.save_s += time.perf_counter() - t; return out
        T.encode, T.collate, T.save_policy = encode, collate, save_policy
        return self
    def __exit__(self, *exc):
        self.T.encode, self.T.collate, self.T.save_policy = self.orig


def step_timer(seconds, min_steps):
    from transformers import TrainerCallback
    class StepTimer(TrainerCallback):
        "Times each optimizer step; stops training after `seconds` of steps past the first (warm-up) one."
        def __init__(self): self.begin, self.pre_opt, self.opt, self.end, self.t0 = [], [], [], [], None
        def on_train_begin(self, *a, **k): self.t0 = time.perf_counter()
        def on_step_begin(self, *a, **k): self.begin.append(time.perf_counter())
        def on_pre_optimizer_step(self, *a, **k): self.pre_opt.append(time.perf_counter())
        def on_optimizer_step(self, *a, **k): self.opt.append(time.perf_counter())
        def on_step_end(self, args, state, control, **k):
            self.end.append(time.perf_counter())
            if len(self.end) > min_steps and self.end[-1] - self.end[0] >= seconds: control.should_training_stop = True
    return StepTimer()


def run_sft(tok, demos, size, max_len, batch_size, seconds, min_steps, **kw):
    from hindsight_nb.policy import build_model
    from hindsight_nb.training import sft
    model, timer = build_model(tok, size, seed=0), step_timer(seconds, min_steps)
    out = tempfile.mkdtemp(prefix='hindsight_train_bench_')
    try:
        with Recorder() as rec:
            t = time.perf_counter()
            sft(model, tok, demos, out, max_steps=10**6, save_steps=10**9, batch_size=batch_size, max_len=max_len,
                lr=1e-3, resume=False, callbacks=[timer], **kw)
            wall = time.perf_counter() - t
    finally: shutil.rmtree(out, ignore_errors=True)
    n = len(timer.end)
    steady = [timer.end[i] - timer.end[i - 1] for i in range(1, n)]
    fwdbwd = [timer.pre_opt[i] - timer.begin[i] for i in range(1, n)]
    opt = [timer.opt[i] - timer.pre_opt[i] for i in range(1, n)]
    return dict(wall=wall, steps=n, step=statistics.mean(steady), fwdbwd=statistics.mean(fwdbwd), opt=statistics.mean(opt),
                first=timer.end[0] - timer.t0, setup=timer.t0 - t - rec.encode_s if timer.t0 else float('nan'),
                encode=rec.encode_s, save=rec.save_s, collate=statistics.mean(rec.collate_s[1:n]) if n > 1 else 0.0,
                batches=rec.batches[:n])


def bare_loop(tok, size, batches, profile=True, bf16=False):
    "Forward+loss (under bf16 autocast if `bf16`, as the Trainer does), backward, clip, optimizer on `batches` (the first is warm-up, untimed); mean seconds per phase."
    import torch
    from transformers import Trainer
    from hindsight_nb.policy import build_model
    from hindsight_nb.training import weighted_loss, train_args
    model = build_model(tok, size, seed=0).train()
    with tempfile.TemporaryDirectory() as d:
        targs = train_args(d, lr=1e-3)
    set_threads(torch.get_num_threads())
    cls, kw = Trainer.get_optimizer_cls_and_kwargs(targs, model)
    opt = cls(model.parameters(), **kw)
    params = list(model.parameters())
    def step(b, t):
        t.append(time.perf_counter())
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            logits = model(input_ids=b['input_ids'], attention_mask=b['attention_mask'], use_cache=False).logits
            loss = weighted_loss(logits, b, 'tokens')
        t.append(time.perf_counter())
        loss.backward(); t.append(time.perf_counter())
        torch.nn.utils.clip_grad_norm_(params, targs.max_grad_norm); t.append(time.perf_counter())
        opt.step(); opt.zero_grad(set_to_none=True); t.append(time.perf_counter())
    step(batches[0], [])
    phases = [0.0] * 4
    for b in batches[1:]:
        t = []; step(b, t)
        for i in range(4): phases[i] += t[i + 1] - t[i]
    n = max(1, len(batches) - 1)
    fwd, bwd, clip, optim = (p / n for p in phases)
    prof = profile_step(model, opt, params, targs.max_grad_norm, batches[-1], bf16) if profile and len(batches) > 1 else None
    return dict(fwd=fwd, bwd=bwd, clip=clip, opt=optim, step=fwd + bwd + clip + optim, profile=prof)


KINDS = (('matmul', ('aten::mm', 'aten::addmm', 'aten::bmm', 'aten::baddbmm')),
         ('attention', ('scaled_dot_product', 'flash_attention')),
         ('loss', ('cross_entropy', 'log_softmax', 'nll_loss')),
         ('optimizer', ('adam', '_foreach', 'clip_grad', 'norm')))


def profile_step(model, opt, params, max_norm, b, bf16=False):
    "Fractions of one bare step's wall time spent in each kind of op (self time), and outside any op."
    import torch
    from torch.profiler import profile, ProfilerActivity
    from hindsight_nb.training import weighted_loss
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t = time.perf_counter()
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            loss = weighted_loss(model(input_ids=b['input_ids'], attention_mask=b['attention_mask'], use_cache=False).logits, b, 'tokens')
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, max_norm); opt.step(); opt.zero_grad(set_to_none=True)
        wall = time.perf_counter() - t
    out = {k: 0.0 for k, _ in KINDS}; out['other ops'] = 0.0
    for e in prof.key_averages():
        name = e.key.lower()
        kind = next((k for k, pats in KINDS if any(p in name for p in pats)), 'other ops')
        out[kind] += e.self_cpu_time_total / 1e6
    out['python/dispatch'] = max(0.0, wall - sum(out.values()))
    return {k: v / wall for k, v in out.items()}


def fmt_table(rows, header):
    w = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda r: '  '.join(str(x).rjust(n) for x, n in zip(r, w))
    return '\n'.join([line(header), line(['-' * n for n in w])] + [line(r) for r in rows])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--sizes', default='tiny,small', help='comma-separated hindsight_nb.policy.SIZES presets')
    ap.add_argument('--threads', type=ints, default=[1, 2])
    ap.add_argument('--max-len', type=ints, default=[512, 1024])
    ap.add_argument('--precision', type=lambda s: [x for x in s.split(',') if x], default=['fp32', 'bf16'],
                    help="fp32 and/or bf16 (the Trainer's bf16 autocast; AgentSettings.bf16)")
    ap.add_argument('--batch-size', type=int, default=8)
    ap.add_argument('--demos', type=int, default=40, help='ALFWorld expert demos (train split) to train on')
    ap.add_argument('--cache', default=None, help='JSONL of demos (default /tmp/hindsight_training_bench_demos_N.jsonl)')
    ap.add_argument('--vocab-size', type=int, default=2000)
    ap.add_argument('--seconds', type=float, default=25.0, help='steady sft seconds per setting (after the first step)')
    ap.add_argument('--min-steps', type=int, default=4, help='at least this many steps after the first')
    ap.add_argument('--peak-time', type=float, default=0.05, help='seconds to time each GEMM shape of the peak')
    ap.add_argument('--group-by-length', action='store_true',
                    help="sft with train_sampling_strategy='group_by_length' (batches of similar length: less padding)")
    ap.add_argument('--no-profile', action='store_true', help='skip the profiled bare step')
    ap.add_argument('--verbose', action='store_true', help="show the Trainer's and profiler's own output")
    ap.add_argument('--quick', action='store_true', help='about two minutes: tiny, threads 1 and 2, max_len 512, short runs')
    a = ap.parse_args()
    if a.quick:
        a.sizes, a.max_len, a.seconds, a.min_steps, a.peak_time = 'tiny', [512], 4.0, 3, 0.02
    sizes = [s for s in a.sizes.split(',') if s]
    sft_kw = dict(train_sampling_strategy='group_by_length') if a.group_by_length else {}

    import torch
    from hindsight_nb.policy import train_tokenizer, corpus, build_model, SIZES
    from hindsight_nb.training import encode
    bad = [s for s in sizes if s not in SIZES]
    if bad: sys.exit(f'unknown size(s) {bad}; choose from {list(SIZES)}')

    # Start OpenMP's pool at the largest thread count before anything else: torch.profiler started while the pool had
    # fewer threads made later settings with more threads ~7x slower (tiny model, 2 threads after 1) in this process.
    set_threads(max(a.threads)); torch.randn(512, 512) @ torch.randn(512, 512)
    demos, path = get_demos(a.demos, a.cache)
    tok = train_tokenizer(corpus(demos), vocab_size=a.vocab_size)
    cpu = next((l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines() if l.startswith('model name')), '?')
    print(f'torch {torch.__version__}, {os.cpu_count()} CPUs ({cpu}), load average {os.getloadavg()[0]:.2f}')
    print(f'{len(demos)} demos from {path}, vocab {len(tok)}, batch size {a.batch_size}, '
          f'sampling {"group_by_length" if a.group_by_length else "random (the Trainer default)"}')
    full = [len(encode(tok, d, max_len=None)['input_ids']) for d in demos]
    print(f'demo tokens (untruncated): mean {statistics.mean(full):.0f}, median {statistics.median(full):.0f}, '
          f'max {max(full)}; ' + ', '.join(f'{sum(n > L for n in full)}/{len(full)} cut to {L}' for L in a.max_len))
    for s in sizes:
        m = build_model(tok, s); d = model_dims(m)
        print(f'{s}: {d["params"] / 1e6:.2f}M params, N (matmul weights incl. LM head) = {d["N"] / 1e6:.2f}M, '
              f'{d["L"]} layers, d_attn {d["d_attn"]}; FLOPs/token at S=1024: 6N = {6 * d["N"] / 1e6:.1f}M + '
              f'12*L*d*S = {12 * d["L"] * d["d_attn"] * 1024 / 1e6:.1f}M')
    print(flush=True)

    results = []
    for size in sizes:
        dims = model_dims(build_model(tok, size))
        for L in a.max_len:
            for th, prec in [(th, prec) for th in a.threads for prec in a.precision]:
                set_threads(th)
                t0, bf16 = time.perf_counter(), prec == 'bf16'
                with quiet(not a.verbose): s = run_sft(tok, demos, size, L, a.batch_size, a.seconds, a.min_steps, bf16=bf16, **sft_kw)
                timed = s['batches'][1:]
                real = sum(int(b['attention_mask'].sum()) for b in timed)
                padded = sum(b['input_ids'].numel() for b in timed)
                useful, executed = map(sum, zip(*(batch_flops(b, dims) for b in timed)))
                set_threads(th)
                with quiet(not a.verbose): bare = bare_loop(tok, size, s['batches'], profile=not a.no_profile, bf16=bf16)
                S = round(statistics.mean(b['input_ids'].shape[1] for b in timed))
                model = build_model(tok, size)
                peak32, best, _ = gemm_peak(model, a.batch_size, S, torch.float32, a.peak_time)
                peak16, best16, _ = gemm_peak(model, a.batch_size, S, torch.bfloat16, a.peak_time)
                peak, best = (peak16, best16) if bf16 else (peak32, best)  # the run's own precision
                n = len(timed); sft_t, bare_t = s['step'] * n, bare['step'] * n
                epoch_steps = -(-len(demos) // a.batch_size)
                r = dict(size=size, threads=th, prec=prec, max_len=L, steps=n, S=S, real=real, padded=padded,
                         tok_s=real / sft_t, pad_s=padded / sft_t, bare_tok_s=real / bare_t,
                         useful=useful / sft_t / 1e9, executed=executed / sft_t / 1e9,
                         bare_exec=executed / bare_t / 1e9, peak=peak, best=best, peak32=peak32, peak16=peak16,
                         sft=s, bare=bare,
                         epoch_frac=s['encode'] / (s['encode'] + epoch_steps * s['step']), secs=time.perf_counter() - t0)
                results.append(r)
                print(f'{size} threads={th} {prec} max_len={L}: {n} timed steps, {r["tok_s"]:.0f} trained tok/s, '
                      f'{r["useful"]:.1f} useful GFLOP/s, {prec} peak {peak:.1f} GFLOP/s ({100 * r["useful"] / peak:.0f}%), '
                      f'{r["secs"]:.0f}s', flush=True)

    print('\nThroughput (sft = the library\'s sft(); bare = forward/backward/AdamW loop on the same batches)')
    print(fmt_table([[r['size'], r['threads'], r['prec'], r['max_len'], r['steps'], r['S'], f"{r['tok_s']:.0f}", f"{r['pad_s']:.0f}",
                      f"{r['bare_tok_s']:.0f}", f"{r['useful']:.1f}", f"{r['executed']:.1f}", f"{r['peak']:.1f}",
                      f"{100 * r['useful'] / r['peak']:.0f}", f"{100 * r['executed'] / r['peak']:.0f}",
                      f"{100 * r['bare_exec'] / r['peak']:.0f}", f"{r['best']:.0f}", f"{r['peak32']:.0f}", f"{r['peak16']:.0f}"] for r in results],
                    ['size', 'thr', 'prec', 'max_len', 'steps', 'S', 'trained tok/s', 'padded tok/s', 'bare trained tok/s',
                     'useful GF/s', 'exec GF/s', 'peak GF/s', 'useful %pk', 'exec %pk', 'bare exec %pk',
                     'best GEMM', 'fp32 peak', 'bf16 peak']))
    print('FLOPs of one training sequence of length S = 6*N*S + 12*n_layers*d_attn*S^2 (N: matmul weights incl. the LM head).')
    print('S: mean padded length of the timed batches (the peak GEMMs use B x S). useful = FLOPs of the real tokens / sft '
          'time; exec = FLOPs of the padded batches / sft time; %pk = of the GEMM peak on the same shapes in the run\'s own '
          'precision (bf16 runs: the bf16 peak).')

    print('\nWhere an sft step goes (% of the steady sft step unless noted)')
    print(fmt_table([[r['size'], r['threads'], r['prec'], r['max_len'], f"{r['sft']['step']:.3f}", f"{r['bare']['step']:.3f}",
                      f"{100 * r['sft']['collate'] / r['sft']['step']:.1f}", f"{100 * (1 - r['real'] / r['padded']):.0f}",
                      f"{100 * r['bare']['fwd'] / r['sft']['step']:.0f}", f"{100 * r['bare']['bwd'] / r['sft']['step']:.0f}",
                      f"{100 * (r['bare']['opt'] + r['bare']['clip']) / r['sft']['step']:.1f}",
                      f"{100 * (r['sft']['step'] - r['bare']['step']) / r['sft']['step']:.1f}",
                      f"{100 * r['executed'] / r['peak']:.0f}",
                      f"{r['sft']['encode']:.2f}", f"{100 * r['epoch_frac']:.1f}",
                      f"{r['sft']['setup']:.1f}", f"{r['sft']['save']:.2f}"] for r in results],
                    ['size', 'thr', 'prec', 'max_len', 'sft step s', 'bare step s', 'collate %', 'pad waste %', 'fwd %', 'bwd %',
                     'clip+AdamW %', 'Trainer/py %', 'GEMM@peak %', 'tokenize s', 'tok % of epoch', 'Trainer init s',
                     'save s']))
    print('pad waste = 1 - trained/padded tokens. fwd/bwd/clip+AdamW: the bare loop\'s phases. Trainer/py = (sft step - '
          'bare step) / sft step. GEMM@peak = time the executed FLOPs would take at the GEMM peak. tokenize = encode() of '
          'all demos inside sft (once per call); tok % of epoch = its share of encode + one epoch of steps. '
          'Trainer init: sft() start to on_train_begin, less tokenize.')

    if not a.no_profile and any(r['bare']['profile'] for r in results):
        kinds = [k for k, _ in KINDS] + ['other ops', 'python/dispatch']
        print('\nOne bare step under torch.profiler: % of its wall time by op kind (self time)')
        print(fmt_table([[r['size'], r['threads'], r['prec'], r['max_len']] + [f"{100 * r['bare']['profile'][k]:.0f}" for k in kinds]
                         for r in results if r['bare']['profile']], ['size', 'thr', 'prec', 'max_len'] + kinds))

    print('\nScaling of trained tokens/s')
    for size, prec in [(s, p) for s in sizes for p in a.precision]:
        by = {(r['threads'], r['max_len']): r['tok_s'] for r in results if r['size'] == size and r['prec'] == prec}
        for L in a.max_len:
            if len(a.threads) > 1 and all((t, L) in by for t in a.threads):
                t0, t1 = min(a.threads), max(a.threads)
                print(f'{size} {prec} max_len={L}: {t1} threads / {t0} thread(s) = {by[t1, L] / by[t0, L]:.2f}x')
        if len(a.max_len) > 1 and len(a.threads) > 0:
            lo, hi, t0, t1 = min(a.max_len), max(a.max_len), min(a.threads), max(a.threads)
            if (t1, lo) in by and (t0, hi) in by:
                print(f'{size} {prec}: ({t1} threads, max_len {lo}) / ({t0} thread(s), max_len {hi}) = {by[t1, lo] / by[t0, hi]:.2f}x')
    if {'fp32', 'bf16'} <= set(a.precision):
        by = {(r['size'], r['threads'], r['max_len'], r['prec']): r['tok_s'] for r in results}
        for (size, th, L, prec), v in by.items():
            if prec == 'bf16' and (size, th, L, 'fp32') in by:
                print(f'{size} threads={th} max_len={L}: bf16 / fp32 trained tokens/s = {v / by[size, th, L, "fp32"]:.2f}x')
    print(f'\nload average at the end: {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
