"""
Parsing of prediction inputs, one line at a time, for the `graph_mtl` predictor and the
`graph-mtl-report` command.

Two input formats are accepted:

* JSON lines: `{"task": "books", "sentence": "a great read"}`, or pre-tokenized
  `{"task": "conll2000", "tokens": ["He", "reckons", ...]}`. `task` may be left out when a
  default task is given (predictor argument `task`).
* plain text, one sentence per line, with the task given once
  (`--predictor-args '{"task": "books"}'`).

With `input_format="auto"` (the default) a line whose first non-blank character is `{` is read
as JSON and any other line as plain text when a default task is given (as JSON otherwise).

Every problem is an `InputLineError` whose message starts with the number of the line, so a
user can find the bad line in a large file. Line numbers count the non-blank lines of the input
(`allennlp predict` skips blank lines before a predictor sees them), starting at 1.
"""
import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from graph_mtl.data.dataset_readers.task_reader import DuplicateKeyError, reject_duplicate_keys

INPUT_FORMATS = ("auto", "json", "text")

# Keys of a JSON input line that this module understands.
TEXT_KEYS = ("sentence", "text", "tokens")


class InputLineError(ValueError):
    """A bad prediction input; the message names the line it came from."""

    def __init__(
        self,
        line_number: Optional[int],
        problem: str,
        line: Optional[str] = None,
        source: Optional[str] = None,
    ):
        self.line_number = line_number
        self.problem = problem
        self.line = line
        self.source = source
        where = f"input line {line_number}" if line_number is not None else "input"
        if source is not None:
            where = f"{source}, {where}"
        message = f"{where}: {problem}"
        if line is not None:
            shown = line.strip()
            if len(shown) > 120:
                shown = shown[:117] + "..."
            message += f" (line was: {shown!r})"
        super().__init__(message)

    def in_file(self, source: str) -> "InputLineError":
        """The same error, naming the input file."""
        return InputLineError(self.line_number, self.problem, self.line, source=source)


@dataclass
class PredictionInput:
    """One parsed input line."""

    line_number: Optional[int]
    task: str
    sentence: Optional[str] = None  # raw text, tokenized like the training data
    tokens: Optional[List[str]] = None  # pre-tokenized input, used as is
    extra: Dict[str, Any] = field(default_factory=dict)  # other keys of a JSON line, passed through

    def to_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"task": self.task}
        if self.tokens is not None:
            data["tokens"] = list(self.tokens)
        else:
            data["sentence"] = self.sentence
        if self.line_number is not None:
            data["line"] = self.line_number
        data.update(self.extra)
        return data


def parse_line(
    line: str,
    line_number: Optional[int] = None,
    *,
    default_task: Optional[str] = None,
    known_tasks: Optional[Iterable[str]] = None,
    input_format: str = "auto",
) -> PredictionInput:
    """
    Parse one input line (JSON or plain text, see the module docstring) and check it.

    Raises `InputLineError` naming `line_number` if the line is not valid JSON, has no task
    and no default task was given, names a task the model does not have, or has no words.
    """
    if input_format not in INPUT_FORMATS:
        raise ValueError(f"input_format must be one of {INPUT_FORMATS}, not {input_format!r}")
    stripped = line.strip()
    if not stripped:
        raise InputLineError(line_number, "empty line: there is no sentence to predict on")
    # Without a default task a line can only be JSON, so it is read as JSON whatever it holds.
    is_json = input_format == "json" or (
        input_format == "auto" and (stripped.startswith("{") or default_task is None)
    )
    if is_json:
        try:
            data = json.loads(stripped, object_pairs_hook=reject_duplicate_keys)
        except DuplicateKeyError as error:
            raise InputLineError(line_number, str(error), line) from None
        except RecursionError:
            raise InputLineError(line_number, "JSON nested too deeply to read", line) from None
        except json.JSONDecodeError as error:
            hint = ""
            if default_task is None and not stripped.startswith("{"):
                hint = (
                    '; write JSON lines like {"task": "books", "sentence": "..."}, or for '
                    "plain text, one sentence per line, give the task once with "
                    "--predictor-args '{\"task\": \"books\"}'"
                )
            raise InputLineError(line_number, f"not valid JSON ({error}){hint}", line) from None
        return parse_json(
            data,
            line_number,
            default_task=default_task,
            known_tasks=known_tasks,
            line=line,
        )
    _check_task(default_task, known_tasks, line_number, line)
    _check_characters(stripped, "the line", line_number, line)
    return PredictionInput(line_number=line_number, task=default_task, sentence=stripped)


