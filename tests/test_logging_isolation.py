"""tests/conftest.py's `logging_left_as_found`: what one test does to the loggers is undone before
the next (pytest runs a file's tests in order, on one worker under `--dist loadfile`)."""
import logging

_QUIETED = "allennlp"
_MADE_HERE = "graph_mtl.tests.logging_isolation"


def test_a_test_changes_the_loggers():
    # as scripts/train_vectors.py's main() does when a test calls it in-process
    assert logging.getLogger(_QUIETED).level == logging.NOTSET
    logging.getLogger(_QUIETED).setLevel(logging.WARNING)
    logging.getLogger("allennlp.common.plugins").disabled = True
    logging.getLogger(_MADE_HERE).setLevel(logging.ERROR)
    logging.disable(logging.INFO)
    assert not logging.getLogger("allennlp.common.plugins").isEnabledFor(logging.INFO)


def test_the_next_test_finds_them_as_they_were():
    assert logging.getLogger(_QUIETED).level == logging.NOTSET
    assert not logging.getLogger("allennlp.common.plugins").disabled
    assert logging.root.manager.disable == logging.NOTSET
    # a logger the previous test created keeps what it was given (no state to go back to)
    assert logging.getLogger(_MADE_HERE).level == logging.ERROR
