"""`python -m graph_mtl.plugins`: list graph-mtl plugins, their contributions and failures."""
import sys

import graph_mtl  # noqa: F401  (loads the plugins)
from graph_mtl.plugins import get_plugin_manager


def main() -> int:
    manager = get_plugin_manager()
    print(manager.report())
    return 1 if manager.failures else 0


if __name__ == "__main__":
    sys.exit(main())
