"""seq2seq with and without attention on a toy translation that reorders words (book chapter 7).

The toy language: a source sentence is a string of chunks — an adjective followed by its noun
(红 猫), a bare noun, or a linking word (追, 和 …) — written Chinese-style. Its "translation" maps
every word to a French-like word and puts each adjective *after* its noun, as French does
(红 猫 → chat rouge). So the target has the source's length, the alignment is the diagonal, and
every adjective–noun pair is a crossing.

Two GRU encoder–decoders are trained on the same batches, identical except for the context the
decoder reads at step i (BOOK_SPEC §7.6):

* ``plain`` (Sutskever et al. / Cho et al. 2014): one fixed vector c = h_n, the encoder's last
  state, fed to every decoder step;
* ``attention`` (Bahdanau et al. 2014): e_ij = vᵀ tanh(W_s s_{i−1} + W_h h_j), α_ij = softmax_j,
  c_i = Σ_j α_ij h_j, fed to step i.

The encoder is one forward GRU, not Bahdanau's bidirectional one: on an 18-word vocabulary a
bidirectional h_j carries its neighbours' words as clearly as its own, and α then settled one
position off the true alignment (tried: the model translated perfectly while looking at the
adjective for both words of a pair). With a forward encoder h_j is dominated by word j, so α lands
on the word being translated, which is what the chapter's heat map is about.

Both decoders start from s_0 = tanh(W c) and predict y_i from [s_i; context]. Evaluation is greedy
decoding of as many words as the source has (the language keeps length), on held-out sentences of
every length; sequence accuracy counts sentences with every word right. Recorded for the scenes:
accuracy against length for both models, the plain model's c for example sentences of growing
length, and the attention model's α (target × source) on those examples at several checkpoints,
with e_ij and c_i of every step at the end of training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from sims.torch_setup import torch_session
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "SEED", "run", "make_sentence", "translate"]

# The toy vocabulary: (source word, target word). Ids: adjectives, then nouns, then linking words.
ADJECTIVES = (("红", "rouge"), ("大", "grand"), ("小", "petit"), ("新", "neuf"), ("旧", "vieux"), ("快", "vif"))
NOUNS = (("猫", "chat"), ("狗", "chien"), ("车", "auto"), ("书", "livre"), ("山", "mont"), ("河", "fleuve"),
         ("鸟", "oiseau"), ("鱼", "poisson"))
LINKS = (("追", "suit"), ("看", "voit"), ("和", "et"), ("在", "sur"))
WORDS = ADJECTIVES + NOUNS + LINKS
N_ADJ, N_NOUN, V = len(ADJECTIVES), len(NOUNS), len(WORDS)
BOS = V  # the decoder's first input


@dataclass(frozen=True)
class Params:
    min_len: int = 4  # shortest source sentence, in words (not stated in the book: our toy task)
    max_len: int = 20  # longest; training and evaluation lengths are uniform over [min_len, max_len]
    p_pair: float = 0.4  # chance that a chunk is adjective + noun (a crossing in the alignment)
    p_noun: float = 0.3  # chance of a bare noun; the rest are linking words
    embed: int = 16  # word-embedding size (source and target)
    hidden: int = 32  # GRU units per direction; the plain model's c has 2·hidden numbers
    attn: int = 32  # size of the additive-attention layer (W_s s + W_h h)
    batch: int = 64  # sentences per Adam step (one length per batch)
    steps: int = 1200  # Adam steps per model (the attention model needs ~1000 to hold up to 20 words)
    lr: float = 1e-2  # Adam learning rate
    clip: float = 1.0  # gradient-norm clip
    eval_per_len: int = 64  # held-out sentences per source length
    checkpoints: int = 6  # α recorded at this many points of training (step 0 and the last included)
    examples: int = 5  # example sentences, lengths spread over [min_len, max_len]
    device: str = "auto"  # "auto" = cuda when available, else cpu

    def __post_init__(self) -> None:
        if not 2 <= self.min_len <= self.max_len:
            raise ValueError(f"need 2 ≤ min_len ≤ max_len, got min_len={self.min_len}, max_len={self.max_len}")
        if self.p_pair + self.p_noun > 1:
            raise ValueError(f"p_pair + p_noun = {self.p_pair + self.p_noun:g} must be ≤ 1")
        if self.checkpoints < 2 or self.checkpoints > self.steps + 1:
            raise ValueError(f"need 2 ≤ checkpoints ≤ steps + 1, got checkpoints={self.checkpoints}, "
                             f"steps={self.steps}")


VARIANTS = {"default": {}}
RANGES = {
    "min_len": "[2, 64]",
    "max_len": "[2, 64]",  # and ≥ min_len (checked in Params); a step costs ∝ length
    "p_pair": "[0, 1]",
    "p_noun": "[0, 1]",  # and p_pair + p_noun ≤ 1 (checked in Params)
    "embed": "[1, 256]",
    "hidden": "[1, 512]",
    "attn": "[1, 512]",
    "batch": "[1, 4096]",
    "steps": "[1, 20000]",
    "lr": "(0, inf)",
    "clip": "(0, inf)",
    "eval_per_len": "[1, 4096]",
    "checkpoints": "[2, 50]",  # and ≤ steps + 1 (checked in Params)
    "examples": "[1, 12]",
    "device": {"auto", "cpu", "cuda"},
}
SEED = 0  # torch_session seeds both models' init; the sentence generators use seed+1 (train), seed+2 (held out)


# --- the toy language --------------------------------------------------------------------------------------
def make_sentence(length: int, p: Params, rng: np.random.Generator) -> np.ndarray:
    """Source word ids, ``length`` of them: chunks of adjective+noun, bare noun or linking word."""
    words: list[int] = []
    while len(words) < length:
        r = rng.random()
        if r < p.p_pair and length - len(words) >= 2:
            words += [int(rng.integers(N_ADJ)), N_ADJ + int(rng.integers(N_NOUN))]
        elif r < p.p_pair + p.p_noun:
            words.append(N_ADJ + int(rng.integers(N_NOUN)))
        else:
            words.append(N_ADJ + N_NOUN + int(rng.integers(len(LINKS))))
    return np.array(words)


def translate(src: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Target ids (same ids, target words) with every adjective moved after its noun; and, for each
    target position, the source position it translates (the true alignment)."""
    order = np.arange(len(src))
    j = 0
    while j < len(src):
        if src[j] < N_ADJ:  # an adjective is always followed by its noun
            order[j], order[j + 1] = j + 1, j
            j += 2
        else:
            j += 1
    return src[order], order


