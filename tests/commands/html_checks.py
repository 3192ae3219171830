"""
Structure checks of a report page with the standard library's html.parser: balanced tags,
embedded images that decode as PNG, headings, well-formed tables, no raw Python reprs in the
text a person reads.
"""
import base64
import re
from html.parser import HTMLParser
from typing import Dict, List, Tuple

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# what str() / repr() of Python objects leaks into a page
REPRS = [r"\bNone\b", r"\bnan\b", r"\binf\b", r"\[\[", r"\{'", r"\['", r"array\(", r"float64",
         r"object at 0x", r"<function ", r"Traceback", r"\bTrue\b", r"\bFalse\b"]


class ReportParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: List[str] = []
        self.problems: List[str] = []
        self.images: List[Dict[str, str]] = []
        self.headings: List[Tuple[str, str]] = []
        self.tables: List[List[List[str]]] = []  # per table, per row, the cell tags
        self.text: List[str] = []
        self._heading: List[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "img":
            self.images.append({k: v or "" for k, v in attributes.items()})
        if tag in ("td", "th") and "tr" not in self.stack:
            self.problems.append(f"<{tag}> outside a <tr>")
        if tag == "tr":
            if "table" not in self.stack:
                self.problems.append("<tr> outside a <table>")
            elif self.tables:
                self.tables[-1].append([])
        if tag in ("td", "th") and self.tables and self.tables[-1]:
            self.tables[-1][-1].append(tag)
        if tag == "table":
            self.tables.append([])
        if tag in ("h1", "h2", "h3"):
            self._heading = []
        for name, value in attrs:
            if name == "title" and value:
                self.text.append(value)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag in ("h1", "h2", "h3"):
            self.headings.append((tag, "".join(self._heading).strip()))

    def handle_data(self, data):
        if self.stack and self.stack[-1] in ("style", "script"):
            return
        self._heading.append(data)
        self.text.append(data)


def check_report_page(page: str) -> ReportParser:
    """Parse `page` and assert what a person relies on; returns the parser for more checks."""
    parser = ReportParser()
    parser.feed(page)
    parser.close()
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert not parser.problems, parser.problems
    assert parser.stack == [], f"unclosed: {parser.stack}"
    levels = [level for level, _ in parser.headings]
    assert levels.count("h1") == 1 and levels[0] == "h1", parser.headings
    assert all(text for _, text in parser.headings), parser.headings
    for image in parser.images:
        assert image.get("alt"), image
        source = image.get("src", "")
        assert source.startswith("data:image/png;base64,"), source[:60]
        data = base64.b64decode(source.split(",", 1)[1], validate=True)
        assert data.startswith(PNG_SIGNATURE), f"<img alt={image['alt']!r}> is not a PNG"
        assert data[12:16] == b"IHDR" and int.from_bytes(data[16:20], "big") > 10, image["alt"]
    for table in parser.tables:
        assert table, "empty table"
        widths = {len(row) for row in table}
        assert len(widths) == 1 and 0 not in widths, f"rows of different widths: {table}"
    text = " ".join(parser.text)
    for pattern in REPRS:
        match = re.search(pattern, text)
        assert match is None, f"raw Python repr {match.group(0)!r} in: ...{text[max(match.start() - 80, 0):match.end() + 80]}..."
    return parser
