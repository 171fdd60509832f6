"""A tiny GPT and a tiny BERT pre-trained on the same small corpus (book chapter 10).

The corpus is generated here from a small grammar of 12-character Chinese sentences,
e.g. "小狗在河边吃肉，狗很饱。":

    [修饰][动物]在[地点(2 字)]吃[食物]，[动物]很[状态]。

The modifier, animal, place and state are drawn uniformly; the food is fixed by the animal
(猫→鱼, 狗→肉, 鸟→虫, 牛→草) and the animal is repeated after the comma. So some tokens
follow from the left context, some only from the right (the first animal, from its food),
and some from neither.

Both models are the same pre-LN Transformer (learned position embeddings, ``n_layers``
blocks of multi-head self-attention + FFN, residuals). They differ only in the mask and the
objective, as the chapter says:

* GPT: causal mask (position i sees ≤ i), loss = next-token cross-entropy at every position;
* BERT: full mask, ``mask_rate`` (15 %) of the positions selected per sentence, of those
  80 % replaced by [MASK], 10 % by a random token, 10 % kept; loss on the selected positions.

Recorded on one demo sentence (a fresh draw): both models' attention maps (every layer and
head), GPT's top guesses for each next token (teacher-forced) and its greedy generation one
token per step from the sentence's first token, BERT's masked positions (the 15 % draw on
the demo, all replaced by [MASK]) with its top guesses, and for every position i the
probability each model gives the true token: GPT from the left context only, BERT with i
alone masked (both sides).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from itertools import product

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from sims.torch_setup import torch_session
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "RANGES", "SEED", "run", "VOCAB", "MASK", "sentence"]

MODIFIERS, ANIMALS, PLACES, STATES = "小大老黑", "猫狗鸟牛", ("河边", "山上", "树下", "家里"), "饱乐忙累"
FOOD = {"猫": "鱼", "狗": "肉", "鸟": "虫", "牛": "草"}
MASK = "[MASK]"
VOCAB = tuple(dict.fromkeys(MODIFIERS + ANIMALS + "在" + "".join(PLACES) + "吃" + "".join(FOOD.values())
                            + "，很" + STATES + "。")) + (MASK,)
LENGTH = 12  # every sentence of the grammar has 12 characters
TOP = 3  # guesses recorded per prediction


def sentence(mod: str, animal: str, place: str, state: str) -> str:
    return f"{mod}{animal}在{place}吃{FOOD[animal]}，{animal}很{state}。"


ALL_SENTENCES = [sentence(*c) for c in product(MODIFIERS, ANIMALS, PLACES, STATES)]


@dataclass(frozen=True)
class Params:
    corpus_size: int = 2000  # sentences drawn from the grammar (256 distinct; not stated: a toy corpus)
    d_model: int = 32  # width (not stated)
    n_heads: int = 2
    n_layers: int = 2
    ffn: int = 64  # hidden units of each block's FFN
    train_steps: int = 600  # Adam steps per model (both losses flatten by ~500)
    batch: int = 64  # sentences per step
    lr: float = 3e-3
    mask_rate: float = 0.15  # BERT: the share of positions selected (the book's 15 %)
    mask_token_share: float = 0.8  # of those, replaced by [MASK]; the rest split evenly: random / kept
    eval_batch: int = 512  # sentences for the final losses
    device: str = "auto"  # auto | cpu | cuda

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be a multiple of n_heads={self.n_heads}")


VARIANTS = {"default": {}}
RANGES = {
    "corpus_size": "[1, 100000]",
    "d_model": "[2, 512]",  # and a multiple of n_heads (checked in Params)
    "n_heads": "[1, 16]",
    "n_layers": "[1, 8]",
    "ffn": "[1, 4096]",
    "train_steps": "[0, 20000]",  # the default 600 take ~5 s per model on one thread
    "batch": "[1, 4096]",
    "lr": "(0, inf)",
    "mask_rate": "(0, 1]",
    "mask_token_share": "[0, 1]",
    "eval_batch": "[1, 100000]",
    "device": {"auto", "cpu", "cuda"},
}
SEED = 0  # torch init; the corpus uses seed+1, BERT's masking seed+2, the demo sentence and its mask seed+3


class Block(nn.Module):
    """Pre-LN block: x + MHA(LN x), then x + FFN(LN x); the attention weights are kept for the record."""

    def __init__(self, p: Params) -> None:
        super().__init__()
        self.h, self.dk = p.n_heads, p.d_model // p.n_heads
        self.ln1, self.ln2 = nn.LayerNorm(p.d_model), nn.LayerNorm(p.d_model)
        self.qkv = nn.Linear(p.d_model, 3 * p.d_model)
        self.proj = nn.Linear(p.d_model, p.d_model)
        self.ff = nn.Sequential(nn.Linear(p.d_model, p.ffn), nn.ReLU(), nn.Linear(p.ffn, p.d_model))

    def forward(self, x: torch.Tensor, allowed: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n, length, d = x.shape
        allowed = allowed[:length, :length]
        q, k, v = self.qkv(self.ln1(x)).view(n, length, 3, self.h, self.dk).permute(2, 0, 3, 1, 4)
        scores = (q @ k.transpose(-1, -2) / math.sqrt(self.dk)).masked_fill(~allowed, float("-inf"))
        a = scores.softmax(-1)
        x = x + self.proj((a @ v).transpose(1, 2).reshape(n, length, d))
        return x + self.ff(self.ln2(x)), a


class TinyTransformer(nn.Module):
    """Token + position embeddings, ``n_layers`` blocks, a final LayerNorm and a linear head over the vocabulary."""

    def __init__(self, p: Params, causal: bool) -> None:
        super().__init__()
        self.tok = nn.Embedding(len(VOCAB), p.d_model)
        self.pos = nn.Embedding(LENGTH, p.d_model)
        self.blocks = nn.ModuleList(Block(p) for _ in range(p.n_layers))
        self.ln = nn.LayerNorm(p.d_model)
        self.head = nn.Linear(p.d_model, len(VOCAB) - 1)  # never predicts [MASK]
        ones = torch.ones(LENGTH, LENGTH, dtype=torch.bool)
        self.register_buffer("allowed", torch.tril(ones) if causal else ones)  # the mask M_ij

    def forward(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.tok(ids) + self.pos.weight[: ids.shape[1]]
        maps = []
        for block in self.blocks:
            x, a = block(x, self.allowed)
            maps.append(a)
        return self.head(self.ln(x)), torch.stack(maps, 1)  # logits (N, L, V), attention (N, layers, heads, L, L)


def encode(text: str) -> list[int]:
    return [VOCAB.index(c) for c in text]


def bert_corrupt(ids: torch.Tensor, p: Params, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The 15 % / 80-10-10 rule: (corrupted ids, selected positions, what happened: 0 kept, 1 [MASK], 2 random)."""
    selected = torch.rand(ids.shape, generator=gen) < p.mask_rate
    roll = torch.rand(ids.shape, generator=gen)
    keep_share = (1 - p.mask_token_share) / 2
    kind = torch.where(roll < p.mask_token_share, 1, torch.where(roll < p.mask_token_share + keep_share, 2, 0))
    kind = torch.where(selected, kind, torch.zeros_like(kind))
    random_ids = torch.randint(0, len(VOCAB) - 1, ids.shape, generator=gen)
    out = torch.where(kind == 1, VOCAB.index(MASK), torch.where(kind == 2, random_ids, ids))
    return out, selected, kind


