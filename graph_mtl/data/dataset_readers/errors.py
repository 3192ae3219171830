"""
The error raised for malformed data files, naming the file, the line and the problem.
"""
from typing import Optional


class DataFormatError(ValueError):
    """
    Raised when a data file cannot be read: the message is `<file>:<line>: <problem>`, so
    editors and terminals can jump to the offending line.

    # Parameters

    problem : `str`
        What is wrong, in words.
    line : `int`, optional (default = `None`)
        1-based line number in the file (the first line of the record for multi-line records).
    file : `str`, optional (default = `None`)
        The file; readers fill it in when the error leaves the parser.
    """

    def __init__(self, problem: str, line: Optional[int] = None, file: Optional[str] = None):
        self.problem = problem
        self.line = line
        self.file = file
        super().__init__(self._message())

    def _message(self) -> str:
        where = self.file if self.file is not None else "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.problem}"

    def with_file(self, file: str) -> "DataFormatError":
        """Return the same error with `file` filled in (keeps an already set file)."""
        if self.file is None:
            self.file = file
            self.args = (self._message(),)
        return self

    def __reduce__(self):  # picklable across data-loader worker processes
        return (DataFormatError, (self.problem, self.line, self.file))
