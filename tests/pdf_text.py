"""The text a PDF shows, for tests: its content streams inflated (fpdf2 compresses them with zlib) and the strings
of each text-showing operator (Tj) joined in order, one per line."""

from __future__ import annotations

import re
import zlib


def pdf_text(pdf_bytes: bytes) -> str:
    streams = b"".join(zlib.decompress(stream) for stream in
                       re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf_bytes, flags=re.DOTALL))
    shown = re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", streams)
    return "\n".join(re.sub(rb"\\(.)", rb"\1", text).decode("latin-1") for text in shown)