def gpt_loss(model: TinyTransformer, ids: torch.Tensor) -> torch.Tensor:
    logits, _ = model(ids)
    return F.cross_entropy(logits[:, :-1].flatten(0, 1), ids[:, 1:].flatten())


def bert_loss(model: TinyTransformer, ids: torch.Tensor, corrupted: torch.Tensor,
              selected: torch.Tensor) -> torch.Tensor:
    logits, _ = model(corrupted)
    return F.cross_entropy(logits[selected], ids[selected])


def train(model: TinyTransformer, corpus: torch.Tensor, p: Params, seed: int, device: torch.device,
          bert: bool) -> tuple[np.ndarray, np.ndarray]:
    """Adam on batches from the corpus; returns the loss per step and BERT's counts of kept / [MASK] / random."""
    pick = torch.Generator().manual_seed(seed + 1)
    corrupt = torch.Generator().manual_seed(seed + 2)
    opt = torch.optim.Adam(model.parameters(), lr=p.lr)
    losses, counts = np.zeros(p.train_steps), np.zeros(3)
    for step in range(p.train_steps):
        ids = corpus[torch.randint(0, len(corpus), (p.batch,), generator=pick)]
        if bert:
            corrupted, selected, kind = bert_corrupt(ids, p, corrupt)
            counts += np.bincount(kind[selected].numpy(), minlength=3)
            loss = bert_loss(model, ids.to(device), corrupted.to(device), selected.to(device))
        else:
            loss = gpt_loss(model, ids.to(device))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses[step] = loss.item()
    return losses, counts