def _check_characters(text: str, what: str, line_number: Optional[int], line: Optional[str]) -> None:
    """NUL characters and lone UTF-16 surrogates are not text: an error, not a token."""
    for index, character in enumerate(text):
        if character == "\x00":
            raise InputLineError(line_number, f"{what} has a NUL character (at {index + 1})", line)
        if "\ud800" <= character <= "\udfff":
            raise InputLineError(line_number, f"{what} has a lone surrogate {character!r} (at {index + 1}): not text", line)


def parse_json(
    data: Any,
    line_number: Optional[int] = None,
    *,
    default_task: Optional[str] = None,
    known_tasks: Optional[Iterable[str]] = None,
    line: Optional[str] = None,
) -> PredictionInput:
    """Check an already decoded JSON input (a dict) and turn it into a `PredictionInput`."""
    if not isinstance(data, dict):
        raise InputLineError(
            line_number,
            f"expected a JSON object with a sentence or tokens, got a JSON {type(data).__name__}",
            line,
        )
    data = dict(data)
    data.pop("line", None)  # our own output key; ignored so predictions can be re-fed
    task = data.pop("task", None)
    if task is None:
        task = default_task
    if task is None:
        raise InputLineError(
            line_number,
            'no "task" in the JSON object and no default task was given '
            "(--predictor-args '{\"task\": ...}')",
            line,
        )
    if not isinstance(task, str):
        raise InputLineError(line_number, f'"task" must be a string, got {task!r}', line)
    _check_task(task, known_tasks, line_number, line)

    present = [key for key in TEXT_KEYS if key in data]
    if not present:
        raise InputLineError(
            line_number,
            'the JSON object has no "sentence" (raw text) or "tokens" (list of words)',
            line,
        )
    if len(present) > 1:
        raise InputLineError(
            line_number, f"give only one of {present}, not several", line
        )
    key = present[0]
    value = data.pop(key)
    if key == "tokens":
        if isinstance(value, str):
            value = value.split()
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise InputLineError(line_number, '"tokens" must be a list of strings', line)
        tokens = [t for t in value if t.strip()]
        if len(tokens) != len(value):
            raise InputLineError(line_number, '"tokens" contains empty strings', line)
        if not tokens:
            raise InputLineError(line_number, 'empty sentence: "tokens" is an empty list', line)
        for token in tokens:
            _check_characters(token, '"tokens"', line_number, line)
        return PredictionInput(line_number, task, tokens=tokens, extra=data)
    if not isinstance(value, str):
        raise InputLineError(line_number, f'"{key}" must be a string, got {value!r}', line)
    if not value.strip():
        raise InputLineError(line_number, f'empty sentence: "{key}" has no words', line)
    _check_characters(value, f'"{key}"', line_number, line)
    return PredictionInput(line_number, task, sentence=value.strip(), extra=data)


def _check_task(
    task: str, known_tasks: Optional[Iterable[str]], line_number: Optional[int], line: Optional[str]
) -> None:
    if known_tasks is None:
        return
    known = list(known_tasks)
    if task not in known:
        raise InputLineError(
            line_number, f"unknown task {task!r}; the model's tasks are {sorted(known)}", line
        )


class UndecodableLine:
    """An input line that is not valid UTF-8: what `read_lines` yields in its place, so that
    the predictor applies its `on_error` policy to it like to any other bad line."""

    def __init__(self, raw: bytes, error: UnicodeDecodeError) -> None:
        self.raw = raw
        self.problem = f"not valid UTF-8 ({error.reason} at byte {error.start + 1} of the line)"
        self.text = raw.decode("utf-8", errors="replace")

    def isspace(self) -> bool:  # allennlp predict's blank-line test
        return False


def read_lines(path: str) -> Iterator[Tuple[int, Union[str, UndecodableLine]]]:
    """
    Yield `(line_number, line)` for the non-blank lines of a file. Line numbers count non-blank
    lines only, as `allennlp predict` (which skips blank lines before the predictor sees them)
    does, so a line has the same number in both commands. A line that is not valid UTF-8 comes
    as an `UndecodableLine` (the predictor reports it by its number; the other lines go on).
    """
    number = 0
    with open(path, "rb") as handle:
        for raw in handle:
            try:
                line: Union[str, UndecodableLine] = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                line = UndecodableLine(raw, error)
            else:
                if not line.strip():
                    continue
            number += 1
            yield number, line
