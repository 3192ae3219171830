"""The backbone's word dropout: which ids it replaces, when, and that the unknown word learns."""
import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.modules.seq2seq_encoders import LstmSeq2SeqEncoder
from allennlp.modules.text_field_embedders import BasicTextFieldEmbedder
from allennlp.modules.token_embedders import Embedding

from graph_mtl.models.backbones import GraphMtlBackbone


def vocab_with(words) -> Vocabulary:
    vocab = Vocabulary()
    vocab.add_tokens_to_namespace(words, "tokens")
    vocab.add_tokens_to_namespace(list("abc"), "token_characters")
    return vocab


def backbone(vocab: Vocabulary, word_dropout: float, **kwargs) -> GraphMtlBackbone:
    embedder = BasicTextFieldEmbedder({"tokens": Embedding(embedding_dim=3, vocab=vocab)})
    return GraphMtlBackbone(vocab, embedder, LstmSeq2SeqEncoder(3, 2), word_dropout=word_dropout, **kwargs)


class Recorder(torch.nn.Module):
    """Keeps what the embedder was given (and embeds the words only)."""

    def __init__(self, embedder):
        super().__init__()
        self.embedder = embedder
        self.seen = None

    def forward(self, tokens):
        self.seen = tokens
        return self.embedder({"tokens": tokens["tokens"]})

    def get_output_dim(self):
        return self.embedder.get_output_dim()


def batch(vocab: Vocabulary, rows: int = 64, length: int = 50, characters: bool = True):
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(2, vocab.get_vocab_size("tokens"), (rows, length), generator=generator)
    lengths = torch.randint(1, length + 1, (rows,), generator=generator)
    ids[torch.arange(length).unsqueeze(0) >= lengths.unsqueeze(1)] = 0
    if not characters:
        return {"tokens": {"tokens": ids}}
    chars = torch.randint(1, 4, (rows, length, 3), generator=generator)
    return {"tokens": {"tokens": ids}, "token_characters": {"token_characters": chars}}


def test_word_dropout_replaces_words_only_in_training_and_never_padding():
    vocab = vocab_with([f"w{i}" for i in range(40)])
    model = backbone(vocab, 0.25)
    recorder = Recorder(model._text_field_embedder)  # noqa: SLF001
    model._text_field_embedder = recorder  # noqa: SLF001
    tokens = batch(vocab)
    ids = tokens["tokens"]["tokens"]
    unknown = vocab.get_token_index("@@UNKNOWN@@", "tokens")
    assert unknown == 1 and not (ids == unknown).any()

    torch.manual_seed(1)
    outputs = model(tokens)
    seen = recorder.seen["tokens"]["tokens"]
    changed = seen != ids
    assert (seen[changed] == unknown).all()  # a replaced word becomes @@UNKNOWN@@, nothing else
    assert not changed[ids == 0].any()  # padding stays padding
    assert torch.equal(outputs["encoded_text_mask"], ids != 0)  # the mask is the real words'
    share = changed[ids != 0].float().mean().item()
    assert 0.22 < share < 0.28, share  # ~1,600 words: 0.25 within 3 standard deviations
    # the characters, and the caller's tensors, are untouched
    assert recorder.seen["token_characters"] is tokens["token_characters"]
    assert not (tokens["tokens"]["tokens"] == unknown).any()

    model.eval()
    model(tokens)
    assert torch.equal(recorder.seen["tokens"]["tokens"], ids)


def test_word_dropout_trains_the_unknown_words_embedding():
    vocab = vocab_with([f"w{i}" for i in range(40)])
    unknown = vocab.get_token_index("@@UNKNOWN@@", "tokens")
    for rate, grows in ((0.0, False), (0.3, True)):
        model = backbone(vocab, rate)
        model(batch(vocab, characters=False))["encoded_text"].sum().backward()
        weight = model._text_field_embedder.token_embedder_tokens.weight  # noqa: SLF001
        assert (weight.grad[unknown].abs().sum() > 0) == grows


def test_word_dropout_is_checked():
    vocab = vocab_with(["a", "b"])
    with pytest.raises(ConfigurationError, match=r"word_dropout must be in \[0, 1\)"):
        backbone(vocab, 1.0)
    with pytest.raises(ConfigurationError, match="'labels' has no @@UNKNOWN@@"):
        vocab.add_token_to_namespace("x", "labels")
        backbone(vocab, 0.1, word_dropout_namespace="labels")
    model = backbone(vocab, 0.1, word_dropout_indexer="words")
    with pytest.raises(ConfigurationError, match=r"no token indexer 'words' \(it has \['tokens'\]\)"):
        model({"tokens": {"tokens": torch.tensor([[2, 3]])}})
