"""A tiny language model learns to add, first by next-token prediction, then by GRPO (book chapter 16).

The chapter has no companion code (BOOK_SPEC §16.3 asks for a new script). A GRU language model reads
prompts like ``23+58=`` one character at a time and writes the answer digits and an end token. It is
first trained by supervised next-token prediction for only a few hundred steps, so that it answers
about half of the held-out prompts right; then it is trained by RL with a verifiable reward (RLVR):
the reward is 1 if the whole answer is right, else 0. The RL algorithm is GRPO (DeepSeekMath, the
one R1 used): for each prompt it samples a group of G answers, the advantage of answer i is
(r_i − mean r) / std r inside its group (no value network), and it maximises PPO's clipped ratio
objective per token minus β·KL(π ‖ π_ref) to the frozen supervised model (the k3 estimator).

In MDP terms (the book's §16.1): the state is the prompt plus the answer so far, the action is the
next token, the policy is the model's next-token distribution, the return is the verifier's reward
at the end of the answer.

Recorded: the accuracy on held-out prompts (greedy decoding, prompts never trained on) through both
phases; per RL step the mean reward, the KL to the reference, the clip fraction and the surrogate;
for one showcase prompt (default ``23+58=``, kept out of the supervised data and of the held-out set,
put into every RL batch) the sampled group at the first step where it holds both right and wrong
answers: tokens, per-token probabilities and the full next-token distributions before the update,
rewards, advantages, and the same probabilities after that step's update; the probability of the
right answer to it at every RL step; and one DPO step from the reference model on a pair taken from
that group (right answer preferred), with its implicit-reward margin.

None of the sizes come from the book (it has no code for this chapter); they are ours, pinned below.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from sims.torch_setup import torch_session
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "RANGES", "SEED", "run", "VOCAB", "group_advantages", "clipped_objective",
           "TinyLM"]

VOCAB = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "=", "<eos>")
PLUS, EQUALS, EOS = 10, 11, 12


@dataclass(frozen=True)
class Params:
    digits: int = 2  # digits of each operand: prompts like 23+58= (the example; the book has no task)
    eval_prompts: int = 500  # held-out prompts, never trained on; accuracy = greedy answer exactly right
    embed: int = 32  # token embedding width (not stated: no code in the book)
    hidden: int = 128  # GRU width (not stated)
    sft_steps: int = 400  # supervised steps: few on purpose, so the start is imperfect and RL has room
    sft_batch: int = 128  # prompts per supervised step
    sft_lr: float = 1e-2  # Adam, supervised phase
    rl_steps: int = 200  # GRPO steps (one sampled batch each)
    prompts_per_step: int = 32  # prompts per GRPO batch (the showcase prompt is one of them)
    group: int = 8  # G: answers sampled per prompt
    inner_epochs: int = 2  # μ: gradient steps on each sampled batch; the ratio leaves 1 after the first
    rl_lr: float = 5e-4  # Adam, GRPO phase
    clip: float = 0.2  # ε of the clipped ratio
    kl_coef: float = 0.04  # β of the KL term to the reference model (DeepSeekMath's value)
    temperature: float = 1.0  # sampling temperature of the RL groups
    eval_every: int = 10  # steps between held-out evaluations (both phases)
    dpo_beta: float = 0.1  # β of the one DPO step
    dpo_lr: float = 1e-3  # Adam step size of the one DPO step
    show_a: int = 23  # the showcase prompt show_a+show_b= (kept out of the supervised and held-out data)
    show_b: int = 58
    device: str = "auto"  # auto | cpu | cuda

    def __post_init__(self) -> None:
        lo, hi = operand_range(self.digits)
        if not (lo <= self.show_a < hi and lo <= self.show_b < hi):
            raise ValueError(f"show_a and show_b must have {self.digits} digits ({lo}…{hi - 1})")
        if self.eval_prompts > (hi - lo) ** 2 // 2:
            raise ValueError(f"eval_prompts must be at most half of the {(hi - lo) ** 2} possible prompts")


VARIANTS = {"default": {}}
RANGES = {
    "digits": "[1, 4]",
    "eval_prompts": "[1, 5000]",  # and at most half of all prompts (checked in Params)
    "embed": "[1, 512]",
    "hidden": "[1, 1024]",
    "sft_steps": "[0, 20000]",
    "sft_batch": "[1, 4096]",
    "sft_lr": "(0, inf)",
    "rl_steps": "[1, 5000]",
    "prompts_per_step": "[1, 1024]",
    "group": "[2, 256]",  # a group of one has no spread: every advantage would be 0
    "inner_epochs": "[1, 20]",
    "rl_lr": "(0, inf)",
    "clip": "(0, 1)",
    "kl_coef": "[0, inf)",
    "temperature": "(0, 10]",
    "eval_every": "[1, 20000]",
    "dpo_beta": "(0, inf)",
    "dpo_lr": "(0, inf)",
    "show_a": "[0, 9999]",  # and exactly `digits` digits (checked in Params)
    "show_b": "[0, 9999]",
    "device": {"auto", "cpu", "cuda"},
}
SEED = 0
ADV_EPS = 1e-4  # (r − mean) / (std + ε): a group whose answers all score the same gets advantages 0


def operand_range(digits: int) -> tuple[int, int]:
    """Operands with exactly ``digits`` digits: [lo, hi)."""
    return (0 if digits == 1 else 10 ** (digits - 1)), 10**digits


# --- the task: prompts, answers, the verifier ------------------------------------------------------------------
def encode_prompts(pairs: np.ndarray, digits: int) -> np.ndarray:
    """``a+b=`` as token ids, shape (n, 2·digits + 2)."""
    cols = [(pairs[:, 0] // 10**k) % 10 for k in reversed(range(digits))]
    cols += [np.full(len(pairs), PLUS)] + [(pairs[:, 1] // 10**k) % 10 for k in reversed(range(digits))]
    return np.stack(cols + [np.full(len(pairs), EQUALS)], axis=1).astype(np.int64)


def encode_answers(sums: np.ndarray, length: int) -> np.ndarray:
    """The digits of each sum, then the end token, padded with end tokens to ``length``."""
    out = np.full((len(sums), length), EOS, dtype=np.int64)
    for i, s in enumerate(sums):
        digits = [int(c) for c in str(int(s))]
        out[i, : len(digits)] = digits
    return out


def answer_mask(tokens: torch.Tensor) -> torch.Tensor:
    """1 for every token up to and including the first end token (the answer's actions), 0 after it."""
    is_eos = (tokens == EOS).long()
    before = torch.cumsum(is_eos, dim=1) - is_eos  # end tokens strictly before t
    return (before == 0).float()


def verify(tokens: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """The verifiable reward: 1 if the answer is exactly the sum's digits followed by the end token."""
    right = encode_answers(sums, tokens.shape[1])
    mask = answer_mask(torch.as_tensor(tokens)).numpy().astype(bool)
    return np.all((tokens == right) | ~mask, axis=1).astype(np.float64)


# --- the model ----------------------------------------------------------------------------------------------------
class TinyLM(nn.Module):
    """Embedding → one GRU layer → next-token logits."""

    def __init__(self, embed: int, hidden: int) -> None:
        super().__init__()
        self.emb = nn.Embedding(len(VOCAB), embed)
        self.gru = nn.GRU(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, len(VOCAB))

    def forward(self, tokens: torch.Tensor, h: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        out, h = self.gru(self.emb(tokens), h)
        return self.head(out), h


def answer_logits(model: TinyLM, prompts: torch.Tensor, answers: torch.Tensor) -> torch.Tensor:
    """Teacher-forced logits of every answer position, (n, L, V): position t predicts answer token t."""
    seq = torch.cat([prompts, answers[:, :-1]], dim=1)
    logits, _ = model(seq)
    return logits[:, prompts.shape[1] - 1:]


def token_logp(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    return torch.log_softmax(logits, -1).gather(-1, tokens[..., None]).squeeze(-1)


@torch.no_grad()
def generate(model: TinyLM, prompts: torch.Tensor, length: int, temperature: float = 1.0,
             gen: torch.Generator | None = None) -> torch.Tensor:
    """Answers of ``length`` tokens: sampled (``gen`` given) or greedy; tokens after the end token are end tokens."""
    logits, h = model(prompts)
    last = logits[:, -1]
    out = []
    for _ in range(length):
        if gen is None:
            tok = last.argmax(-1)
        else:
            tok = torch.multinomial(torch.softmax(last / temperature, -1), 1, generator=gen).squeeze(-1)
        out.append(tok)
        logits, h = model(tok[:, None], h)
        last = logits[:, -1]
    tokens = torch.stack(out, 1)
    return torch.where(answer_mask(tokens) > 0, tokens, torch.full_like(tokens, EOS))


def accuracy(model: TinyLM, prompts: torch.Tensor, sums: np.ndarray, length: int) -> float:
    return float(verify(generate(model, prompts, length).cpu().numpy(), sums).mean())


# --- GRPO's pieces ------------------------------------------------------------------------------------------------
def group_advantages(rewards: torch.Tensor) -> torch.Tensor:
    """(r − mean) / (std + ε) within each row (one row = one prompt's group); every row sums to 0."""
    mean = rewards.mean(dim=-1, keepdim=True)
    std = rewards.std(dim=-1, keepdim=True, unbiased=False)
    return (rewards - mean) / (std + ADV_EPS)


def clipped_objective(ratio: torch.Tensor, adv: torch.Tensor, eps: float) -> torch.Tensor:
    """PPO's per-token surrogate min(ρ·A, clip(ρ, 1−ε, 1+ε)·A); equals ρ·A wherever ρ = 1."""
    return torch.minimum(ratio * adv, ratio.clamp(1 - eps, 1 + eps) * adv)


def kl_k3(logp: torch.Tensor, logp_ref: torch.Tensor) -> torch.Tensor:
    """Per-token estimate of KL(π ‖ π_ref) from a sample of π: π_ref/π − log(π_ref/π) − 1 ≥ 0."""
    d = logp_ref - logp
    return torch.exp(d) - d - 1


def exact_kl(logits: torch.Tensor, ref_logits: torch.Tensor, mask: torch.Tensor) -> float:
    """Σ_v π log(π/π_ref) at each visited state, averaged over the answers' tokens."""
    logp, logq = torch.log_softmax(logits, -1), torch.log_softmax(ref_logits, -1)
    kl = (logp.exp() * (logp - logq)).sum(-1)
    return float((kl * mask).sum() / mask.sum())


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over each answer's own tokens, then over answers (GRPO's 1/|o_i| Σ_t)."""
    return ((x * mask).sum(1) / mask.sum(1)).mean()


def grpo_update(model: TinyLM, opt: torch.optim.Optimizer, p: Params, prompts: torch.Tensor, answers: torch.Tensor,
                mask: torch.Tensor, adv: torch.Tensor, logp_old: torch.Tensor,
                logp_ref: torch.Tensor) -> tuple[float, float, float]:
    """μ gradient steps on J = mean_i 1/|o_i| Σ_t [min(ρ·Â, clip(ρ)·Â) − β·KL_t]; returns the first epoch's clipped
    and plain surrogates (equal: ρ = 1 there) and the share of tokens clipped in the last epoch."""
    for epoch in range(p.inner_epochs):
        logp = token_logp(answer_logits(model, prompts, answers), answers)
        ratio = torch.exp(logp - logp_old)
        surr = clipped_objective(ratio, adv, p.clip)
        objective = masked_mean(surr - p.kl_coef * kl_k3(logp, logp_ref), mask)
        if epoch == 0:
            first = (float(masked_mean(surr, mask).detach()), float(masked_mean(ratio * adv, mask).detach()))
        opt.zero_grad()
        (-objective).backward()
        opt.step()
    clipped = ((ratio.detach() - 1).abs() > p.clip).float()
    return first[0], first[1], float((clipped * mask).sum() / mask.sum())


def run(params: Params, seed: int = SEED) -> Trace:
    """Supervised start, then GRPO with a verifiable reward; see the module docstring for what is recorded."""
    with torch_session(params.device, seed) as device:
        return train(params, seed, device)


def train(p: Params, seed: int, device: torch.device) -> Trace:
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    gen = torch.Generator(device=device).manual_seed(seed)
    lo, hi = operand_range(p.digits)
    length = p.digits + 2  # up to digits + 1 answer digits, then the end token

    # Prompts: every pair; the held-out set and the showcase prompt are never trained on by the supervised phase.
    grid = np.stack(np.meshgrid(np.arange(lo, hi), np.arange(lo, hi), indexing="ij"), -1).reshape(-1, 2)
    show_index = int(np.flatnonzero((grid[:, 0] == p.show_a) & (grid[:, 1] == p.show_b))[0])
    order = rng.permutation(np.delete(np.arange(len(grid)), show_index))
    eval_pairs, train_pairs = grid[order[: p.eval_prompts]], grid[order[p.eval_prompts:]]
    as_t = lambda a: torch.as_tensor(a, device=device)  # noqa: E731
    eval_prompts, eval_sums = as_t(encode_prompts(eval_pairs, p.digits)), eval_pairs.sum(1)
    train_prompt_np = encode_prompts(train_pairs, p.digits)
    train_answer_np = encode_answers(train_pairs.sum(1), length)
    show_pair = np.array([[p.show_a, p.show_b]])
    show_prompt, show_sum = as_t(encode_prompts(show_pair, p.digits)), show_pair.sum(1)
    show_answer = as_t(encode_answers(show_sum, length))

    model = TinyLM(p.embed, p.hidden).to(device)

    # Phase 1: supervised next-token prediction on the answers (the prompt is given).
    opt = torch.optim.Adam(model.parameters(), lr=p.sft_lr)
    curve_step, curve_acc, sft_loss = [], [], []
    for step in range(p.sft_steps):
        if step % p.eval_every == 0:
            curve_step.append(step), curve_acc.append(accuracy(model, eval_prompts, eval_sums, length))
        idx = rng.integers(0, len(train_pairs), p.sft_batch)
        prompts, answers = as_t(train_prompt_np[idx]), as_t(train_answer_np[idx])
        logp = token_logp(answer_logits(model, prompts, answers), answers)
        loss = -masked_mean(logp, answer_mask(answers))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sft_loss.append(loss.item())
    ref = copy.deepcopy(model).eval()
    for q in ref.parameters():
        q.requires_grad_(False)
    sft_acc = accuracy(model, eval_prompts, eval_sums, length)
    sft_wall = time.perf_counter() - t0

    # Phase 2: GRPO. Each batch: the showcase prompt and prompts_per_step − 1 training prompts, G answers each.
    opt = torch.optim.Adam(model.parameters(), lr=p.rl_lr)
    G, B = p.group, p.prompts_per_step
    log: dict[str, list] = {k: [] for k in ("reward", "kl", "clip_frac", "surr_clipped", "surr_plain", "show_p")}
    show: dict[str, np.ndarray] = {}
    for step in range(p.rl_steps):
        if step % p.eval_every == 0:
            curve_step.append(p.sft_steps + step), curve_acc.append(accuracy(model, eval_prompts, eval_sums, length))
        with torch.no_grad():
            log["show_p"].append(float(token_logp(answer_logits(model, show_prompt, show_answer), show_answer)
                                       .mul(answer_mask(show_answer)).sum().exp()))
        idx = rng.integers(0, len(train_pairs), B - 1)
        pairs = np.concatenate([show_pair, train_pairs[idx]])
        prompts = as_t(encode_prompts(pairs, p.digits)).repeat_interleave(G, 0)
        answers = generate(model, prompts, length, p.temperature, gen)
        rewards_np = verify(answers.cpu().numpy(), np.repeat(pairs.sum(1), G))
        rewards = as_t(rewards_np).float().view(B, G)
        adv = group_advantages(rewards).view(-1, 1)
        mask = answer_mask(answers)
        with torch.no_grad():
            old_logits = answer_logits(model, prompts, answers)
            ref_logits = answer_logits(ref, prompts, answers)
            logp_old, logp_ref = token_logp(old_logits, answers), token_logp(ref_logits, answers)
        log["reward"].append(float(rewards_np.mean()))
        log["kl"].append(exact_kl(old_logits, ref_logits, mask))
        g0 = rewards_np[:G]
        record = not show and (0 < g0.mean() < 1 or step == p.rl_steps - 1)
        surr_first, plain_first, clip_frac = grpo_update(model, opt, p, prompts, answers, mask, adv, logp_old,
                                                         logp_ref)
        log["surr_clipped"].append(surr_first), log["surr_plain"].append(plain_first)
        log["clip_frac"].append(clip_frac)
        if record:
            show = showcase(model, ref, prompts[:G], answers[:G], old_logits[:G], mask[:G], g0, adv[:G], step)
    curve_step.append(p.sft_steps + p.rl_steps)
    curve_acc.append(accuracy(model, eval_prompts, eval_sums, length))
    with torch.no_grad():
        log["show_p"].append(float(token_logp(answer_logits(model, show_prompt, show_answer), show_answer)
                                   .mul(answer_mask(show_answer)).sum().exp()))
    dpo = dpo_step(ref, p, show_prompt, show["show_tokens"], show["show_reward"], device)

    trace = Trace()
    trace.add(
        vocab=np.array(VOCAB),
        curve_step=np.array(curve_step, dtype=np.int64),  # held-out greedy accuracy; steps ≥ sft_steps are RL
        curve_acc=np.array(curve_acc),
        sft_loss=np.array(sft_loss),
        rl_reward=np.array(log["reward"]),  # mean reward of each step's sampled answers
        rl_kl=np.array(log["kl"]),  # exact KL(π ‖ π_ref) at the sampled states, before the step's update
        rl_clip_frac=np.array(log["clip_frac"]),  # share of answer tokens clipped in the last inner epoch
        rl_surr_clipped=np.array(log["surr_clipped"]),  # first inner epoch (ρ = 1): clipped surrogate …
        rl_surr_plain=np.array(log["surr_plain"]),  # … and the unclipped ρ·A, equal
        show_p_right=np.array(log["show_p"]),  # π(right answer | showcase prompt) before each RL step, and at the end
        show_prompt=encode_prompts(show_pair, p.digits)[0],
        show_right=encode_answers(show_sum, length)[0],
        **show,
        **dpo,
    )
    trace.metrics = {
        "sft_accuracy": sft_acc,
        "final_accuracy": float(curve_acc[-1]),
        "accuracy_gain": float(curve_acc[-1] - sft_acc),
        "first_reward": float(np.mean(log["reward"][: min(10, p.rl_steps)])),
        "last_reward": float(np.mean(log["reward"][-min(10, p.rl_steps):])),
        "final_kl": float(log["kl"][-1]),
        "show_step": int(show["show_step"]),
        "eval_prompts": int(p.eval_prompts),
        "train_prompts": int(len(train_pairs)),
        "sft_wall_s": sft_wall,
        "wall_s": time.perf_counter() - t0,
        "device": device.type,
    }
    return trace


def showcase(model: TinyLM, ref: TinyLM, prompts: torch.Tensor, answers: torch.Tensor, old_logits: torch.Tensor,
             mask: torch.Tensor, rewards: np.ndarray, adv: torch.Tensor, step: int) -> dict[str, np.ndarray]:
    """The showcase prompt's group at ``step``: before the step's update (``old_logits``) and after it (``model``
    now). The update is the real one, on the whole batch: this group's answers move by their own advantages and by
    what the other prompts' groups do to the shared weights."""
    with torch.no_grad():
        new_logits = answer_logits(model, prompts, answers)
        ref_logits = answer_logits(ref, prompts, answers)
    dists = {name: torch.softmax(x, -1) for name, x in
             (("before", old_logits), ("after", new_logits), ("ref", ref_logits))}
    pick = lambda probs: probs.gather(-1, answers[..., None]).squeeze(-1).cpu().numpy()  # noqa: E731
    return {
        "show_step": np.int64(step),
        "show_tokens": answers.cpu().numpy(),  # (G, L); after the first end token only end tokens (mask 0)
        "show_mask": mask.cpu().numpy(),
        "show_reward": rewards,
        "show_adv": adv.squeeze(-1).cpu().numpy(),
        "show_p_before": pick(dists["before"]),  # (G, L) π_old(token | state)
        "show_p_after": pick(dists["after"]),  # (G, L) after the step's update
        "show_dist_before": dists["before"].cpu().numpy(),  # (G, L, V) the whole next-token distribution
        "show_dist_after": dists["after"].cpu().numpy(),
        "show_dist_ref": dists["ref"].cpu().numpy(),
    }


def dpo_step(ref: TinyLM, p: Params, prompt: torch.Tensor, tokens: np.ndarray, rewards: np.ndarray,
             device: torch.device) -> dict[str, np.ndarray]:
    """One DPO step from the reference model on (right answer ≻ wrong answer) from the showcase group.

    L = −log σ(β[log π(y_w)/π_ref(y_w) − log π(y_l)/π_ref(y_l)]); the bracket times β is the implicit-reward
    margin, 0 before the step (π = π_ref). Without both a right and a wrong answer in the group, no pair: NaNs.
    """
    right, wrong = np.flatnonzero(rewards > 0), np.flatnonzero(rewards == 0)
    if not len(right) or not len(wrong):
        return {"dpo_pair": np.array([-1, -1]), "dpo_margin": np.full(2, np.nan), "dpo_loss": np.full(2, np.nan),
                "dpo_logp": np.full((2, 2), np.nan)}
    pair = np.array([right[0], wrong[0]])
    ys = torch.as_tensor(tokens[pair], device=device)
    xs = prompt.repeat(2, 1)
    mask = answer_mask(ys)
    policy = copy.deepcopy(ref).train()
    for q in policy.parameters():
        q.requires_grad_(True)
    opt = torch.optim.Adam(policy.parameters(), lr=p.dpo_lr)
    with torch.no_grad():
        ref_lp = (token_logp(answer_logits(ref, xs, ys), ys) * mask).sum(1)
    margins, losses, logps = [], [], []
    for k in range(2):
        lp = (token_logp(answer_logits(policy, xs, ys), ys) * mask).sum(1)
        margin = p.dpo_beta * ((lp[0] - ref_lp[0]) - (lp[1] - ref_lp[1]))
        loss = -F.logsigmoid(margin)
        margins.append(float(margin.detach())), losses.append(float(loss.detach()))
        logps.append(lp.detach().cpu().numpy())
        if k == 0:
            opt.zero_grad()
            loss.backward()
            opt.step()
    return {"dpo_pair": pair, "dpo_margin": np.array(margins), "dpo_loss": np.array(losses),
            "dpo_logp": np.array(logps)}  # rows: before, after the step; dpo_logp columns: y_w, y_l
