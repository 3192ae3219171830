"""
Compatibility fixes for running AllenNLP 2.10.1 / allennlp-models 2.10.1 on Python 3.11 and a
modern torch (2.14). Each fix checks that its problem is present before it changes anything, so
on a platform that no longer has the problem it does nothing. Every fix has a test in
`tests/test_compat.py`.

| fix | problem (allennlp 2.10.1 file:line) |
| --- | --- |
| `allow_numpy_in_checkpoints` | `train --recover` fails with UnpicklingError when a metric is a numpy scalar: torch.load now defaults to `weights_only=True` (training/checkpointer.py:288) |
| `fix_reduce_on_plateau` | the `reduce_on_plateau` scheduler passes `verbose=`, which torch's ReduceLROnPlateau no longer accepts (learning_rate_schedulers/pytorch_lr_schedulers.py:221) |
| `silence_platform_noise` | torch.cuda.amp / GradScaler / TypedStorage / pkg_resources deprecation warnings on every run |
| `offline_nltk` | allennlp_models/rc/tools/narrativeqa.py calls `nltk.download` at import time and prints "Error loading punkt" offline |
| `require_jsonnet` | when `_jsonnet` cannot be imported, allennlp silently reads configs as plain JSON (common/params.py:18) |
| `offline_spacy_models` | `get_spacy_model` downloads a missing spaCy model such as en_core_web_sm (common/util.py:285) |

`python -m graph_mtl_startup --install` writes the `.pth` file that applies the
warning and nltk fixes at interpreter start-up (see `graph_mtl_startup`), which is needed
because `allennlp` imports allennlp_models before it loads plugins.
"""
import inspect
import logging
from typing import Any, Dict, List, Optional

import graph_mtl_startup

logger = logging.getLogger(__name__)

applied: Dict[str, bool] = {}


def allow_numpy_in_checkpoints() -> bool:
    import numpy
    import torch

    add_safe_globals = getattr(torch.serialization, "add_safe_globals", None)
    if add_safe_globals is None:  # old torch: torch.load is not weights_only by default
        return False
    core = getattr(numpy, "_core", None) or numpy.core
    classes: List[Any] = [
        core.multiarray.scalar,
        core.multiarray._reconstruct,
        numpy.ndarray,
        numpy.dtype,
    ]
    dtypes_module = getattr(numpy, "dtypes", None)
    if dtypes_module is not None:
        classes.extend(
            value
            for name, value in vars(dtypes_module).items()
            if name.endswith("DType") and inspect.isclass(value)
        )
    add_safe_globals(classes)
    return True


def fix_reduce_on_plateau() -> bool:
    import torch
    from allennlp.training.learning_rate_schedulers import LearningRateScheduler
    from allennlp.training.learning_rate_schedulers.pytorch_lr_schedulers import (
        ReduceOnPlateauLearningRateScheduler,
    )

    torch_params = inspect.signature(torch.optim.lr_scheduler.ReduceLROnPlateau).parameters
    if "verbose" in torch_params:
        return False

    class CompatReduceOnPlateauLearningRateScheduler(ReduceOnPlateauLearningRateScheduler):
        """
        AllenNLP's `reduce_on_plateau` without the `verbose` argument that torch removed.
        Same parameters as allennlp's; `verbose` is accepted and ignored.

        Registered as a `LearningRateScheduler` with name "reduce_on_plateau" (replacing
        allennlp's, only where torch lacks `verbose`).

        # Parameters

        optimizer : `torch.optim.Optimizer`
            Given by the trainer.
        mode : `str`, optional (default = `"min"`)
            `"min"` or `"max"`: whether the validation metric should go down or up.
        factor : `float`, optional (default = `0.1`)
            Multiplier of the learning rate on a plateau.
        patience : `int`, optional (default = `10`)
            Epochs without improvement before the rate is reduced.
        verbose : `bool`, optional (default = `False`)
            Accepted for old configs and ignored.
        threshold_mode : `str`, optional (default = `"rel"`)
            `"rel"` or `"abs"`, as torch's `ReduceLROnPlateau`.
        threshold : `float`, optional (default = `1e-4`)
            Smallest change that counts as an improvement.
        cooldown : `int`, optional (default = `0`)
            Epochs to wait after a reduction.
        min_lr : `Union[float, List[float]]`, optional (default = `0`)
            Lower bound of the learning rate (per parameter group with a list).
        eps : `float`, optional (default = `1e-8`)
            Reductions smaller than this are skipped.
        """

        def __init__(
            self,
            optimizer: torch.optim.Optimizer,
            mode: str = "min",
            factor: float = 0.1,
            patience: int = 10,
            verbose: bool = False,
            threshold_mode: str = "rel",
            threshold: float = 1e-4,
            cooldown: int = 0,
            min_lr: Any = 0,
            eps: float = 1e-8,
        ) -> None:
            lr_scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer=optimizer,
                mode=mode,
                factor=factor,
                patience=patience,
                threshold_mode=threshold_mode,
                threshold=threshold,
                cooldown=cooldown,
                min_lr=min_lr,
                eps=eps,
            )
            # Skip the parent's __init__ (it passes verbose=); keep its behaviour otherwise.
            super(ReduceOnPlateauLearningRateScheduler, self).__init__(lr_scheduler)

    # Replacing allennlp's entry is the point: without its INFO line ("reduce_on_plateau has
    # already been registered ..., so overwriting"), printed by every allennlp command.
    registrable_logger = logging.getLogger("allennlp.common.registrable")
    level = registrable_logger.level
    registrable_logger.setLevel(logging.WARNING)
    try:
        LearningRateScheduler.register("reduce_on_plateau", exist_ok=True)(
            CompatReduceOnPlateauLearningRateScheduler
        )
    finally:
        registrable_logger.setLevel(level)
    return True


