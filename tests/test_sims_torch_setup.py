"""One torch setup for every torch sim: one thread, deterministic, seeded, device, and restored after."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import torch

from sims import dqn, ppo, recurrent
from sims.torch_setup import pick_device, torch_session

# The smallest runs that still go through each sim's whole code path.
TINY_RUNS: dict[str, Callable[[], object]] = {
    "ppo": lambda: ppo.run(ppo.Params(total_steps=64, num_envs=2, num_steps=32, update_epochs=1,
                                      stop_when_solved=False, device="cpu"), 0),
    "dqn": lambda: dqn.run(dqn.Params(total_steps=256, num_envs=2, learning_starts=128, batch_size=32,
                                      sample_size=8, train_every=64, gradient_steps=2, target_every=2,
                                      stop_when_solved=False, device="cpu"), 0),
    "recurrent": lambda: recurrent.run(recurrent.Params(seq_len=5, hidden=4, batch=8, train_steps=2,
                                                        eval_batch=8, device="cpu"), 0),
}


def snapshot() -> dict:
    return {
        "threads": torch.get_num_threads(),
        "deterministic": torch.are_deterministic_algorithms_enabled(),
        "warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "torch_rng": torch.get_rng_state(),
        "numpy_rng": np.append(np.random.get_state()[1], np.random.get_state()[2]),  # key and position
        "python_rng": random.getstate(),
    }


def assert_same_state(a: dict, b: dict) -> None:
    for key in ("threads", "deterministic", "warn_only", "python_rng"):
        assert a[key] == b[key], key
    assert torch.equal(a["torch_rng"], b["torch_rng"])
    np.testing.assert_array_equal(a["numpy_rng"], b["numpy_rng"])


@pytest.fixture(params=[(3, False, False), (2, True, True)], ids=["nondeterministic", "deterministic-warn-only"])
def known_state(request) -> Iterator[dict]:
    """The process set to known values (threads, deterministic flag, RNG states); put back afterwards."""
    old, old_rng = snapshot(), (np.random.get_state(), random.getstate())
    threads, deterministic, warn_only = request.param
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
    torch.manual_seed(1234)
    np.random.seed(5678)
    random.seed(91011)
    yield snapshot()
    torch.set_num_threads(old["threads"])
    torch.use_deterministic_algorithms(old["deterministic"], warn_only=old["warn_only"])
    torch.set_rng_state(old["torch_rng"])
    np.random.set_state(old_rng[0])
    random.setstate(old_rng[1])


@pytest.mark.parametrize("sim", sorted(TINY_RUNS))
def test_a_torch_sim_restores_the_process_state(sim: str, known_state: dict) -> None:
    TINY_RUNS[sim]()
    assert_same_state(snapshot(), known_state)


def test_inside_a_session_one_thread_deterministic_seeded(known_state: dict) -> None:
    draws = []
    for _ in range(2):
        with torch_session("cpu", 7) as device:
            assert device == torch.device("cpu")
            assert torch.get_num_threads() == 1
            assert torch.are_deterministic_algorithms_enabled()
            assert not torch.is_deterministic_algorithms_warn_only_enabled()
            draws.append((torch.rand(3).tolist(), np.random.rand(3).tolist(), random.random()))
    assert draws[0] == draws[1]
    # every RNG seeded from the session's seed (not merely restored in between)
    assert draws[0] == (torch.rand(3, generator=torch.Generator().manual_seed(7)).tolist(),
                        np.random.RandomState(7).rand(3).tolist(), random.Random(7).random())
    assert_same_state(snapshot(), known_state)


def test_a_failing_sim_restores_the_state_too(known_state: dict) -> None:
    with pytest.raises(RuntimeError, match="boom"), torch_session("cpu", 0):
        torch.rand(5)
        raise RuntimeError("boom")
    assert_same_state(snapshot(), known_state)


def test_pick_device() -> None:
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="auto, cpu or cuda"):
        pick_device("tpu")