def make_batch(n: int, length: int, p: Params, rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
    src = np.stack([make_sentence(length, p, rng) for _ in range(n)])
    tgt, align = zip(*(translate(s) for s in src))
    return torch.from_numpy(src), torch.from_numpy(np.stack(tgt)), torch.from_numpy(np.stack(align))


# --- the models --------------------------------------------------------------------------------------------
class Seq2Seq(nn.Module):
    """Bidirectional GRU encoder; GRU decoder reading a fixed c (plain) or Bahdanau's c_i (attention)."""

    def __init__(self, p: Params, attention: bool) -> None:
        super().__init__()
        self.attention, h2 = attention, p.hidden
        self.src_emb = nn.Embedding(V, p.embed)
        self.encoder = nn.GRU(p.embed, p.hidden, batch_first=True)
        self.tgt_emb = nn.Embedding(V + 1, p.embed)
        self.init = nn.Linear(h2, p.hidden)
        # the decoder GRU: a cell stepped by hand when c_i changes every step; a whole-sequence GRU when the
        # context is one fixed c (same maths, and teacher forcing then runs all steps in one call)
        self.rnn = nn.GRUCell(p.embed + h2, p.hidden) if attention else nn.GRU(p.embed + h2, p.hidden,
                                                                               batch_first=True)
        self.out = nn.Linear(p.hidden + h2, V)
        if attention:
            self.W_s = nn.Linear(p.hidden, p.attn, bias=False)
            self.W_h = nn.Linear(h2, p.attn)
            self.v = nn.Linear(p.attn, 1, bias=False)

    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """h_j for every source position (B, n, H) and c = h_n (B, H)."""
        hs, last = self.encoder(self.src_emb(src))
        return hs, last[0]

    def decode(self, src: torch.Tensor, tgt: torch.Tensor | None, steps: int) -> dict[str, torch.Tensor]:
        """Teacher-forced when ``tgt`` is given, else greedy; logits (B, m, V), c, and for attention
        e (B, m, n), α (B, m, n), c_i (B, m, H)."""
        hs, c = self.encode(src)
        s = torch.tanh(self.init(c))
        bos = torch.full((src.shape[0], 1), BOS, dtype=torch.long, device=src.device)
        if tgt is not None and not self.attention:  # every input is known: one call for all steps
            x = torch.cat([self.tgt_emb(torch.cat([bos, tgt[:, :-1]], 1)), c[:, None].expand(-1, steps, -1)], 2)
            states, _ = self.rnn(x, s[None])
            return {"logits": self.out(torch.cat([states, c[:, None].expand(-1, steps, -1)], 2)), "c": c}
        keys = self.W_h(hs) if self.attention else None  # W_h h_j: once per sentence
        y = bos[:, 0]
        logits, es, alphas, contexts = [], [], [], []
        for i in range(steps):
            if self.attention:
                e = self.v(torch.tanh(keys + self.W_s(s)[:, None, :])).squeeze(2)  # e_ij, from s_{i-1}
                alpha = F.softmax(e, dim=1)
                ctx = torch.bmm(alpha[:, None, :], hs).squeeze(1)  # c_i = Σ_j α_ij h_j
                es.append(e), alphas.append(alpha), contexts.append(ctx)
                s = self.rnn(torch.cat([self.tgt_emb(y), ctx], 1), s)
            else:
                ctx = c
                s = self.rnn(torch.cat([self.tgt_emb(y), ctx], 1)[:, None], s[None])[1][0]
            logit = self.out(torch.cat([s, ctx], 1))
            logits.append(logit)
            y = tgt[:, i] if tgt is not None else logit.argmax(1)
        out = {"logits": torch.stack(logits, 1), "c": c}
        if self.attention:
            out.update(e=torch.stack(es, 1), alpha=torch.stack(alphas, 1), context=torch.stack(contexts, 1))
        return out


# --- training and evaluation -------------------------------------------------------------------------------
def checkpoint_steps(p: Params) -> list[int]:
    """Steps after which α is recorded: 0, then roughly geometric up to the last step."""
    later = np.geomspace(max(1.0, p.steps / 2 ** (p.checkpoints - 2)), p.steps, p.checkpoints - 1)
    steps = sorted({0, *map(int, np.round(later))})
    while len(steps) < p.checkpoints:  # rounding merged two: fill in with the first free steps
        steps = sorted({*steps, next(k for k in range(p.steps + 1) if k not in steps)})
    return steps


def greedy(model: Seq2Seq, src: torch.Tensor) -> dict[str, np.ndarray]:
    with torch.no_grad():
        out = model.decode(src, None, src.shape[1])
    return {k: v.double().cpu().numpy() for k, v in out.items()}


def train(model: Seq2Seq, p: Params, seed: int, device: torch.device, examples: list[torch.Tensor],
          ckpts: list[int]) -> tuple[np.ndarray, list[list[dict[str, np.ndarray]]]]:
    """Adam on fresh batches (the same batches for both models); the loss per step, and the greedy decoding
    of each example sentence at every checkpoint."""
    rng = np.random.default_rng(seed + 1)
    opt = torch.optim.Adam(model.parameters(), lr=p.lr)
    losses = np.zeros(p.steps)
    snaps = [[greedy(model, ex)] if 0 in ckpts else [] for ex in examples]
    for step in range(1, p.steps + 1):
        length = int(rng.integers(p.min_len, p.max_len + 1))
        src, tgt, _ = make_batch(p.batch, length, p, rng)
        src, tgt = src.to(device), tgt.to(device)
        logits = model.decode(src, tgt, length)["logits"]
        loss = F.cross_entropy(logits.reshape(-1, V), tgt.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), p.clip)
        opt.step()
        losses[step - 1] = loss.item()
        if step in ckpts:
            for k, ex in enumerate(examples):
                snaps[k].append(greedy(model, ex))
    return losses, snaps


