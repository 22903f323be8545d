"""Base list vs head list: which papers the pull request added, removed, moved or edited."""

from __future__ import annotations

from collections import Counter, defaultdict, deque

from rapidfuzz import fuzz, process

from bot.engine.criteria import Criteria
from bot.engine.identity import keys
from bot.engine.model import Change, Diff, Entry, PaperList
from bot.engine.titles import TitleIndex


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


def _places(entries: list[Entry]) -> list[tuple[str, str, str]]:
    """Each entry's raw line, section and the raw line of the entry above it."""
    raws = [e.raw.strip() for e in entries]
    above = [""] + raws[:-1]
    return [(raw, e.section, prev) for raw, e, prev in zip(raws, entries, above, strict=False)]


def _pair_identical(
    base: list[Entry], head: list[Entry]
) -> tuple[list[tuple[Entry, Entry]], list[Entry], list[Entry]]:
    """Identical lines pair up: first where the entry above is the same too, then in the same
    section, then anywhere. A copy of an entry pasted elsewhere (above the original, or into
    another section) is so the addition, not the entry that stayed where it was. Returns the pairs
    and the entries left on each side, in list order."""
    base_places, head_places = _places(base), _places(head)
    pairs: list[tuple[Entry, Entry]] = []
    paired_base: set[int] = set()
    rest = list(range(len(head)))
    for width in (3, 2, 1):  # (raw, section, above), then (raw, section), then raw alone
        waiting: dict[tuple[str, ...], deque[int]] = defaultdict(deque)
        for i, place in enumerate(base_places):
            if i not in paired_base:
                waiting[place[:width]].append(i)
        unpaired = []
        for j in rest:
            same = waiting.get(head_places[j][:width])
            if same:
                i = same.popleft()
                paired_base.add(i)
                pairs.append((base[i], head[j]))
            else:
                unpaired.append(j)
        rest = unpaired
    left = [e for i, e in enumerate(base) if i not in paired_base]
    by_raw: dict[str, list[Entry]] = defaultdict(list)
    for entry in left:  # the order the later passes have always seen: grouped by line
        by_raw[entry.raw.strip()].append(entry)
    return pairs, [e for group in by_raw.values() for e in group], [head[j] for j in rest]


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
    titles = TitleIndex([b.identity.title for b in left])
    used: set[int] = set()
    for entry in unmatched_head:
        if not entry.identity.title:
            continue
        among = [i for i in titles.candidates(entry.identity.title) if i not in used]
        best = process.extractOne(
            entry.identity.title,
            [left[i].identity.title for i in among],
            scorer=fuzz.ratio,
            score_cutoff=criteria.title_similarity,
        )
        if best:
            used.add(among[best[2]])
            pairs.append((left[among[best[2]]], entry))
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
