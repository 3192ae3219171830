from setuptools import find_packages, setup

setup(
    name="graph-mtl-flat",
    version="0.1.0",
    description="graph-mtl plugin: the FS-MTL (fully shared) baseline as a communication topology",
    packages=find_packages(include=["graph_mtl_flat", "graph_mtl_flat.*"]),
    python_requires=">=3.10",
    install_requires=["graph-mtl"],
    # graph-mtl loads every plugin announced in the `graph_mtl` entry-point group; the entry
    # point's name (`flat`) is the plugin's name in logs and in `python -m graph_mtl.plugins`.
    entry_points={"graph_mtl": ["flat = graph_mtl_flat.plugin"]},
)
