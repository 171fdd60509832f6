"""A held frame converted once encodes to the same video as manim converting it every repeat."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from manim._config.video_encoder import VideoEncoderSpec
from manim.scene.video_segment_encoder import VideoSegmentEncoder

from scenes.kit.encoder import HeldFrameEncoder

WIDTH, HEIGHT = 320, 180


def _frames(count: int) -> list[np.ndarray]:
    """Frames with edges, flat areas and colour: something x264 and the RGBA → YUV conversion both have to work on."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    frames = []
    for i in range(count):
        rgba = np.zeros((HEIGHT, WIDTH, 4), np.uint8)
        rgba[..., 0] = (x * 255 // WIDTH + 40 * i) % 256
        rgba[..., 1] = ((x // 16 + y // 16 + i) % 2) * 200
        rgba[..., 2] = rng.integers(0, 256, (HEIGHT, WIDTH), dtype=np.uint8) // 4
        rgba[..., 3] = 255
        frames.append(rgba)
    return frames


def _encode(cls: type[VideoSegmentEncoder], path: Path, pixel_format: str = "yuv420p") -> Path:
    spec = VideoEncoderSpec("mp4", "libx264", pixel_format, WIDTH, HEIGHT, Fraction(30),
                            (("crf", "23"), ("preset", "veryfast")))
    encoder = cls(target=path, spec=spec)
    for frame, repeat in zip(_frames(4), (1, 12, 1, 5)):
        encoder.write_frame(frame, repeat=repeat)
    encoder.finish()
    return path


def _decoded(path: Path) -> list[str]:
    lines = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "framemd5", "-"], capture_output=True,
                           text=True, check=True).stdout.splitlines()
    return [line for line in lines if not line.startswith("#")]


@pytest.mark.parametrize("pixel_format", ["yuv420p", "yuv444p"])
def test_held_frames_encode_to_the_same_video(tmp_path, pixel_format):
    manims = _decoded(_encode(VideoSegmentEncoder, tmp_path / "manim.mp4", pixel_format))
    ours = _decoded(_encode(HeldFrameEncoder, tmp_path / "ours.mp4", pixel_format))
    assert len(ours) == 1 + 12 + 1 + 5
    assert ours == manims  # every frame, with its timestamp and checksum


def test_a_repeat_must_be_positive(tmp_path):
    encoder = HeldFrameEncoder(target=tmp_path / "x.mp4", spec=VideoEncoderSpec(
        "mp4", "libx264", "yuv420p", WIDTH, HEIGHT, Fraction(30), ()))
    with pytest.raises(ValueError, match="positive"):
        encoder.write_frame(_frames(1)[0], repeat=0)
    encoder.abort()
