"""WebVTT and SRT transcripts, parsed by webvtt-py. Consecutive captions of one speaker form one turn."""

from __future__ import annotations

import io
import re

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from pipelines.errors import UnreadableDocument
from pipelines.text import normalize
from pipelines.types import Block

_SRT_START = re.compile(r"\A\ufeff?\s*\d+\s*\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->")
_NAMED = re.compile(r"^(?:-\s*)?([A-ZÀ-Ý][\w'’. -]{1,40}?)\s*:\s+(.+)$", re.DOTALL)


def caption_format(text: str) -> str | None:
    """'vtt', 'srt', or None, from the content."""
    head = text.lstrip("\ufeff \n")
    if head.startswith("WEBVTT"):
        return "vtt"
    if _SRT_START.match(text):
        return "srt"
    return None


_TIMING = re.compile(r"^\s*(\d+:)?\d{1,2}:\d{2}[,.]\d{1,3}\s*-->\s*(\d+:)?\d{1,2}:\d{2}[,.]\d{1,3}(\s|$)")


def _bad_timing(text: str) -> tuple[int, str] | None:
    """The first line with "-->" whose times cannot be read: webvtt-py drops such a caption without a word."""
    for number, line in enumerate(text.splitlines(), start=1):
        if "-->" in line and not _TIMING.match(line):
            return number, line.strip()
    return None


def read_captions(text: str, fmt: str) -> list[Block]:
    """The captions' speaker turns. A caption whose timing cannot be read fails the file, naming its line: its
    text would be lost without a word otherwise."""
    if bad := _bad_timing(text.lstrip("\ufeff")):
        raise UnreadableDocument(f"malformed {fmt.upper()} timing at line {bad[0]}: {bad[1][:80]!r}")
    try:
        captions = webvtt.WebVTT.from_buffer(io.StringIO(text.lstrip("\ufeff")), format=fmt)
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise UnreadableDocument(f"malformed {fmt.upper()} file ({exc})") from exc
    turns: list[dict] = []
    for caption in captions:
        body = normalize(caption.text.replace("\n", " "))
        speaker = getattr(caption, "voice", None)
        named = _NAMED.match(body) if not speaker else None
        if named:
            speaker, body = named.group(1).strip(), named.group(2).strip()
        if not body:
            continue
        start, end = float(caption.start_in_seconds), float(caption.end_in_seconds)
        if turns and (speaker is None or speaker == turns[-1]["speaker"]):
            turns[-1]["text"].append(body)
            turns[-1]["end"] = end
        else:
            turns.append({"speaker": speaker, "text": [body], "start": start, "end": end})
    return [
        Block(text=" ".join(t["text"]), speaker=t["speaker"], start_s=t["start"], end_s=t["end"]) for t in turns
    ]