def next_token_entropy() -> np.ndarray:
    """H(x_t | x_<t) of the grammar for t = 1 … L−1, exactly (every sentence equally likely): GPT's floor."""
    out = []
    for t in range(1, LENGTH):
        by_prefix: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for s in ALL_SENTENCES:
            by_prefix[s[:t]][s[t]] += 1
        h = 0.0
        for nexts in by_prefix.values():
            c = np.array(list(nexts.values()), dtype=float)
            h += c.sum() / len(ALL_SENTENCES) * -(c / c.sum() * np.log(c / c.sum())).sum()
        out.append(h)
    return np.array(out)


def top(probs: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """The TOP most likely token ids and their probabilities along the last axis."""
    values, ids = probs.topk(TOP, -1)
    return ids.cpu().numpy(), values.double().cpu().numpy()


def run(params: Params, seed: int = SEED) -> Trace:
    with torch_session(params.device, seed) as device:
        return _run(params, seed, device)


def _run(p: Params, seed: int, device: torch.device) -> Trace:
    rng = np.random.default_rng(seed + 1)
    corpus = torch.tensor([encode(ALL_SENTENCES[i]) for i in rng.integers(0, len(ALL_SENTENCES), p.corpus_size)])
    gpt = TinyTransformer(p, causal=True).to(device)
    bert = TinyTransformer(p, causal=False).to(device)
    gpt_curve, _ = train(gpt, corpus, p, seed, device, bert=False)
    bert_curve, counts = train(bert, corpus, p, seed, device, bert=True)

    # final losses on fresh sentences of the grammar
    demo_rng = np.random.default_rng(seed + 3)
    eval_ids = torch.tensor([encode(ALL_SENTENCES[i]) for i in demo_rng.integers(0, len(ALL_SENTENCES),
                                                                                   p.eval_batch)])
    corrupted, selected, _ = bert_corrupt(eval_ids, p, torch.Generator().manual_seed(seed + 4))
    demo = ALL_SENTENCES[int(demo_rng.integers(0, len(ALL_SENTENCES)))]
    n_mask = max(1, round(p.mask_rate * LENGTH))
    masked_pos = np.sort(demo_rng.choice(LENGTH, n_mask, replace=False))
    ids = torch.tensor([encode(demo)], device=device)
    masked_ids = ids.clone()
    masked_ids[0, torch.as_tensor(masked_pos)] = VOCAB.index(MASK)
    single = ids.repeat(LENGTH, 1)  # row i: the demo with only position i masked
    single[torch.arange(LENGTH), torch.arange(LENGTH)] = VOCAB.index(MASK)

    gpt.eval()
    bert.eval()
    with torch.no_grad():
        gpt_eval = gpt_loss(gpt, eval_ids.to(device)).item()
        bert_eval = bert_loss(bert, eval_ids.to(device), corrupted.to(device), selected.to(device)).item()
        gpt_logits, gpt_attn = gpt(ids)
        gpt_probs = gpt_logits[0].softmax(-1)  # row t: the guess for token t+1
        bert_logits, bert_attn = bert(masked_ids)
        bert_probs = bert_logits[0].softmax(-1)
        _, bert_attn_clean = bert(ids)
        single_probs = bert(single)[0].softmax(-1)[torch.arange(LENGTH), torch.arange(LENGTH)]  # (L, V)
        gen = ids[:, :1].clone()  # greedy generation from the first token, one token per step
        gen_probs = []
        for _ in range(LENGTH - 1):
            probs = gpt(gen)[0][0, -1].softmax(-1)
            gen_probs.append(probs)
            gen = torch.cat([gen, probs.argmax().view(1, 1)], 1)

    true = ids[0]
    gpt_true = np.full(LENGTH, np.nan)  # nothing to the left of position 0: no GPT guess there
    gpt_true[1:] = gpt_probs[:-1].gather(1, true[1:, None])[:, 0].double().cpu().numpy()
    bert_true = single_probs.gather(1, true[:, None])[:, 0].double().cpu().numpy()
    next_top, next_top_p = top(gpt_probs[:-1])
    gen_top, gen_top_p = top(torch.stack(gen_probs))
    mask_top, mask_top_p = top(bert_probs[torch.as_tensor(masked_pos)])
    floor = next_token_entropy()

    def np_(t: torch.Tensor) -> np.ndarray:
        return t.detach().double().cpu().numpy()

    trace = Trace()
    trace.add(
        vocab=np.array(VOCAB),
        demo=np.array(list(demo)),
        demo_ids=true.cpu().numpy(),
        mask_causal=np.tril(np.ones((LENGTH, LENGTH), dtype=int)),
        mask_full=np.ones((LENGTH, LENGTH), dtype=int),
        gpt_loss=gpt_curve, bert_loss=bert_curve,
        gpt_attn=np_(gpt_attn[0]),  # (layers, heads, L, L) on the demo sentence
        bert_attn=np_(bert_attn[0]),  # on the demo with its masked positions
        bert_attn_clean=np_(bert_attn_clean[0]),  # on the unmasked demo
        next_top=next_top, next_top_p=next_top_p,  # (L−1, TOP): guesses for tokens 1 … L−1, teacher-forced
        gen_ids=gen[0].cpu().numpy(),  # greedy generation from demo[0]
        gen_top=gen_top, gen_top_p=gen_top_p,  # (L−1, TOP) at each generation step
        masked_pos=masked_pos,
        masked_input=np.array([VOCAB[i] for i in masked_ids[0].tolist()]),
        mask_top=mask_top, mask_top_p=mask_top_p,  # (n_mask, TOP)
        gpt_true_prob=gpt_true, bert_true_prob=bert_true,  # (L,) p(true token): left only / both sides
        mask_rule_counts=counts,  # kept, [MASK], random among the selected training positions
        entropy_floor=floor,  # (L−1,) H(x_t | x_<t)
    )
    selected_total = float(counts.sum())
    trace.metrics = {
        "device": device.type,
        "vocab_size": len(VOCAB) - 1,
        "uniform_loss": math.log(len(VOCAB) - 1),
        "gpt_final_loss": gpt_eval,
        "bert_final_loss": bert_eval,
        "gpt_entropy_floor": float(floor.mean()),
        "gpt_first_loss": float(gpt_curve[0]) if p.train_steps else None,
        "bert_first_loss": float(bert_curve[0]) if p.train_steps else None,
        "masked_share": selected_total / (p.train_steps * p.batch * LENGTH) if p.train_steps else None,
        "mask_rule_shares": (counts / selected_total).tolist() if selected_total else None,  # kept, MASK, random
        "demo": demo,
        "generated": "".join(VOCAB[i] for i in gen[0].tolist()),
        "n_masked": int(n_mask),
    }
    return trace
