"""Base list vs head list: which papers the pull request added, removed, moved or edited."""

from __future__ import annotations

from collections import Counter, defaultdict, deque

from rapidfuzz import fuzz, process

from bot.engine.criteria import Criteria
from bot.engine.identity import keys
from bot.engine.model import Change, Diff, Entry, PaperList


def changed_fields(before: Entry, after: Entry) -> tuple[str, ...]:
    out = []
    if before.section != after.section:
        out.append("section")
    if before.title != after.title:
        out.append("title")
    if before.year != after.year:
        out.append("year")
    if before.authors != after.authors:
        out.append("authors")
    if [(lk.label, lk.url) for lk in before.links] != [(lk.label, lk.url) for lk in after.links]:
        out.append("links")
    if (before.bold, before.sparkles) != (after.bold, after.sparkles):
        out.append("marks")
    if not out and before.raw.strip() != after.raw.strip():
        out.append("format")
    return tuple(out)


def _pair_identical(
    base: list[Entry], head: list[Entry]
) -> tuple[list[tuple[Entry, Entry]], list[Entry], list[Entry]]:
    """Identical lines pair up, in the same section first: a copy of an entry pasted into another
    section is the addition, not the entry that stayed where it was. Returns the pairs and the
    entries left on each side (in list order)."""
    by_place: dict[tuple[str, str], deque[Entry]] = defaultdict(deque)
    by_raw: dict[str, list[Entry]] = defaultdict(list)
    for entry in base:
        by_place[(entry.raw.strip(), entry.section)].append(entry)
        by_raw[entry.raw.strip()].append(entry)
    pairs: list[tuple[Entry, Entry]] = []
    taken: set[int] = set()
    elsewhere: list[Entry] = []
    for entry in head:
        same = by_place.get((entry.raw.strip(), entry.section))
        if same:
            match = same.popleft()
            taken.add(id(match))
            pairs.append((match, entry))
        else:
            elsewhere.append(entry)
    left = {raw: deque(e for e in group if id(e) not in taken) for raw, group in by_raw.items()}
    rest_head: list[Entry] = []
    for entry in elsewhere:
        same = left.get(entry.raw.strip())
        if same:
            pairs.append((same.popleft(), entry))
        else:
            rest_head.append(entry)
    return pairs, [e for group in left.values() for e in group], rest_head


def _pair(base: list[Entry], head: list[Entry], criteria: Criteria) -> list[tuple[Entry, Entry]]:
    """Pair entries: identical lines first, then identity keys, then near-identical titles."""
    pairs, rest_base, rest_head = _pair_identical(base, head)
    index: dict[str, list[Entry]] = defaultdict(list)
    for entry in rest_base:
        for key in keys(entry.identity):
            index[key].append(entry)
    taken: set[int] = set()
    unmatched_head: list[Entry] = []
    for entry in rest_head:
        match = None
        for key in keys(entry.identity):
            match = next((b for b in index.get(key, ()) if id(b) not in taken), None)
            if match:
                break
        if match:
            taken.add(id(match))
            pairs.append((match, entry))
        else:
            unmatched_head.append(entry)
    left = [b for b in rest_base if id(b) not in taken]
    for entry in unmatched_head:
        if not left or not entry.identity.title:
            continue
        best = process.extractOne(
            entry.identity.title,
            [b.identity.title for b in left],
            scorer=fuzz.ratio,
            score_cutoff=criteria.title_similarity,
        )
        if best:
            pairs.append((left.pop(best[2]), entry))
    return pairs


def renamed_sections(
    base: PaperList, head: PaperList, pairs: list[tuple[Entry, Entry]], criteria: Criteria
) -> dict[str, str]:
    """Old heading -> new heading, for a section renamed with its papers: that moves no paper."""
    base_titles = {s.title for s in base.sections}
    head_titles = {s.title for s in head.sections}
    targets: dict[str, Counter[str]] = defaultdict(Counter)
    for before, after in pairs:
        if before.section != after.section:
            targets[before.section][after.section] += 1
    renames = {}
    for old, counts in targets.items():
        new = counts.most_common(1)[0][0]
        if (
            old not in head_titles
            and new not in base_titles
            and criteria.is_top_section(old) == criteria.is_top_section(new)
        ):
            renames[old] = new
    return renames


def diff(base: PaperList, head: PaperList, criteria: Criteria) -> Diff:
    pairs = _pair(list(base.entries), list(head.entries), criteria)
    paired_base = {id(b) for b, _ in pairs}
    paired_head = {id(h) for _, h in pairs}
    renames = renamed_sections(base, head, pairs, criteria)
    moved, edited = [], []
    for before, after in pairs:
        fields = changed_fields(before, after)
        if renames.get(before.section) == after.section:
            fields = tuple(f for f in fields if f != "section")
        if "section" in fields:
            moved.append(Change("moved", before, after, fields))
        elif fields:
            edited.append(Change("edited", before, after, fields))
    return Diff(
        added=tuple(Change("added", None, e) for e in head.entries if id(e) not in paired_head),
        removed=tuple(Change("removed", e, None) for e in base.entries if id(e) not in paired_base),
        moved=tuple(sorted(moved, key=lambda c: c.entry.line)),
        edited=tuple(sorted(edited, key=lambda c: c.entry.line)),
        renamed_sections=tuple(renames.items()),
    )
