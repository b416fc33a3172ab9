"""Assemble sections into one self-contained HTML page and write it atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from iclab.report.blocks import ReportError, Section, esc
from iclab.report.meta import ReportMeta, run_info_section

CSS = """
:root { --ink: #1d2430; --muted: #5b6472; --line: #d9dee5; --accent: #2857a4;
        --note: #eef4fc; --error: #fdecec; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.5 -apple-system, "Segoe UI", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 32px 64px; }
header { border-bottom: 2px solid var(--ink); margin-bottom: 16px; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header p { margin: 0 0 12px; color: var(--muted); }
h2 { margin-top: 40px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { margin: 20px 0 6px; font-size: 16px; }
nav.toc { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px;
          padding: 10px 18px; display: inline-block; min-width: 320px; }
nav.toc ol { margin: 4px 0; padding-left: 22px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
p.intro { color: var(--muted); max-width: 860px; }
p.note, p.error { padding: 8px 12px; border-radius: 4px; max-width: 860px; }
p.note { background: var(--note); border-left: 4px solid var(--accent); }
p.error { background: var(--error); border-left: 4px solid #c62828; }
figure { margin: 16px 0 24px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 13px; max-width: 860px; }
.table-wrap { overflow-x: auto; margin: 12px 0 20px; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left;
         vertical-align: top; white-space: nowrap; }
th { background: #f6f8fa; }
tbody tr:hover { background: #fafbfc; }
details { margin: 12px 0; }
summary { font-weight: 600; cursor: pointer; padding: 4px 0; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 4px;
      padding: 10px 14px; overflow-x: auto; font-size: 13px; }
footer { margin-top: 48px; color: var(--muted); font-size: 12px; }
"""


def render_page(sections: Sequence[Section], meta: ReportMeta) -> str:
    """The complete HTML document: header, table of contents, run info, every section.

    Nothing in it refers to another resource: CSS is inline, images are ``data:`` URIs, there
    is no script.
    """
    all_sections = [run_info_section(meta), *sections]
    ids = [s.id for s in all_sections]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ReportError(f"two report sections share the id(s) {', '.join(duplicates)}; "
                          "give them distinct titles or anchors")
    toc = "".join(f'<li><a href="#{esc(s.id)}">{esc(s.title)}</a></li>' for s in all_sections)
    body = "\n".join(s.to_html() for s in all_sections)
    iclab_version = meta.generator.get("iclab", "?")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(meta.title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header><h1>{esc(meta.title)}</h1>
<p>iclab report · generated {esc(meta.generated)}</p></header>
<nav class="toc" aria-label="Contents"><strong>Contents</strong><ol>{toc}</ol></nav>
{body}
<footer>Written by iclab {esc(iclab_version)}. This file is self-contained: it needs no
network and no other file.</footer>
</main>
</body>
</html>
"""


def write_atomic(text: str, out_path: str | Path) -> Path:
    """Write ``text`` to ``out_path`` through a temp file in the same directory + rename, so
    readers never see a partial file and a failure leaves nothing behind.

    Raises:
        ReportError: the directory cannot be created or written.
    """
    out = Path(out_path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    except OSError as exc:
        raise ReportError(f"cannot write the report to {out}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ReportError(f"cannot write the report to {out}: {exc.strerror or exc}") \
                from None
        raise
    return out


def build_report(sections: Sequence[Section], meta: ReportMeta, out_path: str | Path) -> Path:
    """Render ``sections`` under ``meta`` into one self-contained HTML file, atomically.

    Args:
        sections: the analysis sections, in order (run information is added first).
        meta: title, config, versions, dates, machines.
        out_path: the HTML file to write (parent directories are created).

    Returns:
        The written path.
    """
    return write_atomic(render_page(sections, meta), out_path)