def silence_platform_noise() -> bool:
    graph_mtl_startup.silence_platform_noise()
    return True


def offline_nltk() -> bool:
    graph_mtl_startup.install()
    return True


class JsonnetMissingError(RuntimeError):
    pass


def require_jsonnet() -> bool:
    """If `_jsonnet` is missing, make config loading fail loudly instead of reading JSON."""
    try:
        import _jsonnet  # noqa: F401

        return False
    except ImportError:
        pass
    from allennlp.common import params

    def evaluate_file(filename: str, **_kwargs: Any) -> str:
        raise JsonnetMissingError(
            f"Cannot read config {filename}: the jsonnet package (module _jsonnet) is not "
            "installed, and AllenNLP would otherwise read the file as plain JSON, ignoring "
            "imports, std.extVar and locals. Run `make install` (pip install jsonnet)."
        )

    def evaluate_snippet(filename: str, expr: str, **_kwargs: Any) -> str:
        raise JsonnetMissingError(
            f"Cannot evaluate config snippet {filename}: the jsonnet package (module _jsonnet) "
            "is not installed. Run `make install` (pip install jsonnet)."
        )

    params.evaluate_file = evaluate_file
    params.evaluate_snippet = evaluate_snippet
    return True


def offline_spacy_models() -> bool:
    """
    Replace allennlp's `get_spacy_model`, which downloads a missing model, by one that never
    downloads: `blank:xx` gives `spacy.blank("xx")`; a model that is not installed falls back to
    `spacy.blank` of its language for tokenization only (with one warning), and fails with a
    clear error if POS tags, parses or entities were asked for.
    """
    import spacy
    from allennlp.common import util
    from allennlp.common.checks import ConfigurationError
    from allennlp.data.tokenizers import sentence_splitter, spacy_tokenizer

    if getattr(util.get_spacy_model, "_graph_mtl_offline", False):
        return False

    cache: Dict[Any, Any] = util.LOADED_SPACY_MODELS

    def get_spacy_model(
        spacy_model_name: str, pos_tags: bool = True, parse: bool = False, ner: bool = False
    ) -> Any:
        options = (spacy_model_name, pos_tags, parse, ner)
        if options in cache:
            return cache[options]
        if spacy_model_name.startswith("blank:"):
            model = spacy.blank(spacy_model_name.split(":", 1)[1])
        else:
            disable = ["vectors", "textcat"]
            if not pos_tags:
                disable.append("tagger")
            if not parse:
                disable.append("parser")
            if not ner:
                disable.append("ner")
            try:
                model = spacy.load(spacy_model_name, disable=disable)
            except OSError:
                wanted = [n for n, on in (("pos_tags", pos_tags), ("parse", parse), ("ner", ner)) if on]
                language = spacy_model_name.split("_", 1)[0]
                if wanted and wanted != ["pos_tags"]:
                    raise ConfigurationError(
                        f"spaCy model {spacy_model_name!r} is not installed and graph-mtl never "
                        f"downloads models; {wanted} need it. Install the model package, or use "
                        f'a tokenizer with "language": "blank:{language}".'
                    )
                logger.warning(
                    "spaCy model %r is not installed; tokenizing with spacy.blank(%r) instead "
                    "(no download is attempted)",
                    spacy_model_name,
                    language,
                )
                model = spacy.blank(language)
        cache[options] = model
        return model

    get_spacy_model._graph_mtl_offline = True  # type: ignore[attr-defined]
    util.get_spacy_model = get_spacy_model
    spacy_tokenizer.get_spacy_model = get_spacy_model
    sentence_splitter.get_spacy_model = get_spacy_model
    return True


FIXES = [
    allow_numpy_in_checkpoints,
    fix_reduce_on_plateau,
    silence_platform_noise,
    offline_nltk,
    require_jsonnet,
    offline_spacy_models,
]


def apply() -> Dict[str, bool]:
    """Apply every fix (idempotent). Returns `{fix name: whether it changed something}`."""
    for fix in FIXES:
        if fix.__name__ not in applied:
            applied[fix.__name__] = fix()
    return dict(applied)


def main(argv: Optional[List[str]] = None) -> None:
    """`python -c 'import graph_mtl.compat as c; c.main()'` prints which fixes this platform needed."""
    for name, changed in apply().items():
        print(f"{name}: {'applied' if changed else 'not needed'}")
