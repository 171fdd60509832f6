"""Published artifacts: atomic placement, freshness, the manifest."""

from __future__ import annotations

import json
import os

from pipeline.artifacts import is_fresh, publish, write_manifest


def make(out, name="a.mp4", data=b"x" * 1000):
    src = out / "staging" / name
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_bytes(data)
    return src


def test_publish_then_fresh_only_for_the_same_key(out):
    artifact = out / "scenes/480p15/ch01/A.mp4"
    publish(make(out), artifact, "k1", kind="scene", chapter=1, scene="A")
    assert artifact.read_bytes() == b"x" * 1000
    assert is_fresh(artifact, "k1") and not is_fresh(artifact, "k2")
    assert not list(artifact.parent.glob(".*partial"))


def test_altered_artifact_is_not_fresh_but_a_touch_is(out):
    artifact = out / "figures/ch01/A.png"
    publish(make(out, "A.png"), artifact, "k")
    os.utime(artifact, ns=(1, 1))  # touched, same content
    assert is_fresh(artifact, "k")
    artifact.write_bytes(b"y" * 1000)  # same size, different bytes
    assert not is_fresh(artifact, "k")
    artifact.unlink()
    assert not is_fresh(artifact, "k")


def test_manifest_lists_present_artifacts(out):
    publish(make(out), out / "scenes/480p15/ch01/A.mp4", "k", kind="scene", chapter=1, scene="A",
            quality="480p15", duration_s=21.0)
    publish(make(out, "B.mp4"), out / "scenes/480p15/ch01/B.mp4", "k", kind="scene", chapter=1, scene="B")
    (out / "scenes/480p15/ch01/B.mp4").unlink()
    manifest = json.loads(write_manifest().read_text())
    (entry,) = manifest["artifacts"]
    assert entry["path"] == "scenes/480p15/ch01/A.mp4" and entry["bytes"] == 1000 and "mtime_ns" not in entry
    assert set(entry) >= {"kind", "chapter", "scene", "quality", "path", "key", "duration_s", "bytes", "sha256"}
