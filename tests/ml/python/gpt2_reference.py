"""Reads a Hugging Face GPT-2 export (config.json, model.safetensors, vocab.json, merges.txt) with PyTorch
alone and prints, as JSON, the token ids of a text and the logits of those ids.

Usage: python3 gpt2_reference.py <export dir> < request.json
  request: {"text": "...", "adapter": "<PEFT adapter dir>" (optional)}

With `transformers` installed, the model and tokenizer are loaded by GPT2LMHeadModel and GPT2Tokenizer
themselves; without it (Debian ships python3-torch but no transformers), by the GPT-2 forward pass below,
written from Hugging Face's modeling_gpt2 (Conv1D weights [in, out], c_attn = q | k | v, gelu_new,
pre-LayerNorm blocks, tied head) and OpenAI's byte-level BPE encoder. Everything is float64.
"""
import json
import math
import re
import struct
import sys

import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info["dtype"]
        start, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[base + start : base + end]), dtype=torch.float32)
        out[name] = t.reshape(info["shape"]).to(torch.float64)
    return out


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


# GPT-2's pre-tokenizer pattern (\p{L} / \p{N} written for Python's re).
PATTERN = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")


def encode(directory, text):
    with open(f"{directory}/vocab.json", encoding="utf-8") as f:
        vocab = json.load(f)
    with open(f"{directory}/merges.txt", encoding="utf-8") as f:
        lines = [l for l in f.read().split("\n") if l and not l.startswith("#version")]
    ranks = {tuple(l.split(" ")): i for i, l in enumerate(lines)}
    b2u = bytes_to_unicode()
    ids = []
    for chunk in PATTERN.findall(text):
        word = [b2u[b] for b in chunk.encode("utf-8")]
        while len(word) > 1:
            pairs = [(ranks.get((word[i], word[i + 1]), math.inf), i) for i in range(len(word) - 1)]
            best = min(pairs)[0]
            if best == math.inf:
                break
            a, b = lines[best].split(" ")
            merged, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                    merged.append(a + b)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        ids.extend(vocab[w] for w in word)
    return ids


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def pattern_value(pattern, name, default):
    """PEFT's rank_pattern / alpha_pattern lookup: the first key matching `(.*\.)?key$`."""
    for key, value in (pattern or {}).items():
        if re.match(rf"(.*\.)?({key})$", name):
            return value
    return default


def apply_lora(p, adapter_dir):
    """Folds a PEFT LoRA adapter into the weights as PEFT's LoRA layer computes it for GPT-2's Conv1D
    (fan_in_fan_out: delta = (B @ A).T * lora_alpha / r, per-module r and alpha from the patterns)."""
    with open(f"{adapter_dir}/adapter_config.json") as f:
        c = json.load(f)
    assert c["peft_type"] == "LORA" and c["fan_in_fan_out"] is True and not c.get("use_rslora")
    t = read_safetensors(f"{adapter_dir}/adapter_model.safetensors")
    prefix = "base_model.model."
    for key in t:
        if not key.endswith(".lora_A.weight"):
            continue
        module = key[len(prefix) : -len(".lora_A.weight")]
        assert module in c["target_modules"], module
        a, b = t[key], t[f"{prefix}{module}.lora_B.weight"]
        r = pattern_value(c["rank_pattern"], module, c["r"])
        alpha = pattern_value(c["alpha_pattern"], module, c["lora_alpha"])
        assert a.shape[0] == r, (module, a.shape, r)
        p[f"{module}.weight"] = p[f"{module}.weight"] + (b @ a).T * (alpha / r)


def forward(directory, ids, adapter_dir=None):
    with open(f"{directory}/config.json") as f:
        c = json.load(f)
    p = read_safetensors(f"{directory}/model.safetensors")
    if adapter_dir:
        apply_lora(p, adapter_dir)
    d, heads, eps = c["n_embd"], c["n_head"], c["layer_norm_epsilon"]
    t = len(ids)
    x = p["transformer.wte.weight"][ids] + p["transformer.wpe.weight"][:t]
    mask = torch.tril(torch.ones(t, t, dtype=torch.bool))
    for i in range(c["n_layer"]):
        h = f"transformer.h.{i}"
        a = layer_norm(x, p[f"{h}.ln_1.weight"], p[f"{h}.ln_1.bias"], eps)
        qkv = a @ p[f"{h}.attn.c_attn.weight"] + p[f"{h}.attn.c_attn.bias"]
        q, k, v = qkv.split(d, dim=-1)
        split = lambda u: u.reshape(t, heads, d // heads).transpose(0, 1)
        q, k, v = split(q), split(k), split(v)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // heads)
        scores = scores.masked_fill(~mask, torch.finfo(torch.float64).min)
        o = (torch.softmax(scores, dim=-1) @ v).transpose(0, 1).reshape(t, d)
        x = x + o @ p[f"{h}.attn.c_proj.weight"] + p[f"{h}.attn.c_proj.bias"]
        m = layer_norm(x, p[f"{h}.ln_2.weight"], p[f"{h}.ln_2.bias"], eps)
        m = gelu_new(m @ p[f"{h}.mlp.c_fc.weight"] + p[f"{h}.mlp.c_fc.bias"])
        x = x + m @ p[f"{h}.mlp.c_proj.weight"] + p[f"{h}.mlp.c_proj.bias"]
    x = layer_norm(x, p["transformer.ln_f.weight"], p["transformer.ln_f.bias"], eps)
    return x @ p["transformer.wte.weight"].T


def main():
    directory = sys.argv[1]
    request = json.load(sys.stdin)
    adapter = request.get("adapter")
    try:
        from transformers import GPT2LMHeadModel, GPT2Tokenizer  # noqa: F401

        tok = GPT2Tokenizer.from_pretrained(directory)
        ids = tok.encode(request["text"])
        model = GPT2LMHeadModel.from_pretrained(directory).to(torch.float64).eval()
        if adapter:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, adapter).to(torch.float64).eval()
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0]
        loader = "transformers"
    except ImportError:
        ids = encode(directory, request["text"])
        with torch.no_grad():
            logits = forward(directory, ids, adapter)
        loader = "torch"
    json.dump({"loader": loader, "torch": torch.__version__, "ids": ids, "logits": logits.tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
