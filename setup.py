from setuptools import find_packages, setup

VERSION = {}
with open("graph_mtl/version.py") as version_file:
    exec(version_file.read(), VERSION)

setup(
    name="graph-mtl",
    version=VERSION["VERSION"],
    description=(
        "Multi-task sequence learning with message passing over a learned task graph "
        "(Liu et al., AAAI 2019) as an AllenNLP plugin"
    ),
    long_description=open("README.md").read() if __import__("os").path.exists("README.md") else "",
    long_description_content_type="text/markdown",
    packages=find_packages(include=["graph_mtl", "graph_mtl.*"]),
    py_modules=["graph_mtl_startup"],
    python_requires=">=3.10",
    # The working, tested set is in requirements.txt / requirements-nodeps.txt (allennlp pins
    # torch<1.13 and must be installed with --no-deps); these are the direct needs.
    install_requires=["torch>=2.0", "jsonnet", "pluggy>=1.3", "spacy>=3.7"],
    entry_points={"console_scripts": []},
    include_package_data=True,
    # The config library (`import 'graph_mtl/configs/custom.libsonnet'` from any config).
    package_data={"graph_mtl": ["configs/*.libsonnet"]},
)
