"""Characters that make a line read differently from what it is: bidirectional controls (U+202E
shows text right to left), zero-width characters, other format and control characters, and
Unicode's line separators. A stranger's text shows them as visible escapes (``⟨U+202E⟩``)."""

from __future__ import annotations

import re

# Unicode's format characters (category Cf), line and paragraph separators, control characters
# other than tab, newline and carriage return, and the blank-looking fillers.
_INVISIBLE = re.compile(
    "["
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\u00ad\u061c\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2"
    "\u115f\u1160\u17b4\u17b5\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\u3164\ufeff\uffa0\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
    "]"
)


def invisible(text: str) -> list[str]:
    """The invisible characters in ``text``, as ``U+XXXX``, each once, in order."""
    return list(dict.fromkeys(f"U+{ord(c):04X}" for c in _INVISIBLE.findall(text)))


def visible(text: str) -> str:
    """``text`` with every invisible character shown as ``⟨U+XXXX⟩``."""
    return _INVISIBLE.sub(lambda m: f"\u27e8U+{ord(m.group()):04X}\u27e9", text)


def without_invisible(text: str) -> str:
    """``text`` with the invisible characters removed (a line a suggestion puts back)."""
    return _INVISIBLE.sub("", text)
