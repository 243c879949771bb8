"""``python -m campaign.fuzz.run TARGET SECONDS CORPUS_DIR``: one atheris target (see
:mod:`campaign.fuzz`) for a bounded time, RSS limited to 2 GB and 10 s per input; exit status 0
when nothing was found."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main() -> None:
    import atheris

    name, seconds, corpus = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    from campaign.fuzz import TARGETS

    with atheris.instrument_imports(include=["esign_adapters", "esign_http", "esign_core"]):
        module = importlib.import_module(TARGETS[name])
    corpus.mkdir(parents=True, exist_ok=True)
    for i, seed in enumerate(module.seeds()):
        (corpus / f"seed-{i}").write_bytes(seed)
    module.setup()
    atheris.Setup([sys.argv[0], f"-max_total_time={seconds}", "-rss_limit_mb=2048", "-timeout=10",
                   "-print_final_stats=1", f"-artifact_prefix={corpus.parent}/crash-{name}-", str(corpus)],
                  module.one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
