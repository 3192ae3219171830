"""
`graph_mtl.common.atomic` (atomic file writes: a temporary file renamed into place) for the
benchmark scripts, loaded from its file rather than imported: `import graph_mtl` loads allennlp
and torch (~7 s, ~1 GB), and the plain-torch benchmarks run where allennlp is not installed.
"""
import importlib.util
import os

_spec = importlib.util.spec_from_file_location(
    "benchmarks._graph_mtl_common_atomic",
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "graph_mtl", "common", "atomic.py"),
)
_atomic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_atomic)

atomic_open = _atomic.atomic_open
atomic_path = _atomic.atomic_path
atomic_write_bytes = _atomic.atomic_write_bytes
atomic_write_json = _atomic.atomic_write_json
atomic_write_text = _atomic.atomic_write_text
