"""
Reading text files line by line with robust decoding (the FDU-MTL files mix UTF-8 and
Windows-1252) and line numbers that always match an editor's.
"""
import logging
from typing import List

logger = logging.getLogger(__name__)

NUL = b"\x00"
CR = b"\r"


def read_lines(path: str, encoding: str = "auto") -> List[str]:
    """
    Returns the lines of `path` without their line ends (`\\n`, `\\r\\n`); a final empty line
    after the last line end is not returned. Lines are split on `\\n` only (not on the Unicode
    line separators `str.splitlines` also uses), so `lines[i]` is line `i + 1` of the file.

    `encoding="auto"` decodes every line as UTF-8; lines that are not valid UTF-8 are decoded
    as Windows-1252 when the file has no valid non-ASCII UTF-8 line (MR files), and otherwise as
    UTF-8 with U+FFFD replacement characters (the one broken sequence in dvd.task.train). Either
    fallback is logged with the file and line numbers. Any other value is a Python codec name,
    used strictly: a line that does not decode raises `DataFormatError` with its line number.

    A UTF-8 byte-order mark at the start of the file is removed (it would stick to the first
    token). A file whose lines end in a bare carriage return (old Mac files: no line feed at
    all) is split on it, with a warning; a bare carriage return inside a line of any other
    file, or a NUL byte anywhere, raises `DataFormatError` with the line number.
    """
    from graph_mtl.data.dataset_readers.errors import DataFormatError

    with open(path, "rb") as data_file:
        data = data_file.read()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\r" in data and b"\n" not in data:
        logger.warning("%s: lines end in a bare carriage return; reading them as lines", path)
        data = data.replace(b"\r", b"\n")
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    raw_lines = [line[:-1] if line.endswith(b"\r") else line for line in raw_lines]
    for number, raw in enumerate(raw_lines, start=1):
        nul, carriage_return = raw.find(NUL), raw.find(CR)
        if nul >= 0:
            raise DataFormatError(f"NUL byte at byte {nul + 1} of the line", number, path)
        if carriage_return >= 0:
            raise DataFormatError(
                f"carriage return inside the line (byte {carriage_return + 1}): mixed line ends? "
                "convert the file to \\n line ends",
                number,
                path,
            )

    if encoding != "auto":
        lines = []
        for number, raw in enumerate(raw_lines, start=1):
            try:
                lines.append(raw.decode(encoding))
            except UnicodeDecodeError as error:
                raise DataFormatError(
                    f"cannot decode as {encoding} ({error.reason} at byte {error.start} of the "
                    'line); use encoding "auto" for mixed UTF-8 / Windows-1252 files',
                    number,
                    path,
                )
        return lines

    lines = []
    failed: List[int] = []
    has_utf8_non_ascii = False
    for index, raw in enumerate(raw_lines):
        try:
            line = raw.decode("utf-8")
            if not has_utf8_non_ascii and not line.isascii():
                has_utf8_non_ascii = True
            lines.append(line)
        except UnicodeDecodeError:
            failed.append(index)
            lines.append("")
    if failed:
        fallback = "utf-8 with replacement characters" if has_utf8_non_ascii else "cp1252"
        for index in failed:
            if has_utf8_non_ascii:
                lines[index] = raw_lines[index].decode("utf-8", errors="replace")
            else:
                lines[index] = raw_lines[index].decode("cp1252", errors="replace")
        shown = ", ".join(str(index + 1) for index in failed[:10])
        more = f" and {len(failed) - 10} more" if len(failed) > 10 else ""
        logger.warning(
            "%s: %d line(s) are not valid UTF-8 (line %s%s); decoded them as %s",
            path,
            len(failed),
            shown,
            more,
            fallback,
        )
    return lines
