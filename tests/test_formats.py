"""The interchange formats seen from a spreadsheet: an exported CSV never holds a live formula."""

from __future__ import annotations

import csv
import io

from forum_guard.engine.actions import Action
from forum_guard.engine.formats import export_text, parse_import_text
from forum_guard.engine.terms import Term, WordList


def _list() -> WordList:
    terms = (Term.parse("@home"), Term.parse("darn"),
             Term("heck", False, False, False, "=HYPERLINK(\"http://evil.example\")", None),
             Term("+cash", False, False, False, "-1+2", None))
    return WordList(name="w", terms=terms, action=Action.CENSOR, source="test")


def test_csv_export_writes_no_cell_a_spreadsheet_would_evaluate() -> None:
    rows = list(csv.reader(io.StringIO(export_text(_list(), "csv"))))
    cells = [c for row in rows for c in row]
    assert cells == ["'@home", "darn", "heck", "'=HYPERLINK(\"http://evil.example\")", "'+cash", "'-1+2"]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)


def test_csv_export_imports_back_as_it_was() -> None:
    back = parse_import_text(export_text(_list(), "csv"), name="w", source="w.csv", format="csv",
                             action=Action.CENSOR)
    assert [(t.pattern, t.replacement) for t in back.terms] == [
        ("@home", None), ("darn", None), ("heck", "=HYPERLINK(\"http://evil.example\")"), ("+cash", "-1+2")]


def test_an_apostrophe_typed_by_the_admin_is_kept() -> None:
    back = parse_import_text("'n'\n", name="w", source="w.csv", format="csv")
    assert [t.pattern for t in back.terms] == ["'n'"]
