"""PyTorch reference for bench/native.bench.ts: the same GPT-style fixture model as
bench/transformer_fixture.ts (one-hot embedding matmul, learned positions, pre-LayerNorm blocks with a
fused QKV projection, causal attention, tanh-GELU MLP, tied head, cross-entropy, Adam), timed per
training step, plus a 1024x1024 matmul.

Usage: python3 bench/torch_reference.py '{"batch":8,"seq":64,"dModel":128,"heads":4,"mlp":512,
"vocab":256,"layers":2}' STEPS [THREADS]
Prints one JSON line: {"torch": version, "threads": n, "stepMs": median, "matmulGflops": x}.

Serve mode (what the bench uses, so both sides alternate in one run under the same load):
python3 bench/torch_reference.py --serve CONFIG_JSON THREADS prints {"ready": true, ...} once the model is
built, then answers each stdin line "N" with {"times": [ms, ...], "loss": x} after N timed steps.

THREADS fixes PyTorch's intra-op threads (torch.set_num_threads) and, through OMP_NUM_THREADS /
OPENBLAS_NUM_THREADS set before torch loads, the OpenBLAS pool its matmuls run on (Debian's torch links the
system OpenBLAS, the same library the Deno side calls), so neither side oversubscribes the cores, and
sets OMP_WAIT_POLICY=PASSIVE unless it is set (OpenMP threads sleep instead of spinning at barriers).
"""

import json
import math
import os
import sys
import time


def _fix_threads_before_torch_loads():
    """OpenBLAS and OpenMP size their pools when the library loads: set the counts before `import torch`."""
    args = [a for a in sys.argv[1:] if a != "--serve"]
    if len(args) >= 3 or (len(args) == 2 and "--serve" in sys.argv):
        n = args[-1]
        for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[k] = n
        # libgomp's default spin-waiting at barriers collapses when the cores are shared: a step measured
        # 1838 ms with 2 threads at load 12 against 31 ms with PASSIVE (docs/native.md, "Round three").
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        return int(n)
    return None


THREADS = _fix_threads_before_torch_loads()

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def build(cfg):
    torch.manual_seed(1)
    B, T, D, H, Fh, V, L = (cfg[k] for k in ("batch", "seq", "dModel", "heads", "mlp", "vocab", "layers"))
    dh = D // H

    def p(*shape, std=0.02):
        return torch.nn.Parameter(torch.randn(*shape) * std)

    wte, wpe = p(V, D), p(T, D, std=0.01)
    blocks = []
    for _ in range(L):
        blocks.append(dict(
            ln1g=torch.nn.Parameter(torch.ones(D)), ln1b=torch.nn.Parameter(torch.zeros(D)),
            wqkv=p(D, 3 * D), bqkv=torch.nn.Parameter(torch.zeros(3 * D)),
            wo=p(D, D, std=0.02 / math.sqrt(2 * L)), bo=torch.nn.Parameter(torch.zeros(D)),
            ln2g=torch.nn.Parameter(torch.ones(D)), ln2b=torch.nn.Parameter(torch.zeros(D)),
            w1=p(D, Fh), b1=torch.nn.Parameter(torch.zeros(Fh)),
            w2=p(Fh, D, std=0.02 / math.sqrt(2 * L)), b2=torch.nn.Parameter(torch.zeros(D)),
        ))
    lnfg, lnfb = torch.nn.Parameter(torch.ones(D)), torch.nn.Parameter(torch.zeros(D))
    params = [wte, wpe, lnfg, lnfb] + [v for b in blocks for v in b.values()]
    ids = torch.randint(0, V, (B, T))
    targets = torch.randint(0, V, (B * T,))
    mask = torch.triu(torch.full((T, T), -1e9), diagonal=1)
    # AdamW without weight decay (= Adam), eps 1e-8: the fixture's ml/optim.ts AdamW with the same settings.
    opt = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)

    def loss_fn():
        x = F.one_hot(ids.reshape(-1), V).float() @ wte
        x = (x.reshape(B, T, D) + wpe).reshape(B * T, D)
        for b in blocks:
            h = F.layer_norm(x, (D,), b["ln1g"], b["ln1b"], 1e-5)
            qkv = (h @ b["wqkv"] + b["bqkv"]).reshape(B, T, 3, H, dh).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + mask, dim=-1) @ v
            x = x + att.permute(0, 2, 1, 3).reshape(B * T, D) @ b["wo"] + b["bo"]
            m = F.gelu(F.layer_norm(x, (D,), b["ln2g"], b["ln2b"], 1e-5) @ b["w1"] + b["b1"], approximate="tanh")
            x = x + m @ b["w2"] + b["b2"]
        logits = F.layer_norm(x, (D,), lnfg, lnfb, 1e-5) @ wte.t()
        return F.cross_entropy(logits, targets)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def serve(cfg):
    step = build(cfg)
    loss = step()  # first step: lazy allocations, not timed
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "firstLoss": loss}), flush=True)
    for line in sys.stdin:
        n = int(line.strip() or "0")
        if n <= 0:
            break
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            loss = step()
            times.append((time.perf_counter() - t0) * 1000)
        print(json.dumps({"times": times, "loss": loss}), flush=True)


def main():
    if sys.argv[1] == "--serve":
        torch.set_num_threads(THREADS or len(os.sched_getaffinity(0)))
        serve(json.loads(sys.argv[2]))
        return
    cfg = json.loads(sys.argv[1])
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    torch.set_num_threads(THREADS or len(os.sched_getaffinity(0)))
    step = build(cfg)
    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    a @ b
    mm = []
    for _ in range(10):
        t0 = time.perf_counter()
        a @ b
        mm.append(time.perf_counter() - t0)
    mm.sort()
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "stepMs": times[len(times) // 2],
        "matmulGflops": 2 * 1024 ** 3 / mm[len(mm) // 2] / 1e9,
    }))


if __name__ == "__main__":
    main()
