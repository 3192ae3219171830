#!/usr/bin/env python
"""
Lines of code of the message-passing core (issue 14's measure): every `.py` file under
`graph_mtl/modules` except the baselines (`mt_cnn`, `shared_private`, `padded_lstm`), the CRF of
the tagging heads (`conditional_random_field`) and the `__init__` files.

A line counts when it holds part of a statement: blank lines, comment lines and the docstrings of
modules, classes and functions do not (a statement written over three lines counts three).

    python scripts/code_lines.py            # per file, then the total
    python scripts/code_lines.py --json     # the same as JSON
"""
import argparse
import ast
import io
import json
import sys
import tokenize
from pathlib import Path
from typing import Dict, List, Optional, Set

ROOT = Path(__file__).resolve().parent.parent
EXCLUDED = ("mt_cnn", "shared_private", "padded_lstm", "conditional_random_field", "__init__")


def docstring_lines(tree: ast.AST) -> Set[int]:
    """The line numbers of the docstrings of the module, its classes and its functions."""
    lines: Set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                lines.update(range(first.lineno, first.end_lineno + 1))
    return lines


def code_lines(source: str) -> int:
    """The number of lines of `source` that hold code (see the module docstring)."""
    skipped = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
               tokenize.ENDMARKER}
    lines: Set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skipped:
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstring_lines(ast.parse(source)))


def count(folder: Path) -> Dict[str, int]:
    """`{path relative to folder: code lines}` of the counted files under `folder`."""
    return {
        str(path.relative_to(folder)): code_lines(path.read_text(encoding="utf-8"))
        for path in sorted(folder.rglob("*.py"))
        if not any(name in path.name for name in EXCLUDED)
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", default=str(ROOT / "graph_mtl" / "modules"))
    parser.add_argument("--json", action="store_true", help="print JSON: {file: lines, 'total': n}")
    args = parser.parse_args(argv)
    counts = count(Path(args.folder))
    total = sum(counts.values())
    if args.json:
        print(json.dumps({**counts, "total": total}, indent=1))
    else:
        for name, lines in sorted(counts.items(), key=lambda item: item[1]):
            print(f"{lines:5d}  {name}")
        print(f"{total:5d}  total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
