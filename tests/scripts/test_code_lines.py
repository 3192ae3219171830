"""scripts/code_lines.py: what counts as a line of code, which files are counted."""
import json
import textwrap

from scripts.code_lines import code_lines, main

SOURCE = textwrap.dedent('''\
    """Module docstring,
    two lines."""
    import torch  # a comment after code counts as code


    # a comment line
    class A:
        """Class docstring."""

        def f(self, x):
            """Function docstring,
            over two lines."""
            y = (x +
                 1)
            text = """a string that is not a docstring
            counts"""
            return y
''')


def test_docstrings_comments_and_blank_lines_do_not_count():
    # import, class, def, the two lines of y, the two of text, return
    assert code_lines(SOURCE) == 8


def test_baselines_crf_and_init_files_are_left_out(tmp_path, capsys):
    for name in ("core.py", "mt_cnn.py", "shared_private.py", "padded_lstm.py",
                 "conditional_random_field.py", "__init__.py"):
        (tmp_path / name).write_text(SOURCE)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "more.py").write_text("x = 1\ny = 2\n")
    assert main(["--folder", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"core.py": 8, "sub/more.py": 2, "total": 10}
    assert main(["--folder", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].split() == ["10", "total"]
