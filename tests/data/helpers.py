from pathlib import Path
from typing import List

from allennlp.data import Instance

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "data"


def fixture(*parts: str) -> str:
    return str(FIXTURES.joinpath(*parts))


def words(instance: Instance) -> List[str]:
    return [token.text for token in instance["tokens"].tokens]


def tags(instance: Instance) -> List[str]:
    return list(instance["tags"].labels)
