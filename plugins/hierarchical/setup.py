from setuptools import find_packages, setup

setup(
    name="graph-mtl-hierarchical",
    version="0.1.0",
    description=(
        "graph-mtl plugin: a hierarchical topology in which tasks receive messages from the "
        "tasks below them in a partial order (Sogaard & Goldberg 2016, Hashimoto et al. 2017)"
    ),
    packages=find_packages(include=["graph_mtl_hierarchical", "graph_mtl_hierarchical.*"]),
    python_requires=">=3.10",
    install_requires=["graph-mtl"],
    entry_points={"graph_mtl": ["hierarchical = graph_mtl_hierarchical.plugin"]},
)
