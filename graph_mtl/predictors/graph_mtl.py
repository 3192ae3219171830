"""
The `graph_mtl` predictor: JSON-lines or plain-text input, one output line per input line, in
input order, with the prediction and the learned communication weights (alpha for DC-MTL,
beta for IC-MTL) and the nodes they are over (`alpha_sources`, `beta_sources`). See `graph_mtl.predictors.inputs` for the input formats and
`graph_mtl.predictors.formatting` for the output.

```
allennlp predict model.tar.gz input.jsonl --predictor graph_mtl --output-file out.jsonl --silent
allennlp predict model.tar.gz input.txt --predictor graph_mtl \
    --predictor-args '{"task": "books"}' --output-file out.jsonl --silent
```

Predictor arguments (`--predictor-args`): `task` (default task, required for plain text),
`input_format` (`auto`, `json` or `text`), `on_error` (`raise`, the default, stops at the
first bad line with an error naming it; `record` writes `{"line": n, "error": ...}` in its
place and goes on).

Sentences are tokenized by the tokenizer of the task's dataset reader from the archive, so
exactly as the training data was; `tokens` inputs are used as given.
"""
import collections
import logging
from typing import Any, Dict, List, Optional, Union

from allennlp.common.checks import ConfigurationError
from allennlp.common.util import JsonDict, sanitize
from allennlp.data import DatasetReader, Instance
from allennlp.data.dataset_readers import MultiTaskDatasetReader
from allennlp.data.fields import MetadataField, TextField
from allennlp.models import Model
from allennlp.predictors.predictor import Predictor

from graph_mtl.predictors.description import describe_model, find_multitask_encoder, source_graph
from graph_mtl.predictors.formatting import add_alpha, add_beta, format_classification, format_tagging
from graph_mtl.predictors.inputs import (
    INPUT_FORMATS,
    InputLineError,
    PredictionInput,
    UndecodableLine,
    parse_json,
    parse_line,
)

logger = logging.getLogger(__name__)

ON_ERROR = ("raise", "record")


