from graph_mtl.data import dataset_readers, data_loaders  # noqa: F401
