"""How long an ``atrium`` command takes, from the shell's point of view.

Three cases, each a fresh ``python -m app`` process: ``--help``; ``atrium stats`` on a data
folder with no server (the command imports the domain and opens the store); and the same
beside a running ``atrium serve``, which runs it (the command line imports only its grammar).
Prints the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from http_server import REPO, atrium_serve


def run_seconds(argv: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "app", *argv], env=env, cwd=REPO, check=True,
                   capture_output=True)  # fmt: skip
    return time.perf_counter() - began


def median_ms(argv: list[str], env: dict[str, str], rounds: int) -> float:
    return statistics.median(run_seconds(argv, env) for _ in range(rounds)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "ATRIUM_DATA": str(Path(work) / "data")}
        run_seconds(["init"], env)
        print(f"atrium --help: {median_ms(['--help'], env, rounds):.0f} ms")
        print(f"atrium stats, no server: {median_ms(['stats'], env, rounds):.0f} ms")
        with atrium_serve(Path(env["ATRIUM_DATA"])):
            beside = median_ms(["stats"], env, rounds)
        print(f"atrium stats, beside atrium serve: {beside:.0f} ms (median of {rounds})")


if __name__ == "__main__":
    main()
