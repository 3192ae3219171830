import json

import pytest

from graph_mtl.predictors.inputs import InputLineError, parse_json, parse_line, read_lines

TASKS = ["books", "dvd", "chunk"]


def test_json_sentence_and_tokens():
    parsed = parse_line('{"task": "books", "sentence": " a good  read "}', 1, known_tasks=TASKS)
    assert (parsed.task, parsed.sentence, parsed.tokens) == ("books", "a good  read", None)
    parsed = parse_line('{"task": "chunk", "tokens": ["He", "ran"], "id": 3}', 2, known_tasks=TASKS)
    assert parsed.tokens == ["He", "ran"] and parsed.extra == {"id": 3}
    assert parsed.to_json() == {"task": "chunk", "tokens": ["He", "ran"], "line": 2, "id": 3}


def test_plain_text_uses_the_default_task():
    parsed = parse_line("a good read\n", 4, default_task="dvd", known_tasks=TASKS)
    assert (parsed.task, parsed.sentence, parsed.line_number) == ("dvd", "a good read", 4)
    # a JSON line without a task takes the default task too
    assert parse_line('{"sentence": "x"}', 5, default_task="dvd").task == "dvd"


@pytest.mark.parametrize(
    "line, problem",
    [
        ('{"task": "books", "sentence": "unterminated}', "not valid JSON"),
        ("just some words", "not valid JSON"),
        ('{"task": "kitchen", "sentence": "a pan"}', "unknown task 'kitchen'"),
        ('{"task": "books", "sentence": "   "}', "empty sentence"),
        ('{"task": "books", "tokens": []}', "empty sentence"),
        ('{"task": "books"}', 'no "sentence"'),
        ('{"sentence": "a"}', 'no "task"'),
        ('["books", "a"]', "expected a JSON object"),
        ('{"task": "books", "sentence": "a", "tokens": ["a"]}', "only one of"),
        ('{"task": "books", "tokens": ["a", 3]}', "list of strings"),
    ],
)
def test_bad_lines_name_the_line(line, problem):
    with pytest.raises(InputLineError) as info:
        parse_line(line, 17, known_tasks=TASKS)
    message = str(info.value)
    assert message.startswith("input line 17: ")
    assert problem in message
    assert info.value.line_number == 17


def test_plain_text_without_task_says_how_to_give_one():
    with pytest.raises(InputLineError, match="input line 2: not valid JSON .*--predictor-args"):
        parse_line("a good read", 2, known_tasks=TASKS)


def test_text_only_format_reads_braces_as_text():
    parsed = parse_line("{not json}", 1, default_task="books", input_format="text")
    assert parsed.sentence == "{not json}"
    with pytest.raises(InputLineError, match="input line 1: not valid JSON"):
        parse_line("a b", 1, default_task="books", input_format="json")


def test_predictions_can_be_fed_back():
    # the predictor's own output has "line" (and more); parse_json ignores "line"
    output = {"line": 3, "task": "books", "tokens": ["a", "b"]}
    parsed = parse_json(json.loads(json.dumps(output)), 9, known_tasks=TASKS)
    assert parsed.tokens == ["a", "b"] and parsed.line_number == 9


def test_read_lines_counts_non_blank_lines(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("a\n\n  \nb\nc\n")
    assert [(n, line.strip()) for n, line in read_lines(str(path))] == [(1, "a"), (2, "b"), (3, "c")]
