"""PyTorch reference for bench/native.bench.ts: the same GPT-style fixture model as
bench/transformer_fixture.ts (one-hot embedding matmul, learned positions, pre-LayerNorm blocks with a
fused QKV projection, causal attention, tanh-GELU MLP, tied head, cross-entropy, Adam), timed per
training step, plus a 1024x1024 matmul.

Usage: python3 bench/torch_reference.py '{"batch":8,"seq":64,"dModel":128,"heads":4,"mlp":512,
"vocab":256,"layers":2}' STEPS
Prints one JSON line: {"torch": version, "threads": n, "stepMs": median, "matmulGflops": x}.
"""

import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F


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
    opt = torch.optim.Adam(params, lr=1e-3)

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


def main():
    cfg = json.loads(sys.argv[1])
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    torch.set_num_threads(len(os.sched_getaffinity(0)))
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
