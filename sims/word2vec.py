"""Skip-gram word vectors and their parallelograms (chapter 6, the book's ``code/06_word2vec.py``).

The book's training loop, one (centre c, context o) pair at a time:

    h = Win[c];  p = softmax(Wout @ h);  d = p − e_o
    Win[c] −= lr · Woutᵀ d;   Wout −= lr · outer(d, h)

(``method="softmax"``), and word2vec's faster objective (``method="negative"``): for each pair,
K = 5 negative words drawn from unigram^¾, loss −log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c).

Two corpora:

* ``toy`` - a dozen-odd words in a few hand-written sentences, in the spirit of the book's toy corpus
  (its own sentences are not printed). The book reports that its toy corpus puts *princess*, not
  queen, next to king − man + woman; we run ours honestly and report what it gives.
* ``structured`` - sentences generated from the seed: a person word (man, woman, king, queen, boy, girl,
  prince, princess) is the product of three independent factors (gender × royalty × age), a place word
  (France, Paris, Italy, Rome, …) of two (nation × country-or-capital), and each factor has its own
  pool of context words. The context distribution of a word then factorises, so the skip-gram
  optimum puts gender, royalty and "capital of" on consistent directions: the parallelograms the
  book draws from large corpora, on a corpus small enough to train in seconds.

Recorded: the input vectors Win at checkpoints, each analogy's four words in one fixed 2-D
projection (the PCA plane of their final vectors, rotated within the plane so that the
a − b difference (king − man, Paris − France) points up, as in the book's figure), the analogy
vector a − b + c with its cosine-ranked neighbours (the three query words excluded), and
the nearest neighbours of the book's query words.

Not stated in the book and pinned here: the corpora, dimension, window, epochs, learning rate and its
schedule (linear decay, as in the original word2vec; ``lr_decay=False`` keeps it fixed), initialisation
and seed. The snippet's ``h = Win[c]`` is a numpy view, so its ``Wout`` update uses the
already-updated row; we use the row before the update (the exact gradient step).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "RANGES", "SEED", "run", "softmax_grads", "negative_grads", "toy_sentences",
           "structured_sentences", "analogy", "neighbours", "ANALOGIES", "QUERIES"]


@dataclass(frozen=True)
class Params:
    corpus: str = "structured"  # "toy" (hand-written, C06's spirit) or "structured" (generated from the seed)
    method: str = "softmax"  # "softmax": the book's full-softmax loop; "negative": negative sampling
    dim: int = 12  # embedding size (not stated; the book's real models use 200~300)
    window: int = 2  # context words on each side (not stated)
    epochs: int = 4  # passes over the pairs, shuffled each time (not stated)
    lr: float = 0.1  # SGD step at the start (not stated)
    lr_decay: bool = True  # lr falls linearly to 1e-4·lr over the run, as in the original word2vec (not stated)
    init_scale: float = 0.1  # Win and Wout start as N(0, init_scale²) (not stated)
    sentences: int = 2000  # structured corpus: generated sentences (the toy corpus is fixed)
    noise: float = 0.1  # structured corpus: chance a context slot holds a random word instead of a factor word
    negatives: int = 5  # K negative words per pair (the book: 1 + K = 6 dot products)
    ns_power: float = 0.75  # negatives drawn from unigram^power (the book: 3/4)
    checkpoints: int = 40  # snapshots of Win after the start (spaced geometrically in steps)
    top_k: int = 5  # neighbours recorded per query and per analogy (at most vocabulary − 3)

    def __post_init__(self) -> None:
        if self.corpus not in ("toy", "structured") or self.method not in ("softmax", "negative"):
            raise ValueError(f"corpus={self.corpus!r} must be toy|structured and method={self.method!r} "
                             "softmax|negative")
        if self.top_k < 1 or self.checkpoints < 1 or self.dim < 2:
            raise ValueError("need dim ≥ 2, checkpoints ≥ 1 and top_k ≥ 1")


VARIANTS = {
    "default": {},
    "negative": {"method": "negative", "lr": 0.05},
    "toy": {"corpus": "toy", "epochs": 300, "dim": 10},
}
RANGES = {
    "corpus": {"toy", "structured"},
    "method": {"softmax", "negative"},
    "dim": "[2, 300]",
    "window": "[1, 10]",
    "epochs": "[1, 5000]",
    "lr": "(0, 1]",
    "init_scale": "(0, 10]",
    "sentences": "[10, 100000]",
    "noise": "[0, 1]",
    "negatives": "[1, 50]",
    "ns_power": "[0, 1]",
    "checkpoints": "[1, 500]",
    "top_k": "[1, 20]",
}
SEED = 0

# --- the corpora -------------------------------------------------------------------------------------------------
# Toy: a few sentences in which royal and human words share contexts (the book's own are not printed).
TOY = (
    "king royal palace crown man",
    "queen royal palace crown woman",
    "princess royal palace girl",
    "king rules palace",
    "queen rules palace",
    "man human work",
    "woman human work",
    "girl human woman",
    "princess girl royal",
    "man king human",
    "woman queen human",
    "girl princess palace",
)

# Structured: the person words are gender × royalty × age, the place words nation × (country | capital).
PERSONS = {("m", "royal", "adult"): "king", ("f", "royal", "adult"): "queen",
           ("m", "common", "adult"): "man", ("f", "common", "adult"): "woman",
           ("m", "royal", "young"): "prince", ("f", "royal", "young"): "princess",
           ("m", "common", "young"): "boy", ("f", "common", "young"): "girl"}
PERSON_POOLS = ({"m": ("he", "his", "him"), "f": ("she", "her", "hers")},
                {"royal": ("crown", "throne", "reign"), "common": ("street", "village", "market")},
                {"adult": ("married", "elder", "grown"), "young": ("child", "school", "toy")})
NATIONS = {"France": ("Paris", ("french", "gallic")), "Italy": ("Rome", ("italian", "latin")),
           "Germany": ("Berlin", ("german", "rhine")), "Spain": ("Madrid", ("spanish", "iberian")),
           "Japan": ("Tokyo", ("japanese", "samurai"))}
PLACE_KIND = {"capital": ("city", "mayor", "metro"), "country": ("nation", "border", "province")}

# (a, b, c, expected d) with d ≈ a − b + c; the layout puts a − b up and b − c right, as the book's figure
ANALOGIES = {"royal": ("king", "man", "woman", "queen"), "capital": ("Paris", "France", "Italy", "Rome")}
QUERIES = ("woman", "king")  # the book's printed neighbour lists


def toy_sentences() -> list[list[str]]:
    return [s.split() for s in TOY]


def structured_sentences(n: int, noise: float, rng: np.random.Generator) -> list[list[str]]:
    """``n`` five-word sentences: two context words, the entity, two context words.

    Each context slot takes a word of one of the entity's factors (factor and word uniform) or, with
    probability ``noise``, any word of the vocabulary.
    """
    persons = list(PERSONS.items())
    nations = list(NATIONS.items())
    vocab = sorted({w for s in structured_vocabulary() for w in s})
    out = []
    for _ in range(n):
        if rng.random() < 0.5:
            (g, r, a), entity = persons[rng.integers(len(persons))]
            pools = [PERSON_POOLS[0][g], PERSON_POOLS[1][r], PERSON_POOLS[2][a]]
        else:
            country, (capital, nation_words) = nations[rng.integers(len(nations))]
            kind = "capital" if rng.random() < 0.5 else "country"
            entity = capital if kind == "capital" else country
            pools = [nation_words, PLACE_KIND[kind]]
        ctx = []
        for _ in range(4):
            if rng.random() < noise:
                ctx.append(vocab[rng.integers(len(vocab))])
            else:
                pool = pools[rng.integers(len(pools))]
                ctx.append(pool[rng.integers(len(pool))])
        out.append(ctx[:2] + [entity] + ctx[2:])
    return out


def structured_vocabulary() -> list[tuple[str, ...]]:
    """Every word the structured corpus can use, grouped (for the vocabulary)."""
    groups = [tuple(PERSONS.values())] + [w for pools in PERSON_POOLS for w in pools.values()]
    for country, (capital, words) in NATIONS.items():
        groups += [(country, capital), words]
    return groups + list(PLACE_KIND.values())


def pairs_of(sentences: list[list[str]], index: dict[str, int], window: int) -> np.ndarray:
    """Every (centre, context) pair within ``window`` words, as vocabulary indices."""
    pairs = []
    for s in sentences:
        ids = [index[w] for w in s]
        for i, c in enumerate(ids):
            for j in range(max(0, i - window), min(len(ids), i + window + 1)):
                if j != i:
                    pairs.append((c, ids[j]))
    return np.array(pairs, dtype=np.int64)


# --- the two objectives --------------------------------------------------------------------------------------
def softmax_grads(h: np.ndarray, wout: np.ndarray, o: int) -> tuple[float, np.ndarray, np.ndarray]:
    """Loss −log P(o|c) of the full softmax and its gradients w.r.t. h = v_c and Wout.

    ∂L/∂scores = p − e_o, so ∂L/∂h = Woutᵀ(p − e_o) and ∂L/∂Wout = outer(p − e_o, h).
    """
    scores = wout @ h
    scores = scores - scores.max()
    e = np.exp(scores)
    p = e / e.sum()
    loss = float(np.log(e.sum()) - scores[o])
    d = p
    d[o] -= 1.0
    return loss, wout.T @ d, np.outer(d, h)


def negative_grads(h: np.ndarray, u: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Negative-sampling loss for one pair: ``u`` stacks u_o (row 0) and the K negatives' vectors.

    L = −log σ(u_o·h) − Σ_k log σ(−u_k·h); returns L, ∂L/∂h and ∂L/∂u (one row per row of ``u``).
    """
    z = u @ h
    labels = np.zeros(len(u))
    labels[0] = 1.0
    s = 1.0 / (1.0 + np.exp(-z))
    signed = np.where(labels == 1.0, z, -z)
    loss = float(np.sum(np.logaddexp(0.0, -signed)))  # −log σ(x) = log(1 + e^{−x})
    g = s - labels
    return loss, g @ u, np.outer(g, h)


