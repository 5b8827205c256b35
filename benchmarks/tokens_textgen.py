"""Deterministic English-like and code-like texts for the token benchmarks."""

from __future__ import annotations

import random

_WORD_LIST = (
    "the of and to in is that for it as was with be by on not he this are or his from at which "
    "but have an they you were her she there been one all we their has would when if so no will "
    "model prompt token budget cost estimate summary customer answer question context document "
    "retrieval assistant instructions example output format careful concise helpful accurate"
)
WORDS = _WORD_LIST.split()


def english(size: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    parts: list[str] = []
    length = 0
    while length < size:
        sentences = []
        for _ in range(rng.randint(2, 6)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(6, 22))]
            sentences.append(" ".join(words).capitalize() + rng.choice([".", ".", "?", "!"]))
        paragraph = " ".join(sentences) + ("\n\n" if rng.random() < 0.7 else "\n")
        if rng.random() < 0.1:
            paragraph = f"## {rng.choice(WORDS).title()} {rng.randint(1, 99)}\n\n" + paragraph
        parts.append(paragraph)
        length += len(paragraph)
    return "".join(parts)[:size]


def code(size: int, seed: int = 2) -> str:
    rng = random.Random(seed)
    parts: list[str] = []
    length = 0
    while length < size:
        name = f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{rng.randint(0, 999)}"
        lines = [f"// {' '.join(rng.choice(WORDS) for _ in range(8))}\n"]
        lines.append(f"function {name}(input, options = {{}}) {{\n")
        for _ in range(rng.randint(3, 40)):
            var = rng.choice(WORDS)
            kind = rng.random()
            if kind < 0.3:
                lines.append(
                    f"  const {var}{rng.randint(0, 9)} = input.{var} ?? {rng.randint(0, 9999)};\n"
                )
            elif kind < 0.5:
                limit = rng.randint(0, 99)
                lines.append(f"  if ({var} > {limit}) {{\n    return `{var}: ${{{var}}}`;\n  }}\n")
            elif kind < 0.7:
                lines.append(
                    f"  // {' '.join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))}\n"
                )
            else:
                args = ", ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
                lines.append(f"  options.{var} = call_{var}({args});\n")
        lines.append("}\n\n")
        block = "".join(lines)
        parts.append(block)
        length += len(block)
    return "".join(parts)[:size]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
