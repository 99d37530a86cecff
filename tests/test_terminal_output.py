"""Escape sequences and control characters in record text never reach the terminal, whichever
command prints it: titles, notes, sources, and the errors that quote a file's content."""

from __future__ import annotations

import re
from pathlib import Path

from rea.store import open_store
from rea.text import CONTROL, for_terminal
from tests.helpers import invoke
from tests.prisma_support import STAGE_B, Builder
from tests.screening_support import make_review

#: What a hostile title can carry: a screen clear, a colour, a hyperlink (OSC 8), a window
#: title (OSC 0), the one-byte C1 CSI, a carriage return that overwrites the line, a bell, a
#: bidi override, a device-control string.
HOSTILE = (
    "Networks \x1b[2J\x1b[31mred\x1b[0m \x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\ "
    "\x1b]0;owned\x07 \x9b6n \rspoofed\x07 \u202egnp.exe\u202c \x1bP+q544e\x1b\\ end"
)
SEEN = "Networks red click   spoofed gnp.exe  end"


def clean(text: str) -> bool:
    return not (CONTROL.search(text) or re.search("[\x1b\r\u202a-\u202e\u2066-\u2069]", text))


def test_for_terminal_keeps_text_and_drops_every_control() -> None:
    assert for_terminal(HOSTILE) == SEEN
    for code in [*range(0x00, 0x20), *range(0x7F, 0xA0)]:
        shown = for_terminal(f"a{chr(code)}b")
        assert clean(shown), hex(code)
        assert shown in ("ab", "a\nb", "a\tb") or shown.startswith("a")
    assert for_terminal("Zürich – Ωmega\tcafé\n") == "Zürich – Ωmega\tcafé\n"


def hostile_review(tmp_path: Path) -> list[str]:
    paths = make_review(tmp_path, 2, share=1.0)
    with open_store(paths.store) as store:
        b = Builder(store)
        b.works = {"w1": 1, "w2": 2}
        b.record("w1", "scopus\x1b[8m", STAGE_B, title=HOSTILE)
        with store.transaction() as conn:  # every record of run-1 is current
            conn.execute(
                "INSERT OR IGNORE INTO run_searches (run_id, stage, source, query, fetched_count,"
                " manifest, finished_at) SELECT DISTINCT run_id, stage, source, 'q', 1,"
                " 'm', '2026-01-01T00:00:00+00:00' FROM records"
            )
            conn.execute("UPDATE records SET title = :t", {"t": HOSTILE})
    r = ["--review", str(paths.root)]
    ta = ["--phase", "title_abstract"]
    assert invoke(["decide", "1", "include", *ta, "--reviewer", "AH", *r]).exit_code == 0
    note = ["--note", HOSTILE, "--reason", "not-gp-collaboration"]
    assert invoke(["decide", "1", "exclude", *ta, "--reviewer", "MS", *note, *r]).exit_code == 0
    return r


def test_no_command_passes_record_text_through_raw(tmp_path: Path) -> None:
    r = hostile_review(tmp_path)
    commands = [
        ["conflicts"],
        ["dedup", "explain", "1"],
        ["screen", "export", "--all-reviewers"],
        ["screen", "export", "--reviewer", "MS"],
        ["screen", "stats", "--all-reviewers"],
        ["dedup", "review", "--reviewer", "AH"],
    ]
    printed = []
    for command in commands:
        result = invoke([*command, *r], input="q\n")
        assert result.exit_code == 0, (command, result.stderr)
        for stream in (result.stdout, result.stderr):
            assert clean(stream), (command, stream)
        printed.append(result.stdout)
    assert "Networks red click" in printed[0]  # the text itself is still shown
    assert "spoofed gnp.exe" in printed[2]


def test_an_error_quoting_a_file_is_clean(tmp_path: Path) -> None:
    r = hostile_review(tmp_path)
    bad = tmp_path / "bad.ris"
    bad.write_text("TY  - JOUR\nTI  - x\nPY  - \x1b[2Jnever\nER  - \n", encoding="utf-8")
    result = invoke(["import", str(bad), "--source", "wos", "--stage", STAGE_B, *r])
    assert result.stderr.startswith("Error: ")
    assert clean(result.stderr)