def train(pairs: np.ndarray, vocab_size: int, p: Params, rng: np.random.Generator,
          counts: np.ndarray) -> dict[str, np.ndarray]:
    """SGD over shuffled pairs; Win snapshots at geometrically spaced steps and the mean loss between them."""
    win = rng.normal(0.0, p.init_scale, (vocab_size, p.dim))
    wout = rng.normal(0.0, p.init_scale, (vocab_size, p.dim))
    total = p.epochs * len(pairs)
    # snapshots from 1/200 of the run on, geometrically spaced: early training moves the words most
    marks = np.unique(np.geomspace(max(1, total // 200), total, p.checkpoints).round().astype(np.int64))
    snaps, losses, steps = [win.copy()], [np.nan], [0]
    noise_p = counts ** p.ns_power
    noise_p = noise_p / noise_p.sum()
    step, since, loss_sum, m = 0, 0, 0.0, 0
    for _ in range(p.epochs):
        order = rng.permutation(len(pairs))
        negs = rng.choice(vocab_size, size=(len(pairs), p.negatives), p=noise_p) if p.method == "negative" else None
        for i, (c, o) in enumerate(pairs[order]):
            lr = p.lr * (1.0 - (1.0 - 1e-4) * step / total) if p.lr_decay else p.lr
            h = win[c].copy()
            if negs is None:
                loss, gh, gw = softmax_grads(h, wout, o)
                win[c] -= lr * gh
                wout -= lr * gw
            else:
                rows = np.concatenate(([o], negs[i][negs[i] != o]))  # a negative equal to o is skipped
                loss, gh, gu = negative_grads(h, wout[rows])
                win[c] -= lr * gh
                np.add.at(wout, rows, -lr * gu)
            step += 1
            loss_sum += loss
            since += 1
            if m < len(marks) and step == marks[m]:
                snaps.append(win.copy())
                losses.append(loss_sum / since)
                steps.append(step)
                loss_sum, since, m = 0.0, 0, m + 1
    return {"win": win, "wout": wout, "snaps": np.array(snaps), "loss": np.array(losses),
            "steps": np.array(steps, dtype=np.int64)}


# --- reading the vectors -------------------------------------------------------------------------------------
def cosines(vectors: np.ndarray, q: np.ndarray) -> np.ndarray:
    return vectors @ q / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(q) + 1e-12)


def neighbours(vectors: np.ndarray, q: np.ndarray, exclude: list[int], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosines of the ``k`` words nearest ``q`` by cosine, ``exclude`` left out."""
    cos = cosines(vectors, q)
    cos[exclude] = -np.inf
    top = np.argsort(-cos, kind="stable")[:k]
    return top, cos[top]


def analogy(vectors: np.ndarray, a: int, b: int, c: int) -> np.ndarray:
    """The vector a − b + c."""
    return vectors[a] - vectors[b] + vectors[c]


def plane(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Mean, basis (dim × 2) and explained variance of the PCA plane of four points (a, b, c, d).

    Within the plane the basis is turned so that (a − b) + (d − c) points along +y and
    (b − c) + (a − d) along +x: the book's figure puts king top-right, queen top-left.
    """
    mean = points.mean(axis=0)
    centred = points - mean
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    basis = vt[:2].T
    a, b, c, d = points
    up = basis.T @ ((a - b) + (d - c))
    right = basis.T @ ((b - c) + (a - d))
    y = up / (np.linalg.norm(up) + 1e-12)
    x = np.array([y[1], -y[0]])
    if x @ right < 0:
        x = -x
    basis = basis @ np.stack([x, y], axis=1)
    explained = float((s[:2] ** 2).sum() / max((s ** 2).sum(), 1e-300))
    return mean, basis, explained


def run(params: Params, seed: int = SEED) -> Trace:
    """Build the corpus, train, then measure neighbours, analogies and the projected parallelograms."""
    p = params
    if p.corpus == "toy":
        sentences = toy_sentences()
        vocab = sorted({w for s in sentences for w in s})
    else:
        sentences = structured_sentences(p.sentences, p.noise, np.random.default_rng([seed, 1]))
        vocab = sorted({w for g in structured_vocabulary() for w in g})
    index = {w: i for i, w in enumerate(vocab)}
    k = min(p.top_k, len(vocab) - 3)  # every list has k real entries (an analogy leaves out 3 words)
    pairs = pairs_of(sentences, index, p.window)
    counts = np.bincount(pairs[:, 1], minlength=len(vocab)).astype(float) + 1e-9
    res = train(pairs, len(vocab), p, np.random.default_rng([seed, 2]), counts)
    win = res["win"]

    trace = Trace()
    trace.add(vocab=np.array(vocab), counts=np.bincount(pairs[:, 1], minlength=len(vocab)),
              sentences=np.array([" ".join(s) for s in sentences]),
              ckpt_steps=res["steps"],  # training pairs processed at each snapshot (0 = initial)
              ckpt_win=res["snaps"],  # (checkpoints + 1, V, dim) input vectors v_w
              ckpt_loss=res["loss"],  # mean loss over the pairs since the previous snapshot
              win=win, wout=res["wout"])

    q_words = [w for w in QUERIES if w in index]
    q_top, q_cos = [], []
    for w in q_words:
        top, cos = neighbours(win, win[index[w]], [index[w]], k)
        q_top.append([vocab[i] for i in top]), q_cos.append(cos)
    trace.add(query_words=np.array(q_words), query_top_words=np.array(q_top), query_top_cos=np.array(q_cos))

    names = [n for n, ws in ANALOGIES.items() if all(w in index for w in ws)]
    words, top_w, top_c, ranks, vecs, pair_cos, means, bases, explained, points, land = ([] for _ in range(11))
    for name in names:
        ids = [index[w] for w in ANALOGIES[name]]
        a, b, c, d = ids
        vec = analogy(win, a, b, c)
        top, cos = neighbours(win, vec, [a, b, c], k)
        all_cos = cosines(win, vec)
        all_cos[[a, b, c]] = -np.inf
        mean, basis, frac = plane(win[ids])
        words.append(ANALOGIES[name]), top_w.append([vocab[i] for i in top]), top_c.append(cos)
        ranks.append(int(np.sum(all_cos > all_cos[d])) + 1)
        vecs.append(vec), means.append(mean), bases.append(basis), explained.append(frac)
        # the two pairs of sides: a − b vs d − c ("royalty"), b − c vs a − d ("gender")
        pair_cos.append([cosines((win[a] - win[b])[None], win[d] - win[c])[0],
                         cosines((win[b] - win[c])[None], win[a] - win[d])[0]])
        points.append((res["snaps"][:, ids] - mean) @ basis)  # (checkpoints + 1, 4, 2)
        land.append((vec - mean) @ basis)
    trace.add(analogy_names=np.array(names), analogy_words=np.array(words),
              analogy_vectors=np.array(vecs),  # a − b + c in the full space
              analogy_top_words=np.array(top_w), analogy_top_cos=np.array(top_c),
              analogy_rank=np.array(ranks),  # where the expected word d ranks (1 = first)
              analogy_side_cos=np.array(pair_cos),  # cos(a−b, d−c), cos(b−c, a−d) in the full space
              proj_mean=np.array(means), proj_basis=np.array(bases),  # the fixed plane: x = (v − mean) @ basis
              proj_explained=np.array(explained),  # share of the four final points' spread the plane keeps
              proj_points=np.array(points),  # (analogies, checkpoints + 1, 4, 2) the four words at every snapshot
              proj_analogy=np.array(land),  # (analogies, 2) where a − b + c lands in the plane
              proj_origin=-np.array([m @ bs for m, bs in zip(means, bases)]))  # the zero vector in the plane

    metrics = {"vocab_size": len(vocab), "pairs": int(len(pairs)), "steps": int(res["steps"][-1]),
               "final_loss": float(res["loss"][-1])}
    for w, tw, tc in zip(q_words, q_top, q_cos):
        metrics[f"{w}_top"], metrics[f"{w}_top_cos"] = tw[0], float(tc[0])
    for name, tw, tc, r in zip(names, top_w, top_c, ranks):
        metrics[f"{name}_top"], metrics[f"{name}_top_cos"], metrics[f"{name}_rank"] = tw[0], float(tc[0]), r
    trace.metrics = metrics
    return trace
