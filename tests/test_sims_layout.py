"""sims/ is split by what imports what: a sim's trace key covers the helpers it uses and no others."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.hashing import source_closure
from pipeline.traces import discover_sims

SIMS = Path(__file__).resolve().parent.parent / "sims"
ALWAYS = {"trace.py", "__init__.py"}  # the Trace type; the package (for `from sims import x`)
HELPERS = {"grid_mdp", "softmax", "race21", "puct", "torch_rl", "torch_setup"}

USES = {
    "perceptron": set(),
    "backprop": set(),
    "convolution": set(),
    "recurrent": {"torch_setup.py"},
    "gridworld": {"grid_mdp.py"},
    "dqn_grid": {"grid_mdp.py"},
    "reinforce": {"softmax.py"},
    "mcts": {"puct.py", "race21.py"},
    "selfplay": {"puct.py", "race21.py", "softmax.py"},
    "ppo": {"torch_rl.py", "torch_setup.py"},
    "dqn": {"torch_rl.py", "torch_setup.py"},
    "enablers": set(),
    "depth_gradients": {"torch_setup.py"},
    "batchnorm": {"torch_setup.py"},
    "optimizers": set(),
    "scaling_table": set(),
    "scaling_sweep": {"torch_setup.py"},
    "rlhf": set(),
    "self_attention": {"torch_setup.py"},
    "positional": set(),
    "pretrain": {"torch_setup.py"},
    "word2vec": set(),
    "seq2seq": {"torch_setup.py"},
    "additive_attention": set(),
    "alexnet_shapes": {"torch_setup.py"},
    "sobel_filters": {"torch_setup.py"},
    "feature_maps": {"torch_setup.py"},
    "grpo": {"torch_setup.py"},
    "timeline": set(),
}


@pytest.mark.parametrize("sim", sorted(USES))
def test_a_sims_key_hashes_exactly_the_helpers_it_imports(sim: str) -> None:
    files = {Path(rel).name for rel, _ in source_closure(SIMS / f"{sim}.py")}
    assert files - ALWAYS - {f"{sim}.py"} == USES[sim]


def test_helpers_are_not_discovered_as_sims() -> None:
    found = set(discover_sims())
    assert set(USES) <= found
    assert not found & HELPERS
    assert {p.stem for p in SIMS.glob("*.py")} - found - {"__init__", "trace"} == HELPERS
