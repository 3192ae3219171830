"""
Atomic file writes: no file graph-mtl writes is ever seen half-written.

The content goes to a temporary file next to the target (`<name>.<8 hex digits>.partial`, in
the same folder so that the rename never crosses file systems), is flushed to disk (`fsync`)
and is renamed over the target with `os.replace`, which is atomic. A kill or an error while
writing leaves the previous file (or none) in place: after an error the temporary file is
removed, after a kill only a `*.partial` file is left, which no reader takes for the result.

* `atomic_open(path, mode="w")`: a file object to write to, text or binary;
* `atomic_write_text`, `atomic_write_bytes`, `atomic_write_json`: a whole file in one call;
* `atomic_path(path)`: the temporary path itself, for code that opens the file on its own
  (allennlp's writers, `torch.save(state, path)`, `figure.savefig(path, format="png")`: give
  matplotlib the format, since the temporary name ends in `.partial`).

What stays as with a plain `open(path, "w")`: the name and contents; the permissions of a file
being replaced (a new file gets 0o666 less the umask); a file that may not be written is refused
(`PermissionError`); a symbolic link stays a link and the file it points to is replaced; a path
that is not a regular file (`/dev/stdout`, a named pipe) is written directly, as there is nothing
to replace. What changes: the file appears only when complete, so a reader never sees it grow,
two processes writing one path never interleave (the last rename wins), and the folder must be
writable (the temporary file is created there).

Standard library only: a script that must start fast and small can load this file without
importing graph_mtl (whose import loads allennlp and torch, ~7 s and ~1 GB), as
`scripts/reproduce.py` and `benchmarks/atomic.py` do.

The training files (checkpoints, `best.th`, `model.tar.gz`, `metrics*.json`) use a fixed
`<name>.partial` name instead (`graph_mtl.training.checkpointer`,
`graph_mtl.training.atomic_files`): `--recover` overwrites or removes what a kill left there.
"""
import errno
import json
import os
import secrets
import stat
from contextlib import contextmanager
from typing import IO, Any, Iterator, Optional, Tuple, Union

PathType = Union[str, "os.PathLike[str]"]

#: The suffix of every temporary file written here.
PARTIAL_SUFFIX = ".partial"


