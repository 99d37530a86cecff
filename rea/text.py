"""Text safe to store and to show: control characters and terminal escape sequences taken out.

One rule for every room: imports remove control characters from what they read (and count
them), CSV writers keep them out of cells, and everything the CLI prints passes
:func:`for_terminal`, so a title carrying a hyperlink escape (OSC 8), a colour, a cursor move or
a screen clear reaches the terminal as plain text.
"""

from __future__ import annotations

import re

#: C0 controls except tab, line feed and carriage return; DEL; C1 controls.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

#: Terminal escape sequences, matched whole: CSI (``ESC [`` … or the one-byte C1 CSI), OSC
#: (``ESC ]`` … ended by BEL or ST), DCS, SOS, PM and APC strings, and two-byte ESC sequences.
ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)

#: Controls a terminal acts on besides those: carriage return (overwrites the line) and the
#: Unicode bidirectional overrides and isolates (reorder what is shown).
_TERMINAL_EXTRA = re.compile(r"[\r\u202a-\u202e\u2066-\u2069]")


def remove_controls(text: str) -> tuple[str, int]:
    """``text`` without control characters (tab, line feed and carriage return stay), and how
    many were removed."""
    cleaned, removed = CONTROL.subn("", text)
    return cleaned, removed


def for_terminal(text: str) -> str:
    """``text`` as a terminal may be given it: escape sequences and control characters gone
    (line feeds and tabs stay)."""
    if text.isprintable():
        return text
    text = ESCAPE_SEQUENCE.sub("", text)
    text = CONTROL.sub("", text)
    return _TERMINAL_EXTRA.sub("", text)
