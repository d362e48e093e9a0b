#!/usr/bin/env python3
"""Prints a deterministic sample dataset (JSON array) for the local demo:
N books with an id, a title, an author, a genre, a year and a price."""

import json
import random
import sys

ADJECTIVES = ["silent", "crimson", "hidden", "last", "golden", "broken", "distant", "northern",
              "electric", "quiet", "burning", "forgotten", "glass", "iron", "paper", "wild"]
NOUNS = ["river", "garden", "machine", "harbor", "archive", "forest", "signal", "empire",
         "lighthouse", "orchard", "compass", "winter", "mirror", "station", "island", "library"]
AUTHORS = ["Ada Moreau", "Jonas Berg", "Mira Okafor", "Tomas Lind", "Ines Duarte", "Kenji Sato",
           "Lena Fischer", "Omar Haddad", "Priya Nair", "Sofia Rossi"]
GENRES = ["fantasy", "mystery", "science-fiction", "history", "poetry"]


def books(count: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(1, count + 1):
        out.append({
            "id": i,
            "title": f"The {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}",
            "author": rng.choice(AUTHORS),
            "genre": rng.choice(GENRES),
            "year": rng.randint(1950, 2025),
            "price": round(rng.uniform(4, 60), 2),
        })
    return out


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    json.dump(books(count), sys.stdout)
