"""The deep-RL sims on a GPU: a short DQN and PPO budget on cuda learns what the same budget learns on cpu.

Bit-equality is not expected (cuBLAS sums in another order than the CPU kernels), so the two runs are
compared through their losses: the same number of updates, finite everywhere, and loss curves that agree
within a tolerance over the first updates, before small differences have had time to change which
actions are taken. Skipped, with the reason, on a machine without CUDA.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.traces import cuda_present
from sims import dqn, ppo

pytestmark = pytest.mark.skipif(not cuda_present(), reason="no CUDA device on this machine: the cpu path is tested "
                                "everywhere else, the cuda path only where it can run")

DQN_SHORT = dict(total_steps=2_000, learning_starts=500, train_every=128, gradient_steps=16, target_every=32,
                 stop_when_solved=False)
PPO_SHORT = dict(total_steps=2_048, num_envs=4, num_steps=128, stop_when_solved=False)
EARLY = 32  # updates compared one by one


def _both(module, short: dict, seed: int = 0):
    return (module.run(module.Params(**short, device="cpu"), seed=seed),
            module.run(module.Params(**short, device="cuda"), seed=seed))


def test_dqn_on_cuda_matches_cpu_losses() -> None:
    cpu, gpu = _both(dqn, DQN_SHORT)
    assert gpu.metrics["device"].startswith("cuda") and cpu.metrics["device"] == "cpu"
    a, b = cpu["update_loss"], gpu["update_loss"]
    assert a.shape == b.shape and np.isfinite(b).all()
    np.testing.assert_allclose(b[:EARLY], a[:EARLY], rtol=1e-2, atol=1e-4)
    np.testing.assert_allclose(gpu["q_online"][:EARLY], cpu["q_online"][:EARLY], rtol=1e-2, atol=1e-3)


def test_ppo_on_cuda_matches_cpu_losses() -> None:
    cpu, gpu = _both(ppo, PPO_SHORT)
    assert gpu.metrics["device"].startswith("cuda") and cpu.metrics["device"] == "cpu"
    for name in ("iter_value_loss", "iter_policy_loss", "iter_approx_kl"):
        a, b = cpu[name], gpu[name]
        assert a.shape == b.shape and np.isfinite(b).all(), name
    # the first iteration's rollout is the same on both devices (acting runs on a numpy copy of the actor)
    np.testing.assert_allclose(gpu["iter_value_loss"][0], cpu["iter_value_loss"][0], rtol=1e-3)
    np.testing.assert_allclose(gpu["iter_policy_loss"][0], cpu["iter_policy_loss"][0], rtol=1e-2, atol=1e-4)
