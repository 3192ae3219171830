"""Tiny in-memory multi-task data and models for the model tests (no dataset reader needed)."""
from typing import Dict, List, Optional, Tuple

import torch
from allennlp.data import Batch, Instance, Token, Vocabulary
from allennlp.data.fields import LabelField, MetadataField, SequenceLabelField, TextField
from allennlp.data.token_indexers import SingleIdTokenIndexer
from allennlp.models.heads import Head
from allennlp.modules import Seq2SeqEncoder
from allennlp.modules.seq2seq_encoders import LstmSeq2SeqEncoder
from allennlp.modules.text_field_embedders import BasicTextFieldEmbedder
from allennlp.modules.token_embedders import Embedding

from graph_mtl.models import GraphMtlModel
from graph_mtl.models.backbones import GraphMtlBackbone
from graph_mtl.models.heads import CrfTaggerHead, TextClassifierHead

INDEXERS = {"tokens": SingleIdTokenIndexer()}

CLASSIFICATION = {
    "books": [("a good book", "1"), ("a dull long book", "0"), ("great", "1"), ("bad plot", "0")],
    "dvd": [("a good film indeed", "1"), ("boring", "0"), ("fine dvd", "1"), ("bad bad", "0")],
}
TAGGING = {
    "ner": [
        ("John Smith lives in New York".split(), ["B-PER", "L-PER", "O", "O", "B-LOC", "L-LOC"]),
        ("Paris is big".split(), ["U-LOC", "O", "O"]),
        ("I met Ann".split(), ["O", "O", "U-PER"]),
    ],
    "chunk": [
        ("the big dog barks".split(), ["B-NP", "I-NP", "L-NP", "U-VP"]),
        ("dogs bark".split(), ["U-NP", "U-VP"]),
    ],
}


def classification_instance(task: str, text: str, label: Optional[str]) -> Instance:
    words = text.split()
    fields = {
        "tokens": TextField([Token(w) for w in words], INDEXERS),
        "metadata": MetadataField({"words": words}),
        "task": MetadataField(task),
    }
    if label is not None:
        fields["label"] = LabelField(label, label_namespace=f"{task}_labels")
    return Instance(fields)


def tagging_instance(task: str, words: List[str], tags: Optional[List[str]]) -> Instance:
    text_field = TextField([Token(w) for w in words], INDEXERS)
    fields = {
        "tokens": text_field,
        "metadata": MetadataField({"words": words}),
        "task": MetadataField(task),
    }
    if tags is not None:
        fields["tags"] = SequenceLabelField(tags, text_field, label_namespace=f"{task}_tags")
    return Instance(fields)


def classification_instances() -> List[Instance]:
    return [
        classification_instance(task, text, label)
        for task, examples in CLASSIFICATION.items()
        for text, label in examples
    ]


def tagging_instances() -> List[Instance]:
    return [
        tagging_instance(task, words, tags)
        for task, examples in TAGGING.items()
        for words, tags in examples
    ]


def tensors(instances: List[Instance], vocab: Vocabulary) -> Dict:
    batch = Batch(instances)
    batch.index_instances(vocab)
    return batch.as_tensor_dict()


def build_model(
    vocab: Vocabulary,
    heads: Dict[str, Head],
    encoder: Optional[Seq2SeqEncoder] = None,
    embedding_dim: int = 6,
    **model_kwargs,
) -> GraphMtlModel:
    embedder = BasicTextFieldEmbedder(
        {"tokens": Embedding(embedding_dim=embedding_dim, vocab=vocab)}
    )
    encoder = encoder or LstmSeq2SeqEncoder(embedding_dim, 5, bidirectional=True)
    backbone = GraphMtlBackbone(vocab, embedder, encoder)
    return GraphMtlModel(vocab, backbone, heads, **model_kwargs)


def classification_model(vocab: Vocabulary, **kwargs) -> GraphMtlModel:
    heads = {
        task: TextClassifierHead(vocab, 10, label_namespace=f"{task}_labels", bidirectional=True)
        for task in CLASSIFICATION
    }
    return build_model(vocab, heads, **kwargs)


def tagging_model(vocab: Vocabulary, **kwargs) -> GraphMtlModel:
    heads = {
        task: CrfTaggerHead(
            vocab, 10, label_namespace=f"{task}_tags", label_encoding="BIOUL"
        )
        for task in TAGGING
    }
    return build_model(vocab, heads, **kwargs)


def vocab_for(instances: List[Instance]) -> Vocabulary:
    return Vocabulary.from_instances(instances)


def split_by_task(instances: List[Instance]) -> Dict[str, List[Tuple[int, Instance]]]:
    grouped: Dict[str, List[Tuple[int, Instance]]] = {}
    for i, instance in enumerate(instances):
        grouped.setdefault(instance["task"].metadata, []).append((i, instance))
    return grouped


def seed(value: int = 13) -> None:
    torch.manual_seed(value)