def evaluate(model: Seq2Seq, held_out: dict[int, tuple[torch.Tensor, ...]]) -> dict[str, np.ndarray]:
    """Per source length: sequence accuracy, token accuracy and (attention) how often argmax α is the
    true source position."""
    seq, tok, aligned = [], [], []
    for src, tgt, align in held_out.values():
        out = greedy(model, src)
        right = out["logits"].argmax(2) == tgt.cpu().numpy()
        seq.append(right.all(1).mean())
        tok.append(right.mean())
        if "alpha" in out:
            aligned.append((out["alpha"].argmax(2) == align.cpu().numpy()).mean())
    result = {"seq_acc": np.array(seq), "tok_acc": np.array(tok)}
    if aligned:
        result["align_acc"] = np.array(aligned)
    return result


def run(params: Params, seed: int = SEED) -> Trace:
    """Train both models on the same batches, evaluate on held-out sentences, record the examples."""
    with torch_session(params.device, seed) as device:
        return _run(params, seed, device)


def _run(p: Params, seed: int, device: torch.device) -> Trace:
    lengths = np.arange(p.min_len, p.max_len + 1)
    rng = np.random.default_rng(seed + 2)
    held_out = {int(n): tuple(x.to(device) for x in make_batch(p.eval_per_len, int(n), p, rng)) for n in lengths}
    ex_lengths = np.unique(np.round(np.linspace(p.min_len, p.max_len, p.examples)).astype(int))
    ex_src = [make_sentence(int(n), p, rng) for n in ex_lengths]  # held out too: drawn after the eval sets
    examples = [torch.from_numpy(s)[None].to(device) for s in ex_src]
    ckpts = checkpoint_steps(p)

    # Both models draw their init from the generator as torch_session seeded it (fork_rng undoes the
    # plain model's draws), so shared modules start from the same weights.
    with torch.random.fork_rng(devices=[]):
        plain = Seq2Seq(p, attention=False).to(device)
    attn = Seq2Seq(p, attention=True).to(device)
    plain_loss, plain_snaps = train(plain, p, seed, device, examples, ckpts)
    attn_loss, attn_snaps = train(attn, p, seed, device, examples, ckpts)
    plain_eval, attn_eval = evaluate(plain, held_out), evaluate(attn, held_out)

    trace = Trace()
    trace.add(
        lengths=lengths,
        plain_seq_acc=plain_eval["seq_acc"], plain_tok_acc=plain_eval["tok_acc"],
        attn_seq_acc=attn_eval["seq_acc"], attn_tok_acc=attn_eval["tok_acc"], attn_align_acc=attn_eval["align_acc"],
        plain_loss=plain_loss, attn_loss=attn_loss,
        checkpoint_steps=np.array(ckpts),
        src_words=np.array([w for w, _ in WORDS]), tgt_words=np.array([w for _, w in WORDS]),
        n_adjectives=np.array(N_ADJ), n_nouns=np.array(N_NOUN),
        example_lengths=ex_lengths,
    )
    for k, src in enumerate(ex_src):
        tgt, align = translate(src)
        final_p, final_a = plain_snaps[k][-1], attn_snaps[k][-1]
        trace.add(**{
            f"ex{k}_src": src, f"ex{k}_tgt": tgt, f"ex{k}_align": align,
            f"ex{k}_plain_c": final_p["c"][0],  # the fixed vector the plain decoder reads: 2·hidden numbers
            f"ex{k}_plain_out": final_p["logits"][0].argmax(1),
            f"ex{k}_attn_out": final_a["logits"][0].argmax(1),
            f"ex{k}_alpha": np.stack([s["alpha"][0] for s in attn_snaps[k]]),  # (checkpoints, m, n)
            f"ex{k}_e": final_a["e"][0],  # (m, n) scores at the end of training
            f"ex{k}_context": final_a["context"][0],  # (m, 2·hidden) c_i
            f"ex{k}_h": _encoder_states(attn, examples[k]),  # (n, 2·hidden) h_j after training
        })

    long = lengths >= lengths[-1] - max(1, (len(lengths) - 1) // 4)  # the longest quarter of the lengths
    short = lengths <= lengths[0] + max(1, (len(lengths) - 1) // 4)
    trace.metrics = {
        "device": device.type,
        "context_size": p.hidden,
        "long_lengths": [int(lengths[long][0]), int(lengths[long][-1])],
        "short_lengths": [int(lengths[short][0]), int(lengths[short][-1])],
        **{f"{name}_{which}_{kind}": float(ev[f"{kind}_acc"][mask].mean())
           for name, ev in (("plain", plain_eval), ("attn", attn_eval))
           for which, mask in (("short", short), ("long", long)) for kind in ("seq", "tok")},
        "attn_align_acc": float(attn_eval["align_acc"].mean()),
        "plain_final_loss": float(plain_loss[-max(1, p.steps // 20):].mean()),
        "attn_final_loss": float(attn_loss[-max(1, p.steps // 20):].mean()),
        "held_out_sentences": int(p.eval_per_len * len(lengths)),
    }
    return trace


def _encoder_states(model: Seq2Seq, src: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return model.encode(src)[0][0].double().cpu().numpy()
