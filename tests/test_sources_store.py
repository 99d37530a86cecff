"""Records stored by the sources area: the list fields are written as JSON that reads back
exactly, whatever the text holds."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from rea.records import AbstractSection, Author, Provenance, Record
from rea.store import open_store
from rea.store.records import add_records, get_record
from rea.store.sources import start_run

texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)


@given(st.lists(texts, max_size=6), st.lists(st.tuples(texts, texts), max_size=4))
def test_list_fields_are_the_json_that_json_dumps_writes(
    items: list[str], pairs: list[tuple[str, str]]
) -> None:
    from rea.store.records import _json_list, _json_pairs

    assert _json_list(items) == json.dumps(items)
    assert _json_pairs(pairs) == json.dumps([list(p) for p in pairs])


def test_a_record_with_quotes_controls_and_non_ascii_reads_back_whole(tmp_path: Path) -> None:
    odd = 'a "quoted" \\ back\tslash\n, \u00e9\u2013\U0001f600 \x00'
    record = Record(
        Provenance("pubmed", "s", run_id="r"),
        title=odd,
        abstract=(AbstractSection(odd, label="RESULTS"), AbstractSection("plain")),
        authors=(Author(odd, "J"), Author("Ng")),
        issn=("1234-5678", odd),
        publication_types=(odd,),
        keywords=(odd, "x"),
        mesh=(odd,),
        extra={"isbn": odd},
    )
    with open_store(tmp_path / "store.sqlite") as store:
        start_run(store, "r", "now", "0", "runs/r")
        [record_id] = add_records(store, [record])
        stored = get_record(store, record_id)
    assert stored is not None
    back = stored.record
    assert (back.abstract, back.authors, back.issn) == (
        record.abstract,
        record.authors,
        record.issn,
    )
    assert (back.publication_types, back.keywords, back.mesh) == (
        record.publication_types,
        record.keywords,
        record.mesh,
    )
    assert back.extra == record.extra
