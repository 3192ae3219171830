"""`python -m graph_mtl.plugins`: list graph-mtl plugins, their contributions, failures and
refused (clashing) names; exit status 1 when a plugin failed or a name was refused."""
import sys

import graph_mtl  # noqa: F401  (loads the plugins)
from graph_mtl.plugins import get_plugin_manager


def main() -> int:
    manager = get_plugin_manager()
    print(manager.report())
    return 1 if manager.failures or manager.clashes else 0


if __name__ == "__main__":
    sys.exit(main())
