#!/usr/bin/env python3
"""Writes a deterministic SYNTHETIC CSV for the demo dataset caf-foyers-allocataires, as
src/DataClauses.Gateway/Demo/SyntheticData.cs does (same columns, ';' separator, decimal comma, CRLF, the same
category weights and amounts), but with an exact number of rows, for the import benchmark.

Usage: generate-caf-csv.py CONTRACT_YAML ROWS OUT_COMMA_CSV OUT_POINT_CSV

OUT_COMMA_CSV is the file uploaded to the gateway ("12,34"); OUT_POINT_CSV is the same rows with a decimal point
("12.34"), byte for byte the same length, for psql's \\copy (PostgreSQL's double precision input does not accept a
decimal comma). The QPV codes and their communes are read from the contract, so every row is valid for it. Only
random.Random(seed).random() is used: its sequence is the same on every Python 3 version, so is the file.
Nothing here describes real people.
"""

import re
import sys
from random import Random

SEED = 20241231
HEADER = "id_foyer;qpv;commune;type_menage;prestation;montant_mensuel\r\n"
TYPES = [("personne-seule", 38), ("famille-monoparentale", 22), ("couple-avec-enfants", 20), ("couple-sans-enfant", 11), ("autre", 9)]
BENEFITS = [("apl", 45), ("rsa", 20), ("prime-activite", 19), ("alloc-familiales", 13), ("aah", 3)]
AMOUNTS = {"rsa": (480, 300), "apl": (150, 250), "prime-activite": (90, 250), "alloc-familiales": (140, 300), "aah": (800, 300)}


def qpvs_of(contract_path):
    """(code, commune) of every QPV of the contract's territory, in file order."""
    found = []
    with open(contract_path, encoding="utf-8") as f:
        for line in f:
            m = re.search(r"\{\s*code:\s*(QN[0-9A-Z]+)\s*,.*commune:\s*\"?([0-9AB]{5})\"?", line)
            if m:
                found.append((m.group(1), m.group(2)))
    if not found:
        sys.exit(f"no QPV found in {contract_path}")
    return found


def picker(random, choices):
    total = sum(w for _, w in choices)

    def pick():
        draw = int(random.random() * total)
        for value, weight in choices:
            if draw < weight:
                return value
            draw -= weight
        return choices[-1][0]

    return pick


def main():
    contract, rows, out_comma, out_point = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    qpvs = qpvs_of(contract)
    random = Random(SEED)
    # Neighbourhood sizes skewed as in SyntheticData.SizeOf: a few large, most medium, a few very small.
    weights = [2100 if i % 6 == 0 else 60 if i % 6 == 4 else 800 for i in range(len(qpvs))]
    sizes = [rows * w // sum(weights) for w in weights]
    sizes[0] += rows - sum(sizes)
    pick_type, pick_benefit = picker(random, TYPES), picker(random, BENEFITS)

    with open(out_comma, "w", encoding="ascii", newline="") as comma, open(out_point, "w", encoding="ascii", newline="") as point:
        comma.write(HEADER)
        point.write(HEADER)
        row = 0
        chunk = []
        for (code, commune), size in zip(qpvs, sizes):
            prefix = f";{code};{commune};"
            for _ in range(size):
                row += 1
                kind, benefit = pick_type(), pick_benefit()
                base, spread = AMOUNTS[benefit]
                amount = base + int(random.random() * spread)
                if int(random.random() * 500) == 0:
                    amount *= 6  # a rare large amount, as in the demo data
                cents = int(random.random() * 100)
                chunk.append(f"F{row:07d}{prefix}{kind};{benefit};{amount},{cents:02d}\r\n")
                if len(chunk) == 50000:
                    text = "".join(chunk)
                    comma.write(text)
                    point.write(text.replace(",", "."))  # the only comma of a row is the decimal one
                    chunk = []
        text = "".join(chunk)
        comma.write(text)
        point.write(text.replace(",", "."))
    print(f"{row} rows, {len(qpvs)} QPV")


if __name__ == "__main__":
    main()
