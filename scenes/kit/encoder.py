"""A held frame is converted to the video's pixel format once, not once per repeat.

When a scene holds still (``wait``, a caption's pause), manim writes the same RGBA frame N times,
and its segment encoder copies it into a new frame and converts it from RGBA to YUV for every one
of the N (≈3 ms a 720p frame, before x264 sees it). ``BookFileWriter`` encodes such a run of
repeats from one converted frame instead: the same pixels reach x264, so the video is the same.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
from manim.scene.scene_file_writer import SceneFileWriter
from manim.scene.video_segment_encoder import VideoSegmentEncoder
from manim.typing import RGBAPixelArray

__all__ = ["BookFileWriter", "HeldFrameEncoder"]


class HeldFrameEncoder(VideoSegmentEncoder):
    """manim's segment encoder, converting a repeated frame once."""

    def write_frame(self, pixels: RGBAPixelArray, *, repeat: int = 1) -> None:
        if repeat == 1:
            return super().write_frame(pixels, repeat=repeat)
        self._validate_frame(pixels, repeat)
        time_base = Fraction(self.spec.frame_rate.denominator, self.spec.frame_rate.numerator)
        try:
            # what the encoder would convert each repeat to (same size, same format, same converter defaults)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgba").reformat(format=self._stream.pix_fmt)
            frame.time_base = time_base
            for _ in range(repeat):
                frame.pts = self._next_pts  # the encoder keeps its own reference with this pts
                self._next_pts += 1
                for packet in self._stream.encode(frame):
                    self._container.mux(packet)
        except BaseException as error:
            raise self._operation_error("encode", error) from error


class BookFileWriter(SceneFileWriter):
    """manim's file writer with ``HeldFrameEncoder`` for its video segments."""

    def _create_segment_encoder(self, target: Path) -> VideoSegmentEncoder:
        if self.video_encoder is None:
            return super()._create_segment_encoder(target)  # raises manim's own error
        return HeldFrameEncoder(target=target, spec=self.video_encoder)
