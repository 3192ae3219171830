"""
graph-mtl dataset readers: one task per reader, fields and label namespaces as in
docs/CONVENTIONS.md. Registered names: `fdu_mtl`, `conll2000_tagging`, `conll2003_tagging`,
`conll_columns`, `ptb_pos`, `ptb_treebank_pos`, `jsonl`. Compose them with allennlp's
`multitask` reader (see `graph_mtl.data.data_loaders`).
"""
from graph_mtl.data.dataset_readers.errors import DataFormatError
from graph_mtl.data.dataset_readers.task_reader import (
    ClassificationTaskReader,
    TaggingTaskReader,
    TaskDatasetReader,
    split_data_path,
)
from graph_mtl.data.dataset_readers.tag_schemes import convert_tags
from graph_mtl.data.dataset_readers.fdu_mtl import FduMtlDatasetReader
from graph_mtl.data.dataset_readers.conll_columns import ConllColumnsDatasetReader
from graph_mtl.data.dataset_readers.conll2000 import Conll2000DatasetReader
from graph_mtl.data.dataset_readers.conll2003 import Conll2003DatasetReader
from graph_mtl.data.dataset_readers.ptb_pos import PtbPosDatasetReader
from graph_mtl.data.dataset_readers.ptb_treebank import PtbTreebankPosDatasetReader
from graph_mtl.data.dataset_readers.json_lines import JsonLinesDatasetReader

__all__ = [
    "DataFormatError",
    "TaskDatasetReader",
    "ClassificationTaskReader",
    "TaggingTaskReader",
    "split_data_path",
    "convert_tags",
    "FduMtlDatasetReader",
    "ConllColumnsDatasetReader",
    "Conll2000DatasetReader",
    "Conll2003DatasetReader",
    "PtbPosDatasetReader",
    "PtbTreebankPosDatasetReader",
    "JsonLinesDatasetReader",
]
