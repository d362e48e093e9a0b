"""The documents the Miroir suites index, and helpers to load and read them.

Each document is
    {"id": i, "title": "<word> <codeword>", "color": red|green|blue,
     "rank": a permutation of 0..10006 (unique), "price": 0.0..99.9 (10 docs each),
     "family": 0..499 (20 docs each)}
`word` is one of 16 short words (625 documents each, for 10,000 documents);
`codeword` is a letter word unique to the document, chosen so that under
Meilisearch's default typo tolerance (1 typo from 5 letters, 2 from 9) and
prefix search on the last query word, searching it matches exactly one document:
all codewords have 8 letters, no two are within one edit of each other (they
share no one-deletion variant), and none starts with — or with a one-edit
variant of — any other word of the data set.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from typing import Any

from harness import api

WORDS = ["alpha", "bravo", "delta", "echo", "golf", "hotel", "india", "kilo",
         "lima", "mike", "oscar", "papa", "romeo", "tango", "whisky", "zulu"]
COLORS = ["red", "green", "blue"]
FAMILIES = 500
CODE_LENGTH = 8
SETTINGS = {
    "filterableAttributes": ["color", "family", "rank", "price"],
    "sortableAttributes": ["rank", "price"],
}


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _neighbourhood(word: str) -> set[str]:
    return {word} | _deletions(word)


def codewords(count: int, seed: int = 20240501) -> list[str]:
    rng = random.Random(seed)
    others = WORDS + COLORS
    other_sets = [_neighbourhood(w) for w in others]
    taken: set[str] = set()  # neighbourhoods of accepted codewords
    out: list[str] = []
    while len(out) < count:
        word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(CODE_LENGTH))
        hood = _neighbourhood(word)
        if hood & taken:
            continue
        bad = False
        for other, other_hood in zip(others, other_sets):
            for length in (len(other) - 1, len(other), len(other) + 1):
                if _neighbourhood(word[:length]) & other_hood:
                    bad = True
                    break
            if bad:
                break
        if bad:
            continue
        taken |= hood
        out.append(word)
    return out


def make_documents(count: int = 10_000) -> list[dict]:
    codes = codewords(count)
    return [{
        "id": i,
        "title": f"{WORDS[i % len(WORDS)]} {codes[i]}",
        "color": COLORS[i % len(COLORS)],
        "rank": (i * 7919) % 10007,
        "price": ((i * 37) % 1000) / 10,
        "family": (i * 13) % FAMILIES,
    } for i in range(count)]


_CACHE: dict[int, list[dict]] = {}


def documents(count: int = 10_000) -> list[dict]:
    """The first `count` documents (cached; do not mutate)."""
    if count not in _CACHE:
        _CACHE[count] = make_documents(count)
    return _CACHE[count]


def codeword_of(doc: dict) -> str:
    return doc["title"].split()[1]


@dataclass
class Dataset:
    uid: str
    docs: list[dict]

    @functools.cached_property
    def by_id(self) -> dict[Any, dict]:
        return {d["id"]: d for d in self.docs}

    def __len__(self) -> int:
        return len(self.docs)


def load(client: Any, uid: str, docs: list[dict], *, batch: int = 1000,
         settings: dict | None = None, timeout: float = 120.0) -> Dataset:
    """Create `uid` (primary key id) with `settings`, add `docs` in batches, wait for all."""
    api.create_index(client, uid, "id", timeout=timeout)
    settings = SETTINGS if settings is None else settings
    if settings:
        api.update_settings(client, uid, settings, timeout=timeout)
    tasks = [client.index(uid).add_documents(docs[i:i + batch])
             for i in range(0, len(docs), batch)]
    for task in tasks:
        done = api.succeeded(client, task, timeout=timeout)
        assert done["details"]["indexedDocuments"] == done["details"]["receivedDocuments"], done
    return Dataset(uid, docs)


def fetch_all(client: Any, uid: str, page: int = 1000, **params: Any) -> list[dict]:
    """Every document of `uid` through POST /documents/fetch, `page` at a time."""
    out: list[dict] = []
    offset = 0
    while True:
        body = {"offset": offset, "limit": page, **params}
        result = client.index(uid).get_documents(body)
        out.extend(dict(d) for d in result.results)
        offset += len(result.results)
        if not result.results or offset >= result.total:
            return out