@Predictor.register("graph_mtl")
class GraphMtlPredictor(Predictor):
    """
    Predictions of a multi-task `graph_mtl` model (or allennlp's `multitask`) for JSON-lines or
    plain-text input, in input order, with the message-passing weights (`alpha` / `beta`) of
    the task's encoder. The format is described in `graph_mtl/predictors/README.md`.

    Registered as a `Predictor` with name "graph_mtl" (the `graph_mtl` model's default);
    `--predictor-args` sets the arguments after `model` and `dataset_reader`.

    # Parameters

    model : `Model`
        The archived model; it must have per-task heads.
    dataset_reader : `DatasetReader`
        The archive's (multitask) dataset reader; each line is tokenized by its task's reader.
    frozen : `bool`, optional (default = `True`)
        Put the model in evaluation mode (allennlp's `Predictor` argument).
    task : `str`, optional (default = `None`)
        Task of lines that name none (required for plain-text input); must be a model task.
    input_format : `str`, optional (default = `"auto"`)
        `"auto"` (JSON if the line starts with `{`), `"json"` or `"text"`.
    on_error : `str`, optional (default = `"raise"`)
        `"raise"`: stop at the first bad line with `input line N: <problem>`; `"record"`:
        write `{"line": N, "error": ...}` for it and go on.
    max_tokens : `int`, optional (default = `1000`)
        Longest input (in tokens, after the task reader's own truncation, if any) predicted; a
        longer one is a bad line (see `on_error`). The attention in a prediction grows with the
        square of the length for IC-MTL (5,000 tokens: a 244 MB output line, 2.5 GB of memory).
        `null`: no limit.
    """

    def __init__(
        self,
        model: Model,
        dataset_reader: DatasetReader,
        frozen: bool = True,
        task: Optional[str] = None,
        input_format: str = "auto",
        on_error: str = "raise",
        max_tokens: Optional[int] = 1000,
        **unknown: Any,
    ) -> None:
        if unknown:  # a misspelt --predictor-args key
            raise ConfigurationError(
                f"unknown predictor argument(s) {sorted(unknown)}; the graph_mtl predictor "
                "takes task, input_format, on_error, max_tokens"
            )
        super().__init__(model, dataset_reader, frozen=frozen)
        if input_format not in INPUT_FORMATS:
            raise ConfigurationError(
                f"predictor argument input_format must be one of {INPUT_FORMATS}, not {input_format!r}"
            )
        if on_error not in ON_ERROR:
            raise ConfigurationError(
                f"predictor argument on_error must be one of {ON_ERROR}, not {on_error!r}"
            )
        heads = getattr(model, "_heads", None)
        if heads is None:
            raise ConfigurationError(
                "the graph_mtl predictor needs a multi-task model (model type graph_mtl or multitask)"
            )
        self.tasks: List[str] = list(heads.keys())
        if task is not None and task not in self.tasks:
            raise ConfigurationError(
                f"predictor argument task={task!r} is not a task of this model; its tasks are "
                f"{sorted(self.tasks)}"
            )
        if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int)
                                       or max_tokens < 1):
            raise ConfigurationError(
                f"predictor argument max_tokens must be a positive integer or null, not {max_tokens!r}"
            )
        self.max_tokens = max_tokens
        self.default_task = task
        self.input_format = input_format
        self.on_error = on_error
        self._lines_read = 0
        self._encoder = find_multitask_encoder(model)
        self._encoder_tasks: List[str] = list(self._encoder.tasks) if self._encoder is not None else []
        self._sources = source_graph(self._encoder)
        self._virtual_nodes: List[str] = list(self._encoder.virtual_nodes) if self._encoder is not None else []

    # ------------------------------------------------------------------------------ reading
    def reader_for(self, task: str) -> DatasetReader:
        """The (inner) dataset reader of `task` from the archive."""
        reader = self._dataset_reader
        if isinstance(reader, MultiTaskDatasetReader):
            if task not in reader.readers:
                raise InputLineError(
                    None, f"the archive has no dataset reader for task {task!r}"
                )
            reader = reader.readers[task]
        return getattr(reader, "inner", reader)

    def load_line(self, line: Union[str, UndecodableLine]) -> JsonDict:
        """Parse one non-blank input line (JSON or plain text); numbers lines from 1. A line
        that is not valid UTF-8 (`UndecodableLine`) is a bad line like any other."""
        self._lines_read += 1
        number = self._lines_read
        try:
            if isinstance(line, UndecodableLine):
                raise InputLineError(number, line.problem, line.text)
            parsed = parse_line(
                line,
                number,
                default_task=self.default_task,
                known_tasks=self.tasks,
                input_format=self.input_format,
            )
        except InputLineError as error:
            if self.on_error == "raise":
                raise
            text = line.text if isinstance(line, UndecodableLine) else line
            return {"line": number, "error": str(error), "input": text.strip()}
        return parsed.to_json()

    def tokenize(self, task: str, sentence: str) -> List[str]:
        """Split `sentence` with the tokenizer `task`'s reader used for the training data."""
        reader = self.reader_for(task)
        tokenizer = getattr(reader, "tokenizer", None) or getattr(reader, "_tokenizer", None)
        if tokenizer is None:
            return sentence.split()
        return [token.text for token in tokenizer.tokenize(sentence)]

    def input_to_instance(self, parsed: PredictionInput) -> Instance:
        """
        The instance the task's reader builds for this input, without a gold label: a sentence
        is split by the reader's own tokenizer (as the training data was), `tokens` are kept.
        """
        if parsed.tokens is not None:
            words = list(parsed.tokens)
        else:
            words = self.tokenize(parsed.task, parsed.sentence or "")
        if not words:
            raise InputLineError(parsed.line_number, "empty sentence: no tokens after tokenization")
        reader = self.reader_for(parsed.task)
        try:
            # graph-mtl's task readers take a list of tokens as their first argument
            instance = reader.text_to_instance(words)
        except ValueError as error:  # DataFormatError and friends: a problem of this input
            raise InputLineError(parsed.line_number, getattr(error, "problem", str(error))) from error
        length = len(instance["tokens"])  # type: ignore[arg-type]
        if self.max_tokens is not None and length > self.max_tokens:
            raise InputLineError(
                parsed.line_number,
                f"{length} tokens, more than the predictor's max_tokens ({self.max_tokens}); split "
                "the text, or raise the limit with --predictor-args '{\"max_tokens\": N}' "
                "(the attention output grows with the square of the length)",
            )
        if "task" not in instance.fields:
            instance.add_field("task", MetadataField(parsed.task))
        return instance

    def _json_to_instance(self, json_dict: JsonDict) -> Instance:
        data = dict(json_dict)
        number = data.pop("line", None)
        parsed = parse_json(data, number, default_task=self.default_task, known_tasks=self.tasks)
        return self.input_to_instance(parsed)

    # --------------------------------------------------------------------------- predicting
    def predict_json(self, inputs: JsonDict) -> JsonDict:
        return self.predict_batch_json([inputs])[0]

    def predict_batch_json(self, inputs: List[JsonDict]) -> List[JsonDict]:
        results: List[Optional[JsonDict]] = [None] * len(inputs)
        instances: List[Instance] = []
        positions: List[int] = []
        extras: List[Dict[str, Any]] = []
        for position, json_dict in enumerate(inputs):
            number = json_dict.get("line")
            if "error" in json_dict:  # a bad line already recorded by load_line
                results[position] = dict(json_dict)
                continue
            try:
                data = dict(json_dict)
                data.pop("line", None)
                parsed = parse_json(
                    data, number, default_task=self.default_task, known_tasks=self.tasks
                )
                instance = self.input_to_instance(parsed)
            except InputLineError as error:
                if self.on_error == "raise":
                    raise
                results[position] = {"line": number, "error": str(error)}
                continue
            instances.append(instance)
            positions.append(position)
            extras.append({"line": number, **({"meta": parsed.extra} if parsed.extra else {})})
        for position, extra, output in zip(positions, extras, self.predict_batch_instance(instances)):
            line = extra.pop("line")
            result = {"line": line} if line is not None else {}
            result.update(output)
            result.update(extra)
            results[position] = result
        return results  # type: ignore[return-value]

    def predict_instance(self, instance: Instance) -> JsonDict:
        return self.predict_batch_instance([instance])[0]

    def predict_batch_instance(self, instances: List[Instance]) -> List[JsonDict]:
        """
        Predict, one forward pass per task present (so every batch the model sees is
        homogeneous), and return the outputs in the order of `instances`.
        """
        by_task: Dict[str, List[int]] = collections.OrderedDict()
        for index, instance in enumerate(instances):
            task_field = instance.fields.get("task")
            if not isinstance(task_field, MetadataField):
                raise ValueError(
                    "graph_mtl predictor: every instance needs a MetadataField 'task' naming its task"
                )
            by_task.setdefault(task_field.metadata, []).append(index)
        results: List[Optional[JsonDict]] = [None] * len(instances)
        for task, indices in by_task.items():
            group = [instances[i] for i in indices]
            for instance in group:
                self._apply_token_indexers(task, instance)
            outputs = self._model.forward_on_instances(group)
            for index, instance, output in zip(indices, group, outputs):
                results[index] = self.format_output(task, instance, output)
        return results  # type: ignore[return-value]

    def _apply_token_indexers(self, task: str, instance: Instance) -> None:
        reader = self._dataset_reader
        if isinstance(reader, MultiTaskDatasetReader):
            reader.readers[task].apply_token_indexers(instance)
        else:
            reader.apply_token_indexers(instance)

    # ----------------------------------------------------------------------------- output
    def _label_vocabulary(self, task: str, kind: str) -> Dict[int, str]:
        head = self._model._heads[task]  # type: ignore[index]
        candidates = [
            getattr(head, name, None)
            for name in ("label_namespace", "_label_namespace", "namespace", "_namespace")
        ] + [f"{task}_{kind}"]
        vocab = self._model.vocab
        for namespace in candidates:
            if isinstance(namespace, str) and namespace in vocab._index_to_token:
                return vocab.get_index_to_token_vocabulary(namespace)
        return {}

    def describe(self) -> Dict[str, Any]:
        """The model's communication as the report names it (see `describe_model`)."""
        return describe_model(self._model, self._encoder)

    def format_output(self, task: str, instance: Instance, output: Dict[str, Any]) -> JsonDict:
        text_field = instance.fields.get("tokens")
        if isinstance(text_field, TextField):
            tokens = [token.text for token in text_field.tokens]
        else:
            metadata = instance.fields.get("metadata")
            tokens = list(metadata.metadata.get("words", [])) if metadata is not None else []
        result: Dict[str, Any] = {"task": task, "tokens": tokens}
        head = self._model._heads[task]  # type: ignore[index]
        if f"{task}_probs" in output or f"{task}_label" in output:
            result.update(format_classification(output, task, self._label_vocabulary(task, "labels")))
        elif f"{task}_tags" in output or f"{task}_logits" in output:
            crf = getattr(head, "crf", None) or getattr(head, "_crf", None)
            result.update(
                format_tagging(output, task, len(tokens), self._label_vocabulary(task, "tags"), crf)
            )
        # gold annotations, when the instance has them (`allennlp predict --use-dataset-reader`)
        gold_label = instance.fields.get("label")
        if gold_label is not None and hasattr(gold_label, "label"):
            result["gold_label"] = str(gold_label.label)
        gold_tags = instance.fields.get("tags")
        if gold_tags is not None and hasattr(gold_tags, "labels"):
            result["gold_tags"] = [str(tag) for tag in gold_tags.labels]
        for suffix in ("", "_backward"):
            add_alpha(result, output, suffix, len(tokens), self._sources.get(task, self._encoder_tasks),
                      self._encoder_tasks, self._virtual_nodes)
            add_beta(result, output, suffix, len(tokens), self._sources.get(task), bool(self._sources))
        return sanitize(result)

