"""Chapter 3 (卷积网络): the printed output of ``code/03_convolution.py``."""

from __future__ import annotations

from pipeline.checks import Row, compare
from sims.trace import Trace

CHAPTER = 3
TRACES = ["convolution.default", "convolution.five_rows"]

BOOK_ROWS = [[0, 4, 4, 0]] * 3  # "卷积后 (竖直边缘响应)": three printed rows
BOOK_SHIFTED = [0, 0, 4, 4]  # "边缘右移后的卷积响应": one printed row


def rows(traces: dict[str, Trace]) -> list[Row]:
    conv = traces["convolution.default"]["orig_conv_out"]
    shifted = traces["convolution.default"]["shifted_conv_out"]
    five = traces["convolution.five_rows"]["orig_conv_out"]
    height_note = (
        f"the default {conv.shape[0] + 2}-row image gives {conv.shape[0]} response rows, all [0 4 4 0]; "
        f"the book prints 3 and never states the height (S2 #23); the 5-row variant gives exactly "
        f"{five.shape[0]} rows: {five.astype(int).tolist()}"
    )
    out = []
    for r, book_row in enumerate(BOOK_ROWS):
        for c, book in enumerate(book_row):
            last = r == len(BOOK_ROWS) - 1 and c == len(book_row) - 1
            out.append(compare(f"R03.{4 * r + c + 1}", 3, f"conv output row {r + 1}, col {c + 1}", book,
                               float(conv[r, c]), note=height_note if last else ""))
    same = bool((shifted == shifted[0]).all())
    for c, book in enumerate(BOOK_SHIFTED):
        out.append(compare(f"R03.{13 + c}", 3, f"shifted-edge output, col {c + 1}", book,
                           float(shifted[0, c]),
                           note="every response row is identical" if c == 3 and same else ""))
    return out
