#!/usr/bin/env python
"""Build the pocketsphinx lexicon the companion loads: the most likely English words.

pocketsphinx builds a search tree over every dictionary word its language model
knows; with the full 134,000-word CMU dictionary the recognizer took 92 MB instead
of 55 MB and twice as long to load. Here the dictionary keeps the ``--words``
words the language model finds most likely on their own (unigram probability),
plus every word of the shipped content (commands, phrases, crisis patterns,
prompts), with all of their CMU pronunciations. Words a user adds later are
looked up in the full dictionary when their grammar is installed, or at load for
the user's own content files (``PocketsphinxRecognizer``).

    python scripts/make_lexicon.py [--words 20000]

Writes companion/recognition/en-us-common.dict (CMU dictionary format).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from companion.content_files import packaged_words  # noqa: E402
from companion.recognition.base import LEXICON  # noqa: E402
from companion.recognition.sphinx_decoder import full_dictionary, model_path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=20000,
                        help="how many of the most likely words to keep")
    args = parser.parse_args()
    import pocketsphinx as ps

    base = model_path()
    config = ps.Config(hmm=str(base / "en-us"), dict=str(full_dictionary()), lm=None,
                       loglevel="FATAL")
    logmath = ps.LogMath()  # kept referenced: the model uses it
    model = ps.NGramModel(config, logmath, str(base / "en-us.lm.bin"))
    lines = [line for line in full_dictionary().read_text(encoding="utf-8").splitlines()
             if line.strip()]
    heads = {line.split()[0].split("(")[0] for line in lines}
    unknown = model.prob(["<unk>"])
    ranked = sorted((w for w in heads if model.prob([w]) > unknown),
                    key=lambda w: (-model.prob([w]), w))
    content = packaged_words()
    keep = set(ranked[: args.words]) | (content & heads)
    kept = [line for line in lines if line.split()[0].split("(")[0] in keep]
    LEXICON.write_text("\n".join(kept) + "\n", encoding="utf-8")
    missing = sorted(content - heads)
    print(f"{LEXICON.relative_to(ROOT)}: {len(keep)} words, {len(kept)} pronunciations"
          f" (of {len(heads)} words); content words with no pronunciation: {missing}")


if __name__ == "__main__":
    main()
