"""Shared writer of ``benchmarks/RESULTS.md``: one ``## title`` section per benchmark module.

``write_section(title, markdown)`` replaces the section with that title (or appends it),
keeping every other section as it is. The file is rewritten atomically (temporary file in
the same directory, then ``os.replace``) under an exclusive lock on the directory, so two
benchmark modules writing at the same time do not lose each other's sections.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

RESULTS_PATH = Path(__file__).resolve().parent / "RESULTS.md"

PREAMBLE = (
    "# Benchmark results\n\n"
    "Written by `python -m benchmarks` (`make bench`); each `##` section is owned by one "
    "benchmark module and rewritten when that module runs.\n"
)


def _is_fence(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith("```") or stripped.startswith("~~~")


def split_sections(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Split markdown into (preamble, [(title, section text including its heading)]).

    Only level-2 headings (``## ``) outside fenced code blocks start a section.
    """
    preamble: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    in_fence = False
    for line in text.splitlines(keepends=True):
        if _is_fence(line):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            sections.append((line[3:].strip(), [line]))
        elif sections:
            sections[-1][1].append(line)
        else:
            preamble.append(line)
    return "".join(preamble), [(title, "".join(lines)) for title, lines in sections]


def render_section(title: str, markdown: str) -> str:
    body = markdown.strip("\n")
    heading = f"## {title}"
    if body.startswith(heading):  # the caller included the heading already
        body = body[len(heading) :].strip("\n")
    return f"{heading}\n\n{body}\n" if body else f"{heading}\n"


def merge_section(text: str, title: str, markdown: str) -> str:
    """``text`` with section ``title`` replaced by (or appended as) ``markdown``."""
    title = title.strip()
    preamble, sections = split_sections(text)
    new = render_section(title, markdown)
    replaced = False
    blocks: list[str] = []
    for name, block in sections:
        if name == title:
            if not replaced:
                blocks.append(new)
                replaced = True
            continue  # drop duplicates of the same section
        blocks.append(block)
    if not replaced:
        blocks.append(new)
    parts = [preamble.strip("\n")] if preamble.strip() else []
    parts += [block.strip("\n") for block in blocks]
    return "\n\n".join(parts) + "\n"


def write_section(title: str, markdown: str, path: Path = RESULTS_PATH) -> Path:
    """Create or replace the ``## title`` section of ``path``; other sections are kept."""
    path.parent.mkdir(parents=True, exist_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(dir_fd, fcntl.LOCK_EX)
        text = path.read_text(encoding="utf-8") if path.exists() else PREAMBLE
        merged = merge_section(text, title, markdown)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as tmp:
                tmp.write(merged)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.chmod(tmp_name, 0o644)
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
    finally:
        os.close(dir_fd)  # also releases the lock
    return path
