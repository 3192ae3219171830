"""
graph-mtl: multi-task sequence learning with message passing over a learned task graph
(Liu, Fu, Dong, Qiu & Cheung, AAAI 2019), as an AllenNLP plugin.

Importing this package applies the platform compatibility fixes (see `graph_mtl.compat`),
flushes denormal floats to zero on the CPU (`graph_mtl.common.denormals`), registers every
component graph-mtl provides with AllenNLP's registries, and loads the topology plugins installed
under the `graph_mtl` entry-point group.
"""
from graph_mtl.version import VERSION

# First: fixes that must be in place before the rest of AllenNLP is used.
from graph_mtl import compat

compat.apply()

# Denormals flushed to zero on the CPU before torch starts its threads (graph_mtl.common.denormals).
from graph_mtl.common import denormals  # noqa: E402

denormals.flush_denormals()

# Defaults of the configs' optional variables (FDU_MTL_VECTORS, ...), before any config is read.
from graph_mtl import config_variables  # noqa: E402

config_variables.apply_defaults()
# ... and `import 'graph_mtl/configs/custom.libsonnet'` from a config anywhere.
config_variables.use_import_path()

# Every subpackage registers its components on import.
from graph_mtl import data  # noqa: E402
from graph_mtl import modules  # noqa: E402
from graph_mtl import models  # noqa: E402
from graph_mtl import predictors  # noqa: E402
from graph_mtl import commands  # noqa: E402
from graph_mtl import training  # noqa: E402
from graph_mtl import plugins  # noqa: E402

plugins.load_plugins()

# `allennlp predict` / `evaluate` / `Predictor.from_path` load archives safely (no code from an
# archive's config, no tar member outside its folder, weights_only): graph_mtl.models.archival.
from graph_mtl.models import archival  # noqa: E402

archival.use_in_allennlp()
# ... and refuse an output path that names one of their inputs (graph_mtl.commands.paths).
commands.paths.guard_allennlp_commands()
# `allennlp train` writes model.tar.gz and the metrics files atomically (graph_mtl.training.atomic_files).
training.atomic_files.use_in_allennlp()
# ... `allennlp evaluate` its output files (graph_mtl.commands.atomic_outputs), and `allennlp
# predict` its output file, reading the graph_mtl predictor's input from bytes and naming the
# file in a bad line's error (graph_mtl.commands.predict_manager).
commands.atomic_outputs.use_in_allennlp()
commands.predict_manager.use_in_allennlp()

__version__ = VERSION
