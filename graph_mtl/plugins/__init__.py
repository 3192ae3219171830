"""
Plugin loading (pluggy). Filled in by the plugins work (issue 5); importing graph_mtl calls
`load_plugins()`.
"""


def load_plugins() -> None:
    return None
