"""
Writes the small sentiment data the demo and the end-to-end tests train on
(fixtures/demo/<domain>.task.train in FDU-MTL format, `label<TAB>tokenized text`; as in FDU-MTL
the last lines of each file are the dev split: 48 train + 16 dev).

The sentences are generated from templates with a fixed seed: each domain has its own nouns and
some domain-specific opinion words, and shares the general opinion words with the others, so a
multi-task model has something to share. Run from the repository root:
`python scripts/make_demo_fixtures.py`.
"""
import random
from pathlib import Path

DOMAINS = {
    "books": (["book", "novel", "story", "author", "plot", "chapter"], ["gripping", "well-written"], ["dull", "predictable"]),
    "electronics": (["battery", "screen", "charger", "cable", "speaker", "remote"], ["reliable", "crisp"], ["flimsy", "defective"]),
    "kitchen_housewares": (["pan", "blender", "knife", "kettle", "toaster", "mixer"], ["sturdy", "sharp"], ["rusty", "leaky"]),
}
POSITIVE = ["great", "excellent", "good", "wonderful", "fantastic", "perfect"]
NEGATIVE = ["bad", "terrible", "awful", "poor", "disappointing", "useless"]
OPENERS = ["i think", "honestly ,", "overall", "in my opinion", "well ,", ""]
TEMPLATES = [
    "{opener} this {noun} is {adj} .",
    "{opener} the {noun} was {adj} and the {noun2} was {adj2} .",
    "i bought this {noun} and it is {adj} .",
    "{opener} a {adj} {noun} , {adj2} {noun2} too .",
    "the {noun} is {neg}{adj} , i would {would} recommend it .",
]


def sentence(rng: random.Random, domain: str, label: int) -> str:
    nouns, dom_pos, dom_neg = DOMAINS[domain]
    pool = (POSITIVE + dom_pos) if label else (NEGATIVE + dom_neg)
    template = rng.choice(TEMPLATES)
    text = template.format(
        opener=rng.choice(OPENERS),
        noun=rng.choice(nouns),
        noun2=rng.choice(nouns),
        adj=rng.choice(pool),
        adj2=rng.choice(pool),
        neg="",
        would="" if label else "not",
    )
    return " ".join(text.split())


def main() -> None:
    from graph_mtl.common.atomic import atomic_write_text

    rng = random.Random(13)
    out = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
    out.mkdir(parents=True, exist_ok=True)
    for domain in DOMAINS:
        lines = []
        for split_size in (48, 16):  # train, then the dev block at the end (balanced)
            block = [f"{i % 2}\t{sentence(rng, domain, i % 2)}" for i in range(split_size)]
            rng.shuffle(block)
            lines.extend(block)
        atomic_write_text(out / f"{domain}.task.train", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
