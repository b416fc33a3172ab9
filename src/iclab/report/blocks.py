"""The building blocks of a report: figures, tables, text and sections, each rendering itself
to self-contained HTML.

Every string that comes from data goes through :func:`html.escape`; figures are embedded as
base64 PNG ``data:`` URIs, so a report needs no network and no other file to be read.
"""

from __future__ import annotations

import base64
import html
import math
import numbers
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from iclab.errors import IclabError


class ReportError(IclabError):
    """A report cannot be built: missing columns, no results, an unwritable output path."""


class Block(Protocol):
    """Anything a section can hold: it renders itself to an HTML fragment."""

    def to_html(self) -> str:
        """The block as an HTML fragment (all data strings escaped)."""
        ...


def esc(value: Any) -> str:
    """``str(value)`` with HTML special characters (``& < > " '``) escaped."""
    return html.escape(str(value), quote=True)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels read from a PNG's IHDR chunk.

    Raises:
        ValueError: ``png`` is not a PNG.
    """
    if len(png) < 24 or png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


@dataclass(frozen=True)
class Figure:
    """A rendered plot: PNG bytes plus the text that describes it.

    Attributes:
        png: the image, a complete PNG file.
        alt: alternative text (what the plot shows), also the figure's tooltip.
        caption: a sentence or two under the figure (optional).
    """

    png: bytes
    alt: str
    caption: str = ""

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return png_size(self.png)

    def save(self, path: str | Path) -> Path:
        """Write the PNG to ``path`` (parents created) and return the path."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(self.png)
        return out

    def data_uri(self) -> str:
        """The PNG as a ``data:image/png;base64,...`` URI."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    def to_html(self) -> str:
        """A ``<figure>`` with the image embedded and its caption."""
        width, height = self.size
        caption = f"<figcaption>{esc(self.caption)}</figcaption>" if self.caption else ""
        return (f'<figure><img src="{self.data_uri()}" alt="{esc(self.alt)}" '
                f'title="{esc(self.alt)}" width="{width // 2}" height="{height // 2}">'
                f"{caption}</figure>")


def format_cell(value: Any, digits: int = 3) -> str:
    """A table cell as text: floats with ``digits`` decimals, NaN/None as —."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):  # pandas missing
        return "—"
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        value = float(value)
        if math.isnan(value):
            return "—"
        if value != 0 and abs(value) < 10 ** -digits:
            return f"{value:.{digits}g}"
        if abs(value) >= 1e5:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    return str(value)


@dataclass(frozen=True)
class Table:
    """A table of already formatted strings (escaped when rendered).

    Attributes:
        columns: header texts (all empty: no header row, e.g. a key/value table).
        rows: one sequence of cell texts per row, as long as ``columns``.
        caption: shown above the table.
        bold: (row, column) positions rendered bold (e.g. the best value in a row).
    """

    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    caption: str = ""
    bold: frozenset[tuple[int, int]] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(f"table row {i} has {len(row)} cells for "
                                 f"{len(self.columns)} columns")

    @classmethod
    def from_frame(cls, frame: Any, caption: str = "", digits: int = 3,
                   max_rows: int | None = None) -> Table:
        """A table of a pandas DataFrame (index dropped; use ``reset_index()`` to keep it).

        Args:
            frame: the DataFrame.
            caption: the caption.
            digits: decimals of float cells.
            max_rows: keep only the first rows (the caption then says how many were left out).
        """
        shown = frame if max_rows is None else frame.head(max_rows)
        rows = [[format_cell(v, digits) for v in rec] for rec in shown.itertuples(index=False)]
        if max_rows is not None and len(frame) > max_rows:
            caption = f"{caption} (first {max_rows} of {len(frame)} rows)".strip()
        return cls([str(c) for c in frame.columns], rows, caption)

    def to_html(self) -> str:
        """A ``<table>`` with a header row."""
        head = "".join(f"<th>{esc(c)}</th>" for c in self.columns)
        thead = f"<thead><tr>{head}</tr></thead>" if any(self.columns) else ""
        body = []
        for i, row in enumerate(self.rows):
            cells = "".join(
                f"<td><b>{esc(v)}</b></td>" if (i, j) in self.bold else f"<td>{esc(v)}</td>"
                for j, v in enumerate(row))
            body.append(f"<tr>{cells}</tr>")
        caption = f"<caption>{esc(self.caption)}</caption>" if self.caption else ""
        return (f'<div class="table-wrap"><table>{caption}{thead}'
                f"<tbody>{''.join(body)}</tbody></table></div>")


@dataclass(frozen=True)
class Text:
    """A paragraph of plain text; ``kind`` "note" or "error" styles it as a callout."""

    text: str
    kind: str = "plain"

    def to_html(self) -> str:
        """A ``<p>`` (class ``note``/``error`` for callouts)."""
        cls = f' class="{esc(self.kind)}"' if self.kind != "plain" else ""
        return f"<p{cls}>{esc(self.text)}</p>"


@dataclass(frozen=True)
class Code:
    """Preformatted text (a config file, a traceback) under a title, in a collapsible box
    that starts open when the text has at most ``open_lines`` lines."""

    text: str
    title: str = "Text"
    open_lines: int = 40

    def to_html(self) -> str:
        """A ``<details>`` box holding a ``<pre>`` block."""
        is_open = " open" if self.text.count("\n") < self.open_lines else ""
        return (f"<details{is_open}><summary>{esc(self.title)}</summary>"
                f"<pre>{esc(self.text)}</pre></details>")


def slug(text: str) -> str:
    """An HTML id from a title: lowercase letters, digits and dashes."""
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return out or "section"


@dataclass(frozen=True)
class Section:
    """One section of the report (usually one analysis).

    Attributes:
        title: the heading, also the table-of-contents entry.
        blocks: figures, tables and text, in order.
        intro: one paragraph under the heading (what the analysis measures).
        anchor: the HTML id; derived from the title when empty.
    """

    title: str
    blocks: Sequence[Block] = ()
    intro: str = ""
    anchor: str = ""

    @property
    def id(self) -> str:
        """The section's HTML id."""
        return self.anchor or slug(self.title)

    def to_html(self) -> str:
        """A ``<section>`` with heading, intro and every block."""
        intro = f'<p class="intro">{esc(self.intro)}</p>' if self.intro else ""
        inner = "\n".join(b.to_html() for b in self.blocks)
        return (f'<section id="{esc(self.id)}"><h2>{esc(self.title)}</h2>{intro}\n'
                f"{inner}</section>")
