"""The real list's history, from the bundled archive (tests never read ../shared)."""

from __future__ import annotations

import csv
import io
import tarfile
from functools import cache
from pathlib import Path

ARCHIVE = Path(__file__).parent / "fixtures" / "adlp-history.tar.gz"
LATEST = "1a0a9dfb1ee2.md"  # the list as of its last master commit (2018-10-19)


@cache
def _files() -> dict[str, str]:
    files: dict[str, str] = {}
    with tarfile.open(ARCHIVE) as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None:
                files[member.name] = handle.read().decode("utf-8")
    return files


def readme(name: str) -> str:
    return _files()[f"readme/{name}"]


def readme_names() -> list[str]:
    return sorted(n.removeprefix("readme/") for n in _files() if n.startswith("readme/"))


@cache
def pull_requests() -> dict[int, dict[str, str]]:
    rows = csv.DictReader(io.StringIO(_files()["prs.tsv"]), delimiter="\t")
    return {int(row["pr"]): row for row in rows}


def pr_texts(number: int) -> tuple[str, str]:
    row = pull_requests()[number]
    return readme(row["base_readme"]), readme(row["head_readme"])