def _regular_target(path: PathType) -> Tuple[str, bool]:
    """The file a write of `path` replaces (a link's target) and whether it can be replaced:
    False for an existing path that is not a regular file (a device, a pipe, a folder)."""
    path = os.fspath(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        return path, False
    if os.path.islink(path):
        path = os.path.realpath(path)
    if mode is not None and not os.access(path, os.W_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
    return path, True


def _new_temporary(target: str) -> str:
    """Creates an empty, not yet existing `<target>.<random>.partial` and returns its path."""
    directory, name = os.path.split(target)
    for _ in range(100):
        temporary = os.path.join(directory, f"{name[:200]}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}")
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(descriptor)
        return temporary
    raise FileExistsError(errno.EEXIST, "no free temporary file name", target)


def _fsync_path(path: str, flags: int) -> None:
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_directory(directory: str) -> None:
    """Makes a rename in `directory` durable; skipped where directories cannot be opened."""
    try:
        _fsync_path(directory or ".", os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        pass


@contextmanager
def _replacing(path: PathType, fsync: bool, fsync_temporary: bool) -> Iterator[Tuple[str, bool]]:
    """Yields (temporary path, whether it is one) and, if the block succeeds, renames the
    temporary file over `path`; if it fails, removes the temporary file."""
    target, replaceable = _regular_target(path)
    if not replaceable:
        yield target, False
        return
    temporary = _new_temporary(target)
    try:
        yield temporary, True
        if fsync and fsync_temporary:
            _fsync_path(temporary, os.O_RDWR)
        if os.path.exists(target):
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(temporary, target)
    except BaseException:
        try:
            os.remove(temporary)
        except FileNotFoundError:
            pass
        raise
    if fsync:
        _fsync_directory(os.path.dirname(target))


@contextmanager
def atomic_path(path: PathType, fsync: bool = True) -> Iterator[str]:
    """
    A temporary path next to `path` for code that writes the file itself; when the block ends
    without an exception, the temporary file replaces `path`, else it is removed.

    ```python
    with atomic_path("model.th") as temporary:
        torch.save(state, temporary)
    ```

    The temporary file exists (empty) when the block starts; opening it with mode "w" is fine.

    # Parameters

    path : `Union[str, os.PathLike]`
        The file to write. A path that exists and is not a regular file is yielded itself.
    fsync : `bool`, optional (default = `True`)
        Flush the file and the rename to disk, so that a power loss keeps one or the other.
    """
    with _replacing(path, fsync, fsync_temporary=True) as (temporary, _):
        yield temporary


@contextmanager
def atomic_open(
    path: PathType,
    mode: str = "w",
    encoding: str = "utf-8",
    errors: Optional[str] = None,
    newline: Optional[str] = None,
    fsync: bool = True,
) -> Iterator[IO[Any]]:
    """
    `open(path, mode)` for writing a whole file atomically: the file object writes a temporary
    file, which replaces `path` when the block ends without an exception (else it is removed).

    ```python
    with atomic_open("table.tsv") as handle:
        handle.write("a\\tb\\n")
    ```

    # Parameters

    path : `Union[str, os.PathLike]`
        The file to write.
    mode : `str`, optional (default = `"w"`)
        `"w"` (or `"wt"`) for text, `"wb"` for bytes; appending or updating cannot be atomic.
    encoding : `str`, optional (default = `"utf-8"`)
        Text mode only.
    errors : `str`, optional (default = `None`)
        Text mode only, as for `open`.
    newline : `str`, optional (default = `None`)
        Text mode only, as for `open`.
    fsync : `bool`, optional (default = `True`)
        Flush the file and the rename to disk, so that a power loss keeps one or the other.
    """
    if mode not in ("w", "wt", "wb"):
        raise ValueError(f"atomic_open writes whole files: mode 'w', 'wt' or 'wb', not {mode!r}")
    text = "b" not in mode
    with _replacing(path, fsync, fsync_temporary=False) as (temporary, replacing):
        with open(temporary, mode, encoding=encoding if text else None,
                  errors=errors if text else None, newline=newline if text else None) as handle:
            yield handle
            if fsync and replacing:
                handle.flush()
                os.fsync(handle.fileno())


def atomic_write_text(path: PathType, text: str, encoding: str = "utf-8", fsync: bool = True) -> None:
    """
    Writes `text` to `path` atomically (`atomic_open`); as `Path(path).write_text(text)`.

    # Parameters

    path : `Union[str, os.PathLike]`
    text : `str`
    encoding : `str`, optional (default = `"utf-8"`)
    fsync : `bool`, optional (default = `True`)
    """
    with atomic_open(path, "w", encoding=encoding, fsync=fsync) as handle:
        handle.write(text)


def atomic_write_bytes(path: PathType, data: bytes, fsync: bool = True) -> None:
    """
    Writes `data` to `path` atomically (`atomic_open`); as `Path(path).write_bytes(data)`.

    # Parameters

    path : `Union[str, os.PathLike]`
    data : `bytes`
    fsync : `bool`, optional (default = `True`)
    """
    with atomic_open(path, "wb", fsync=fsync) as handle:
        handle.write(data)


def atomic_write_json(
    path: PathType, data: Any, trailing_newline: bool = False, encoding: str = "utf-8",
    fsync: bool = True, **dumps_kwargs: Any
) -> None:
    """
    Writes `json.dumps(data, **dumps_kwargs)` to `path` atomically (`atomic_open`).

    # Parameters

    path : `Union[str, os.PathLike]`
    data : `Any`
        Anything `json.dumps` takes; it is serialised before the file is touched.
    trailing_newline : `bool`, optional (default = `False`)
        End the file with a newline (`json.dump` writes none).
    encoding : `str`, optional (default = `"utf-8"`)
    fsync : `bool`, optional (default = `True`)
    dumps_kwargs : `Any`
        For `json.dumps`: `indent`, `sort_keys`, ...
    """
    text = json.dumps(data, **dumps_kwargs) + ("\n" if trailing_newline else "")
    atomic_write_text(path, text, encoding=encoding, fsync=fsync)
