"""The rules in the store: lists, their terms, imports and exports, and seeding a new store.

Every change runs in one transaction that writes the change, an audit entry and a new ruleset
version; an import of many files is one transaction too (all of it is stored, or none).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..engine.actions import Action
from ..engine.data import SHIPPED, shipped_dir
from ..engine.formats import (
    ExportFormat,
    ImportFormat,
    count_terms,
    export_text,
    parse_import_text,
    read_import_file,
    sniff_format,
    term_key,
)
from ..engine.limits import Limits
from ..engine.terms import (
    MAX_TERM_LENGTH,
    ListKind,
    Term,
    WordList,
    derived_terms,
    dump_wordlist,
    load_wordlists,
    parse_derive,
    parse_language,
    parse_wordlist,
)
from ..errors import AlreadyExists, NotFound, StoreError, WordlistError
from .base import MAX_ROW, aware, check_id, clip, like_escape, now, plural, positive_env
from .limits import LimitsMixin, limits_to_dict, load_limits_file
from .records import ChangeResult, ImportResult, ListInfo, Snapshot, TermRow
from .schema import t_lists, t_terms

__all__ = [
    "COMPILE_BUDGET_MB",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_KEY_CHARS",
    "CompileEstimate",
    "RulesMixin",
    "default_budgets",
    "estimate_compile",
    "refuse_too_many_terms",
]

log = logging.getLogger("forum_guard.store")

#: The longest list description (the admin form's limit too).
MAX_DESCRIPTION_LENGTH = 500


#: The most characters of terms one store holds over all its lists (the stored keys, as typed).
#: Every worker compiles all of them, and the term count alone does not bound that: 40k terms of
#: 200 characters took 22 s and 1 GB to compile. ``$FORUM_GUARD_MAX_KEY_CHARS``, the Flask key of
#: the same name or ``store.max_key_chars`` changes it; an add, edit or import past it is refused
#: whole, before its transaction commits.
MAX_KEY_CHARS = 4_000_000
#: The most memory, in MB, the compiled ruleset of a store may be estimated to take in each worker
#: (:func:`estimate_compile`). A change whose ruleset would need more is refused before it commits,
#: and a worker refuses to compile a ruleset over it (it keeps the ruleset it has and logs why).
#: ``$FORUM_GUARD_COMPILE_BUDGET_MB``, the Flask key of the same name or ``store.compile_budget_mb``
#: changes it.
COMPILE_BUDGET_MB = 1024
# what the matcher's automaton holds per character of key, and per key (pyahocorasick nodes plus the
# entries), measured on random 10- and 200-letter terms: 46-57 bytes a character, about 80 a key
_BYTES_PER_KEY_CHAR = 60
_BYTES_PER_KEY = 160


def default_budgets() -> tuple[int, int]:
    """``(max key characters, compile budget in MB)``: ``$FORUM_GUARD_MAX_KEY_CHARS`` and
    ``$FORUM_GUARD_COMPILE_BUDGET_MB`` when set, else :data:`MAX_KEY_CHARS` and :data:`COMPILE_BUDGET_MB`."""
    return (positive_env("FORUM_GUARD_MAX_KEY_CHARS", MAX_KEY_CHARS),
            positive_env("FORUM_GUARD_COMPILE_BUDGET_MB", COMPILE_BUDGET_MB))


@dataclass(frozen=True, slots=True)
class CompileEstimate:
    """What compiling a ruleset costs, estimated without compiling it."""

    #: characters of the terms as stored
    chars: int
    #: keys the automaton gets (a term with evasion has up to eight spellings: l→i, f→ph, a dropped e)
    keys: int
    #: characters over all those keys
    key_chars: int

    @property
    def megabytes(self) -> float:
        return (self.key_chars * _BYTES_PER_KEY_CHAR + self.keys * _BYTES_PER_KEY) / 1e6


def _forms(text: str, evasion: bool, inflect_e: bool) -> int:
    """How many keys the matcher makes of one term (see ``matcher._variants``), from its text."""
    if not evasion:
        return 1
    forms = (2 if "l" in text or "L" in text else 1) * (2 if "f" in text or "F" in text else 1)
    return forms * 2 if inflect_e and text[-1:] in ("e", "E") else forms


def _derived_cost(term: Term, wl: WordList, inflect: bool) -> tuple[int, int]:
    """Keys and key characters of the other forms the matcher compiles for ``term``: what it
    derives under its list's options (:func:`~forum_guard.engine.terms.derived_terms`: ``derive:``
    suffixes, phrase-words, phrases run together), or a domain's dodging spellings ("hopzone dot
    eu", "hopzonedoteu"), each as many keys as its own spellings."""
    if wl.kind is ListKind.DOMAINS:
        forms = [term.text.replace(".", " dot "), term.text.replace(".", "dot")] if "." in term.text else []
    else:
        forms = [d.text for d in derived_terms(term, wl)]
    keys = key_chars = 0
    for form in forms:
        n = _forms(form, wl.evasion, inflect)
        keys += n
        key_chars += n * (len(form) + 2)
    return keys, key_chars


def _may_derive(wl: WordList) -> bool:
    """Whether the matcher compiles forms other than the listed terms for ``wl``."""
    return wl.evasion or (wl.kind is ListKind.TERMS and bool(wl.derive))


def estimate_compile(lists: Iterable[WordList]) -> CompileEstimate:
    """The cost of compiling ``lists`` (the same estimate the store checks before a change
    commits): each term is ``len + 2`` characters a key, times its spellings, and so is each
    form it derives."""
    chars = keys = key_chars = 0
    for wl in lists:
        inflect = wl.evasion and wl.inflections and wl.kind is ListKind.TERMS
        derives = _may_derive(wl)
        for t in wl.terms:
            n = _forms(t.text, wl.evasion, inflect and not t.exception)
            chars += len(t.text)
            keys += n
            key_chars += n * (len(t.text) + 2)
            if derives:
                dk, dc = _derived_cost(t, wl, inflect)
                keys += dk
                key_chars += dc
    return CompileEstimate(chars, keys, key_chars)


def check_replacement(replacement: str | None) -> str | None:
    """A censor text: one line of at most ``MAX_TERM_LENGTH`` characters (a line break would
    smuggle a term into the list's export); empty means none."""
    if replacement is None or not replacement.strip():
        return None
    if "\n" in replacement or "\r" in replacement:
        raise StoreError("the censor text must be one line")
    if len(replacement) > MAX_TERM_LENGTH:
        raise StoreError(f"the censor text is {len(replacement):,} characters long; the maximum is {MAX_TERM_LENGTH}")
    return replacement


def check_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise StoreError(f"the description is {len(description):,} characters long; "
                         f"the maximum is {MAX_DESCRIPTION_LENGTH}")
    return description


def check_term(term: Term) -> None:
    """The limits of the stored form, for Term objects that did not come from ``Term.parse``."""
    if len(term.text) > MAX_TERM_LENGTH:
        raise StoreError(f"{clip(term.text)!r}: term is {len(term.text):,} characters long; "
                         f"the maximum is {MAX_TERM_LENGTH}")
    if term.replacement is not None:
        try:
            check_replacement(term.replacement)
        except StoreError as exc:
            raise StoreError(f"{clip(term.text)!r}: {exc}") from None
    if term.note is not None and ("\n" in term.note or "\r" in term.note):
        raise StoreError(f"{clip(term.text)!r}: the note must be one line")


def preview(terms: Sequence[Term], limit: int = 10) -> str:
    shown = ", ".join(t.to_line() for t in terms[:limit])
    return shown + (f", … ({len(terms) - limit} more)" if len(terms) > limit else "")


def refuse_too_many_terms(text: str, source: str, limit: int) -> None:
    """:class:`WordlistError` for a file with more than ``limit`` terms, found without parsing it."""
    if text.count("\n") < limit:
        return
    terms = count_terms(text)
    if terms > limit:
        raise WordlistError(f"{terms:,} terms: a store holds at most {limit:,} in all its lists "
                            "(FORUM_GUARD_MAX_TERMS); split the file or raise the limit", source=source)


class RulesMixin(LimitsMixin):
    """Lists, terms, imports, exports and seeding."""

    def snapshot(self) -> Snapshot:
        """Version, every list with its terms, and the limits, read consistently."""
        with self._read() as conn:
            version = self._version(conn)
            lists = self._load_lists(conn, None)
            limits = self._limits_dict(conn)
        return Snapshot(version=version, lists=tuple(lists), limits=limits, store=self.display_url)

    # -- lists ----------------------------------------------------------------------------

    # -- budgets --------------------------------------------------------------------------

    @property
    def max_key_chars(self) -> int:
        """The most characters of terms this store holds (see :data:`MAX_KEY_CHARS`)."""
        value = self.__dict__.get("_max_key_chars")
        return int(value) if value is not None else default_budgets()[0]

    @max_key_chars.setter
    def max_key_chars(self, value: int) -> None:
        if int(value) < 1:
            raise ValueError("max_key_chars must be a positive number")
        self.__dict__["_max_key_chars"] = int(value)

    @property
    def compile_budget_mb(self) -> int:
        """The most memory (MB) a compiled ruleset of this store may take (see :data:`COMPILE_BUDGET_MB`)."""
        value = self.__dict__.get("_compile_budget_mb")
        return int(value) if value is not None else default_budgets()[1]

    @compile_budget_mb.setter
    def compile_budget_mb(self, value: int) -> None:
        if int(value) < 1:
            raise ValueError("compile_budget_mb must be a positive number")
        self.__dict__["_compile_budget_mb"] = int(value)

    def _estimate(self, conn: Connection) -> CompileEstimate:
        """:func:`estimate_compile` of everything stored, computed by the database (in the
        transaction, so it counts the change about to commit)."""
        text = t_terms.c.text
        length = sa.func.length(text)
        evasion = t_lists.c.evasion == sa.true()

        def has(*chars: str) -> sa.ColumnElement[bool]:
            return sa.or_(*(text.like(f"%{c}%") for c in chars))

        inflect_e = sa.and_(evasion, t_lists.c.inflections == sa.true(), t_lists.c.kind == ListKind.TERMS.value,
                            t_terms.c.exception == sa.false(), sa.or_(text.like("%e"), text.like("%E")))
        forms = (sa.case((sa.and_(evasion, has("l", "L")), 2), else_=1)
                 * sa.case((sa.and_(evasion, has("f", "F")), 2), else_=1)
                 * sa.case((inflect_e, 2), else_=1))
        # key characters: forms × (length + 2), summed as forms × length plus 2 × forms (SQLAlchemy
        # 2.0.0 drops the parentheses of ``forms * (length + 2)``)
        row = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(length), 0),
                                     sa.func.coalesce(sa.func.sum(forms), 0),
                                     sa.func.coalesce(sa.func.sum(forms * length), 0))
                           .select_from(t_terms.join(t_lists, t_lists.c.id == t_terms.c.list_id))).one()
        keys, key_chars = int(row[1]), int(row[2]) + 2 * int(row[1])
        # derived forms: read in Python, through the function the matcher uses, for the lists that
        # derive (their terms) or run phrases together (their phrases) — not every stored term
        lists = {r.id: self._wordlist(r, ()) for r in conn.execute(sa.select(t_lists))}
        lists = {i: wl for i, wl in lists.items() if _may_derive(wl)}
        if lists:
            whole = [i for i, wl in lists.items() if wl.derive and wl.kind is ListKind.TERMS]
            phrases = [i for i, wl in lists.items() if not wl.derive and wl.kind is ListKind.TERMS]
            hosts = [i for i, wl in lists.items() if wl.kind is ListKind.DOMAINS]
            q = (sa.select(t_terms.c.list_id, t_terms.c.text, t_terms.c.wildcard_start, t_terms.c.wildcard_end,
                           t_terms.c.exception)
                 .where(sa.or_(sa.and_(t_terms.c.exception == sa.false(),
                                       sa.or_(t_terms.c.list_id.in_(whole),
                                              sa.and_(t_terms.c.list_id.in_(phrases), text.like("% %")))),
                               sa.and_(t_terms.c.list_id.in_(hosts), text.like("%.%")))))
            for list_id, term_text, ws, we, exc in conn.execute(q):
                wl = lists[list_id]
                dk, dc = _derived_cost(Term(term_text, bool(ws), bool(we), bool(exc)), wl,
                                       wl.evasion and wl.inflections and wl.kind is ListKind.TERMS)
                keys += dk
                key_chars += dc
        return CompileEstimate(int(row[0]), keys, key_chars)

    def estimate(self) -> CompileEstimate:
        """What compiling the stored rules costs each worker, estimated (see :func:`estimate_compile`)."""
        with self._read() as conn:
            return self._estimate(conn)

    def _check_budgets(self, conn: Connection) -> None:
        """:class:`StoreError` (and so a rollback) when the rules as they are about to commit pass
        :attr:`max_key_chars` or :attr:`compile_budget_mb`."""
        est = self._estimate(conn)
        if est.chars > self.max_key_chars:
            raise StoreError(f"the store would hold {est.chars:,} characters of terms; it holds at most "
                             f"{self.max_key_chars:,} in all its lists (FORUM_GUARD_MAX_KEY_CHARS): every worker "
                             "compiles all of them. Nothing was stored.")
        self._refuse_megabytes(est, "Nothing was stored.")

    def _refuse_megabytes(self, est: CompileEstimate, outcome: str) -> None:
        if est.megabytes > self.compile_budget_mb:
            raise StoreError(f"the rules would compile to about {est.megabytes:,.0f} MB in each worker "
                             f"({est.keys:,} keys, {est.key_chars:,} characters); the budget is "
                             f"{self.compile_budget_mb:,} MB (FORUM_GUARD_COMPILE_BUDGET_MB). {outcome}")

    def refuse_compile(self, lists: Iterable[WordList]) -> CompileEstimate:
        """:class:`StoreError` when compiling ``lists`` would take more than :attr:`compile_budget_mb`
        (a worker calls it before it compiles: a ruleset over budget is refused, not attempted)."""
        est = estimate_compile(lists)
        self._refuse_megabytes(est, "Not compiled; the ruleset in force stays.")
        return est

    def _list_row(self, conn: Connection, name: str) -> sa.Row[Any]:
        row = conn.execute(sa.select(t_lists).where(t_lists.c.name == name)).first()
        if row is None:
            raise NotFound(f"no list named {name!r}")
        return row

    def _wordlist(self, row: sa.Row[Any], terms: Sequence[Term]) -> WordList:
        return WordList(
            name=row.name, terms=tuple(terms), action=Action(row.action), kind=ListKind(row.kind),
            replacement=row.replacement, evasion=bool(row.evasion), inflections=bool(row.inflections),
            description=row.description or "", source=f"db:{row.name}", language=_language_of(row),
            derive=_derive_of(row),
        )

    def _load_lists(self, conn: Connection, names: Sequence[str] | None) -> list[WordList]:
        q = sa.select(t_lists).order_by(t_lists.c.name)
        if names is not None:
            q = q.where(t_lists.c.name.in_(list(names)))
        rows = conn.execute(q).all()
        by_id: dict[int, list[Term]] = {row.id: [] for row in rows}
        tq = sa.select(t_terms.c.list_id, t_terms.c.text, t_terms.c.wildcard_start, t_terms.c.wildcard_end,
                       t_terms.c.exception, t_terms.c.replacement, t_terms.c.note).order_by(t_terms.c.id)
        if names is not None:
            tq = tq.where(t_terms.c.list_id.in_(list(by_id)))
        for list_id, text, ws, we, exc, rep, note in conn.execute(tq):
            bucket = by_id.get(list_id)
            if bucket is not None:
                bucket.append(Term(text, bool(ws), bool(we), bool(exc), rep, note))
        return [self._wordlist(row, by_id[row.id]) for row in rows]

    def lists(self) -> list[WordList]:
        """Every list with its terms, by name."""
        with self._read() as conn:
            return self._load_lists(conn, None)

    def get_list(self, name: str, *, exceptions_only: bool = False) -> WordList:
        """One list with its terms (only its ``!exceptions`` with ``exceptions_only``: enough to
        preview a new term with the list's options, without loading a big list)."""
        with self._read() as conn:
            row = self._list_row(conn, name)
            if not exceptions_only:
                return self._load_lists(conn, [name])[0]
            rows = conn.execute(sa.select(t_terms).where(t_terms.c.list_id == row.id, t_terms.c.exception)
                                .order_by(t_terms.c.id))
            return self._wordlist(row, [self._term_row(r, name).term for r in rows])

    def list_names(self) -> list[str]:
        with self._read() as conn:
            return list(conn.execute(sa.select(t_lists.c.name).order_by(t_lists.c.name)).scalars())

    def list_infos(self) -> list[ListInfo]:
        """Every list's settings and size (no terms loaded)."""
        with self._read() as conn:
            return self._list_infos(conn, None)

    def list_info(self, name: str) -> ListInfo:
        with self._read() as conn:
            infos = self._list_infos(conn, name)
        if not infos:
            raise NotFound(f"no list named {name!r}")
        return infos[0]

    def _list_infos(self, conn: Connection, name: str | None) -> list[ListInfo]:
        counts = (sa.select(t_terms.c.list_id, sa.func.count().label("size"),
                            sa.func.sum(sa.case((t_terms.c.exception, 1), else_=0)).label("exceptions"))
                  .group_by(t_terms.c.list_id).subquery())
        q = (sa.select(t_lists, counts.c.size, counts.c.exceptions)
             .outerjoin(counts, counts.c.list_id == t_lists.c.id).order_by(t_lists.c.name))
        if name is not None:
            q = q.where(t_lists.c.name == name)
        out = []
        for row in conn.execute(q):
            out.append(ListInfo(
                id=row.id, name=row.name, kind=ListKind(row.kind), action=Action(row.action),
                replacement=row.replacement, evasion=bool(row.evasion), inflections=bool(row.inflections),
                description=row.description or "", size=int(row.size or 0), exceptions=int(row.exceptions or 0),
                created_at=aware(row.created_at), updated_at=aware(row.updated_at),
                updated_by=row.updated_by, language=_language_of(row), derive=_derive_of(row),
            ))
        return out

    @staticmethod
    def _check_name(name: str) -> str:
        probe = name.strip()
        try:
            parse_wordlist(f"# name: {probe}\n", source="<name>")
        except WordlistError as exc:
            raise StoreError(exc.message) from None
        return probe

    def create_list(self, name: str, *, action: Action | str = Action.BLOCK, kind: ListKind | str = ListKind.TERMS,
                    replacement: str | None = None, evasion: bool = True, inflections: bool | None = None,
                    description: str = "", language: str = "", derive: str | Sequence[str] = (),
                    actor: str | None = None, origin: str = "api") -> int:
        """Create an empty list; returns the new ruleset version. ``derive``: the list's derived
        forms (``"y o ish head"``, ``["y", "phrase-words"]``; see :func:`~forum_guard.engine.terms.derived_terms`)."""
        name = self._check_name(name)
        language = check_language(language)
        derived = check_derive(derive)
        if derived and (ListKind(kind) if isinstance(kind, str) else kind) is not ListKind.TERMS:
            raise StoreError("only a list of terms derives forms")
        action = Action.parse(action) if isinstance(action, str) else action
        kind = ListKind(kind) if isinstance(kind, str) else kind
        if action is Action.ALLOW:
            raise StoreError("a list's action cannot be 'allow'")
        if inflections is None:
            inflections = kind is ListKind.TERMS
        replacement = check_replacement(replacement)
        description = check_description(description)
        with self._write() as conn:
            self._lock_rules(conn)
            if conn.execute(sa.select(t_lists.c.id).where(t_lists.c.name == name)).first() is not None:
                raise AlreadyExists(f"a list named {name!r} exists already")
            at = now()
            conn.execute(t_lists.insert().values(
                name=name, kind=kind.value, action=action.value, replacement=replacement or None, evasion=evasion,
                inflections=inflections, description=" ".join(description.split()),
                options=_options({}, language, derived),
                created_at=at, updated_at=at, updated_by=actor,
            ))
            version = self._bump(conn)
            self._audit(conn, actor=actor, origin=origin, action="list.create", target=name,
                        summary=f"created list {name} ({kind.value}, {action.value})",
                        detail={"kind": kind.value, "action": action.value, "evasion": evasion,
                                "inflections": inflections, "replacement": replacement,
                                "description": description, "language": language, "derive": list(derived)},
                        version=version)
        return version

    def update_list(self, name: str, *, new_name: str | None = None, action: Action | str | None = None,
                    replacement: str | Literal[False] | None = False, evasion: bool | None = None,
                    inflections: bool | None = None, description: str | None = None,
                    language: str | None = None, derive: str | Sequence[str] | None = None,
                    actor: str | None = None, origin: str = "api") -> int:
        """Rename a list or change its action/options (``replacement=None`` clears it; the default
        ``False`` leaves it; ``derive=""`` clears the derived forms). Returns the new ruleset version."""
        values: dict[str, Any] = {}
        if new_name is not None and new_name.strip() != name:
            values["name"] = self._check_name(new_name)
        if action is not None:
            act = Action.parse(action) if isinstance(action, str) else action
            if act is Action.ALLOW:
                raise StoreError("a list's action cannot be 'allow'")
            values["action"] = act.value
        if replacement is not False:
            values["replacement"] = check_replacement(replacement)
        if evasion is not None:
            values["evasion"] = evasion
        if inflections is not None:
            values["inflections"] = inflections
        if description is not None:
            values["description"] = " ".join(check_description(description).split())
        with self._write() as conn:
            self._lock_rules(conn)
            row = self._list_row(conn, name)
            new_language = _language_of(row) if language is None else check_language(language)
            new_derive = _derive_of(row) if derive is None else check_derive(derive)
            if new_derive and row.kind != ListKind.TERMS.value:
                raise StoreError("only a list of terms derives forms")
            if new_language != _language_of(row) or new_derive != _derive_of(row):
                values["options"] = _options(row.options, new_language, new_derive)
            changes = {k: {"from": getattr(row, k), "to": v} for k, v in values.items() if getattr(row, k) != v}
            if not changes:
                return self._version(conn)
            if "name" in changes and conn.execute(
                    sa.select(t_lists.c.id).where(t_lists.c.name == values["name"])).first() is not None:
                raise AlreadyExists(f"a list named {values['name']!r} exists already")
            conn.execute(t_lists.update().where(t_lists.c.id == row.id)
                         .values(**{k: values[k] for k in changes}, updated_at=now(), updated_by=actor))
            if "evasion" in changes or "inflections" in changes or "options" in changes:
                self._check_budgets(conn)  # evasion gives each term up to eight keys
            version = self._bump(conn)
            desc = ", ".join(f"{k} {c['from']!r} → {c['to']!r}" for k, c in changes.items())
            action_name = "list.rename" if list(changes) == ["name"] else "list.update"
            self._audit(conn, actor=actor, origin=origin, action=action_name, target=name,
                        summary=f"changed list {name}: {desc}", detail=changes, version=version)
        return version

    def delete_list(self, name: str, *, actor: str | None = None, origin: str = "api") -> int:
        """Delete a list and its terms (the audit entry keeps the terms). Returns the new version."""
        with self._write() as conn:
            self._lock_rules(conn)
            row = self._list_row(conn, name)
            wl = self._load_lists(conn, [name])[0]
            conn.execute(t_terms.delete().where(t_terms.c.list_id == row.id))
            conn.execute(t_lists.delete().where(t_lists.c.id == row.id))
            version = self._bump(conn)
            self._audit(conn, actor=actor, origin=origin, action="list.delete", target=name,
                        summary=f"deleted list {name} ({len(wl.terms)} terms)",
                        detail={"size": len(wl.terms), "wordlist": dump_wordlist(wl)}, version=version)
        return version

    # -- terms ----------------------------------------------------------------------------

    def _parse_terms(self, terms: Iterable[Term | str], kind: ListKind) -> list[Term]:
        out = []
        for t in terms:
            if isinstance(t, Term):
                out.append(t)
                continue
            line = t.strip()
            if not line:
                continue
            try:
                out.append(Term.parse(line, kind=kind))
            except ValueError as exc:
                raise StoreError(f"{clip(line)!r}: {exc}") from None
        return out

    def terms(self, list_name: str, *, search: str | None = None, offset: int = 0,
              limit: int | None = None) -> list[TermRow]:
        """A list's terms in the order they were added; ``search`` is a case-insensitive substring."""
        with self._read() as conn:
            row = self._list_row(conn, list_name)
            q = sa.select(t_terms).where(t_terms.c.list_id == row.id).order_by(t_terms.c.id)
            if search:
                q = q.where(t_terms.c.key.like(f"%{like_escape(search.strip().casefold())}%", escape="\\"))
            if offset:
                q = q.offset(min(offset, MAX_ROW))
            if limit is not None:
                q = q.limit(min(limit, MAX_ROW))
            return [self._term_row(r, list_name) for r in conn.execute(q)]

    def count_terms(self, list_name: str, *, search: str | None = None) -> int:
        with self._read() as conn:
            row = self._list_row(conn, list_name)
            q = sa.select(sa.func.count()).select_from(t_terms).where(t_terms.c.list_id == row.id)
            if search:
                q = q.where(t_terms.c.key.like(f"%{like_escape(search.strip().casefold())}%", escape="\\"))
            return int(conn.execute(q).scalar_one())

    @staticmethod
    def _term_row(r: sa.Row[Any], list_name: str) -> TermRow:
        return TermRow(id=r.id, list=list_name,
                       term=Term(r.text, bool(r.wildcard_start), bool(r.wildcard_end), bool(r.exception),
                                 r.replacement, r.note),
                       added_by=r.added_by, added_at=aware(r.added_at))

    def get_term(self, term_id: int) -> TermRow:
        check_id(term_id, "term with id")
        with self._read() as conn:
            r = conn.execute(sa.select(t_terms, t_lists.c.name.label("list_name"))
                             .join(t_lists, t_lists.c.id == t_terms.c.list_id).where(t_terms.c.id == term_id)).first()
        if r is None:
            raise NotFound(f"no term with id {term_id}")
        return self._term_row(r, r.list_name)

    def find_terms(self, term: Term | str) -> list[TermRow]:
        """Where a term is, in every list (case-insensitive on the term's identity)."""
        key = term_key(term if isinstance(term, Term) else Term.parse(term))
        with self._read() as conn:
            rows = conn.execute(sa.select(t_terms, t_lists.c.name.label("list_name"))
                                .join(t_lists, t_lists.c.id == t_terms.c.list_id).where(t_terms.c.key == key))
            return [self._term_row(r, r.list_name) for r in rows]

    def _insert_terms(self, conn: Connection, list_id: int, terms: Sequence[Term], actor: str | None,
                      extra: Mapping[str, Mapping[str, Any]] | None = None) -> list[Term]:
        """Insert the terms not in the list yet; returns those inserted. Duplicates within ``terms``
        and terms already present (perhaps added a moment ago by another process) are skipped."""
        existing = set(conn.execute(sa.select(t_terms.c.key).where(t_terms.c.list_id == list_id)).scalars())
        at = now()
        rows = []
        added = []
        for t in terms:
            key = term_key(t)
            if key in existing:
                continue
            check_term(t)
            existing.add(key)
            added.append(t)
            rows.append({"list_id": list_id, "key": key, "text": t.text, "wildcard_start": t.wildcard_start,
                         "wildcard_end": t.wildcard_end, "exception": t.exception, "replacement": t.replacement,
                         "note": t.note, "options": dict((extra or {}).get(key, {})), "added_by": actor,
                         "added_at": at})
        if rows:
            total = int(conn.execute(sa.select(sa.func.count()).select_from(t_terms)).scalar_one()) + len(rows)
            if total > self.max_terms:
                raise StoreError(f"the store would hold {total:,} terms; it holds at most {self.max_terms:,} in all its "
                                 "lists (FORUM_GUARD_MAX_TERMS). Nothing was stored.")
        for i in range(0, len(rows), 5000):
            conn.execute(t_terms.insert(), rows[i : i + 5000])
        return added

    def add_terms(self, list_name: str, terms: Iterable[Term | str], *, actor: str | None = None,
                  origin: str = "api") -> ChangeResult:
        """Add terms (Term objects or lines in the wordlist format) to a list; terms already there are
        skipped. One transaction, one audit entry."""
        with self._write() as conn:
            self._lock_rules(conn)
            row = self._list_row(conn, list_name)
            wanted = self._parse_terms(terms, ListKind(row.kind))
            added = self._insert_terms(conn, row.id, wanted, actor)
            if added:
                self._check_budgets(conn)
            fresh = {term_key(t) for t in added}
            skipped_list = []
            for t in wanted:
                key = term_key(t)
                if key in fresh:
                    fresh.discard(key)  # its first occurrence was added
                else:
                    skipped_list.append(t)
            skipped = tuple(skipped_list)
            if not added:
                return ChangeResult(list=list_name, skipped=skipped)
            version = self._terms_changed(conn, row.id, list_name, added, "term.add",
                                          f"added {plural(len(added), 'term')} to {list_name}", actor, origin)
        return ChangeResult(list=list_name, added=tuple(added), skipped=skipped, version=version)

    def remove_terms(self, list_name: str, terms: Iterable[Term | str], *, actor: str | None = None,
                     origin: str = "api") -> ChangeResult:
        """Remove terms (matched on their identity: text case-insensitively, wildcards, ``!``)."""
        with self._write() as conn:
            self._lock_rules(conn)
            row = self._list_row(conn, list_name)
            wanted = self._parse_terms(terms, ListKind(row.kind))
            keys = [term_key(t) for t in wanted]
            present = {r.key: r for r in conn.execute(
                sa.select(t_terms).where(t_terms.c.list_id == row.id, t_terms.c.key.in_(keys)))}
            removed = [self._term_row(present[k], list_name).term for k in dict.fromkeys(keys) if k in present]
            skipped = tuple(t for t, k in zip(wanted, keys, strict=True) if k not in present)
            if not removed:
                return ChangeResult(list=list_name, skipped=skipped)
            conn.execute(t_terms.delete().where(t_terms.c.id.in_([r.id for r in present.values()])))
            version = self._terms_changed(conn, row.id, list_name, removed, "term.remove",
                                          f"removed {plural(len(removed), 'term')} from {list_name}", actor, origin)
        return ChangeResult(list=list_name, removed=tuple(removed), skipped=skipped, version=version)

    def _terms_changed(self, conn: Connection, list_id: int, list_name: str, terms: Sequence[Term], action: str,
                       summary: str, actor: str | None, origin: str) -> int:
        """Touch the list, bump the version and audit a change of ``terms``, in the change's
        transaction; returns the new version."""
        conn.execute(t_lists.update().where(t_lists.c.id == list_id).values(updated_at=now(), updated_by=actor))
        version = self._bump(conn)
        self._audit(conn, actor=actor, origin=origin, action=action, target=list_name,
                    summary=f"{summary}: {preview(terms)}",
                    detail={"terms": [t.to_line() for t in terms[:1000]], "count": len(terms)}, version=version)
        return version

    def update_term(self, term_id: int, new: Term | str, *, actor: str | None = None, origin: str = "api") -> int:
        """Replace a term by another (edit); returns the new ruleset version."""
        check_id(term_id, "term with id")
        with self._write() as conn:
            self._lock_rules(conn)
            r = conn.execute(sa.select(t_terms, t_lists.c.name.label("list_name"), t_lists.c.kind.label("kind"))
                             .join(t_lists, t_lists.c.id == t_terms.c.list_id).where(t_terms.c.id == term_id)).first()
            if r is None:
                raise NotFound(f"no term with id {term_id}")
            term = self._parse_terms([new], ListKind(r.kind))
            if not term:
                raise StoreError("empty term")
            new_term = term[0]
            check_term(new_term)
            old_term = self._term_row(r, r.list_name).term
            if new_term == old_term:
                return self._version(conn)
            key = term_key(new_term)
            clash = conn.execute(sa.select(t_terms.c.id).where(
                t_terms.c.list_id == r.list_id, t_terms.c.key == key, t_terms.c.id != term_id)).first()
            if clash is not None:
                raise AlreadyExists(f"{new_term.to_line()!r} is in {r.list_name} already")
            conn.execute(t_terms.update().where(t_terms.c.id == term_id).values(
                key=key, text=new_term.text, wildcard_start=new_term.wildcard_start,
                wildcard_end=new_term.wildcard_end, exception=new_term.exception,
                replacement=new_term.replacement, note=new_term.note))
            self._check_budgets(conn)
            conn.execute(t_lists.update().where(t_lists.c.id == r.list_id).values(updated_at=now(), updated_by=actor))
            version = self._bump(conn)
            self._audit(conn, actor=actor, origin=origin, action="term.edit", target=r.list_name,
                        summary=f"changed {old_term.to_line()!r} to {new_term.to_line()!r} in {r.list_name}",
                        detail={"from": old_term.to_line(), "to": new_term.to_line()}, version=version)
        return version

    def delete_term(self, term_id: int, *, actor: str | None = None, origin: str = "api") -> int:
        row = self.get_term(term_id)
        result = self.remove_terms(row.list, [row.term], actor=actor, origin=origin)
        if result.version is None:
            raise NotFound(f"no term with id {term_id}")
        return result.version

    # -- import / export --------------------------------------------------------------------

    def import_wordlists(self, wordlists: Sequence[WordList], *, mode: Literal["merge", "replace"] = "merge",
                         limits: Limits | Mapping[str, Any] | None = None, actor: str | None = None, origin: str = "api",
                         update_options: bool = True, source: str | None = None) -> ImportResult:
        """Import lists in ONE transaction: everything is stored or (on any error) nothing.

        ``merge`` adds the terms a list does not have; ``replace`` makes the stored list exactly the
        imported one. A list that does not exist is created with the imported options; an existing
        one takes them too when ``update_options`` (files with a header carry options, plain ones
        the defaults, so callers pass False for those).
        """
        if mode not in ("merge", "replace"):
            raise ValueError(f"unknown import mode {mode!r} (merge or replace)")
        names: dict[str, WordList] = {}
        for wl in wordlists:
            if wl.name in names:
                first = names[wl.name]
                wl = WordList(name=first.name, terms=first.terms + wl.terms, action=first.action, kind=first.kind,
                              replacement=first.replacement, evasion=first.evasion, inflections=first.inflections,
                              description=first.description, source=first.source, language=first.language,
                              derive=first.derive)
            names[wl.name] = wl
        with self._write() as conn:
            self._lock_rules(conn)
            return self._import(conn, list(names.values()), mode=mode, limits=limits, actor=actor, origin=origin,
                                update_options=update_options, source=source)

    def _import(self, conn: Connection, wordlists: Sequence[WordList], *, mode: str,
                limits: Limits | Mapping[str, Any] | None,
                actor: str | None, origin: str, update_options: bool, source: str | None) -> ImportResult:
        report: list[dict[str, Any]] = []
        at = now()
        for wl in wordlists:
            check_replacement(wl.replacement)
            check_description(wl.description)
            row = conn.execute(sa.select(t_lists).where(t_lists.c.name == wl.name)).first()
            created = row is None
            options = {"kind": wl.kind.value, "action": wl.action.value, "replacement": wl.replacement,
                       "evasion": wl.evasion, "inflections": wl.inflections, "description": wl.description}
            if row is None:
                inserted = conn.execute(t_lists.insert().values(
                    name=wl.name, options=_options({}, wl.language, wl.derive), created_at=at, updated_at=at,
                    updated_by=actor, **options,
                )).inserted_primary_key
                assert inserted is not None
                list_id = inserted[0]
            else:
                list_id = row.id
                if row.kind != wl.kind.value:
                    raise StoreError(f"{wl.source or wl.name}: list {wl.name!r} holds {row.kind}, "
                                     f"the file {wl.kind.value}")
                upd: dict[str, Any] = {"updated_at": at, "updated_by": actor}
                if update_options:
                    upd.update(options)
                    upd["options"] = _options(row.options, wl.language, wl.derive)
                conn.execute(t_lists.update().where(t_lists.c.id == list_id).values(**upd))
            removed = 0
            if mode == "replace" and not created:
                keep = {term_key(t) for t in wl.terms}
                old = conn.execute(sa.select(t_terms.c.id, t_terms.c.key).where(t_terms.c.list_id == list_id)).all()
                drop = [i for i, k in old if k not in keep]
                for j in range(0, len(drop), 5000):
                    conn.execute(t_terms.delete().where(t_terms.c.id.in_(drop[j : j + 5000])))
                removed = len(drop)
            added = self._insert_terms(conn, list_id, wl.terms, actor)
            report.append({"list": wl.name, "source": wl.source, "created": created, "added": len(added),
                           "removed": removed, "size": len(wl.terms)})
        self._check_budgets(conn)
        stored_limits = False
        if limits is not None:
            self._set_limits(conn, limits_to_dict(limits), actor, replace_all=True)
            stored_limits = True
        version = self._bump(conn)
        # one entry per list (so the log filters by list), all in this one transaction
        origin_text = f" from {source}" if source else ""
        for d in report:
            self._audit(conn, actor=actor, origin=origin, action="import", target=d["list"],
                        summary=f"imported ({mode}) {d['list']}{origin_text}: +{d['added']} -{d['removed']}"
                                + (" (new list)" if d["created"] else ""),
                        detail={"mode": mode, **d}, version=version)
        if stored_limits or not report:
            self._audit(conn, actor=actor, origin=origin, action="import", target="limits" if stored_limits else None,
                        summary=f"imported ({mode}) {'limits' if stored_limits else 'nothing'}{origin_text}",
                        detail={"mode": mode, "limits": stored_limits}, version=version)
        return ImportResult(lists=tuple(report), version=version, limits=stored_limits)

    def import_files(self, paths: Sequence[str | os.PathLike[str]], *, format: ImportFormat = "auto",
                     list_name: str | None = None, action: Action | None = None, kind: ListKind | None = None,
                     mode: Literal["merge", "replace"] = "merge", actor: str | None = None,
                     origin: str = "api") -> ImportResult:
        """Parse every file first (a bad one raises :class:`WordlistError` naming file and line, and
        nothing is stored), then store them all in one transaction. A ``*.toml`` file among them is a
        ``limits.toml`` and replaces the stored limits. A file with more terms than the store may
        hold is refused before it is parsed."""
        parsed = []
        keep_options = True
        limits = None
        for p in paths:
            if str(p).lower().endswith(".toml"):
                limits = load_limits_file(Path(p), required=True)
                continue
            text = read_import_file(p)
            self.refuse_too_many_terms(text, str(p))
            fmt = sniff_format(text, str(p)) if format == "auto" else format
            wl = parse_import_text(text, name=list_name or Path(p).stem, source=str(p), format=fmt, action=action,
                                   kind=kind)
            if list_name:
                wl = WordList(name=list_name, terms=wl.terms, action=wl.action, kind=wl.kind,
                              replacement=wl.replacement, evasion=wl.evasion, inflections=wl.inflections,
                              description=wl.description, source=wl.source, language=wl.language,
                              derive=wl.derive)
            if fmt != "text" and action is None:
                keep_options = False
            parsed.append(wl)
        source = ", ".join(str(p) for p in paths)
        return self.import_wordlists(parsed, mode=mode, limits=limits, actor=actor, origin=origin,
                                     update_options=keep_options, source=source[:200])

    def refuse_too_many_terms(self, text: str, source: str) -> None:
        """:class:`WordlistError` for a file with more terms than this store holds in all its lists."""
        refuse_too_many_terms(text, source, self.max_terms)

    def export(self, list_name: str, format: ExportFormat = "text") -> str:
        """A stored list as text in an export format (see :func:`~forum_guard.engine.formats.export_text`)."""
        return export_text(self.get_list(list_name), format)

    # -- seeding a new store ----------------------------------------------------------------

    def seed_from_directory(self, path: str | os.PathLike[str], *, actor: str | None = "seed") -> int:
        """Import ``*.txt`` lists and ``limits.toml`` from a folder if the store has no lists yet.

        Returns how many lists it seeded: 0 when the store has lists already, or the folder none.
        Safe to call from many workers at once: one seeds, the others see the lists and return 0.
        """
        directory = Path(path)
        if not directory.is_dir() or self.list_names():
            return 0
        source = SHIPPED if directory.resolve() == shipped_dir().resolve() else str(directory)
        broken: list[WordlistError] = []  # one broken file never keeps the other lists out
        lists = load_wordlists(directory, broken=broken)
        for exc in broken:
            log.error("word list not seeded: %s", exc)
        return self._seed(lists, load_limits_file(directory / "limits.toml"), actor=actor, source=source)

    def seed_shipped(self, *, actor: str | None = "seed") -> int:
        """Seed a store that has no lists yet with the lists shipped with forum_guard (and their
        ``limits.toml``), so that a new store is never a filter that lets everything through.

        Returns how many lists it seeded (0 when the store has lists already) and logs it.
        """
        if self.list_names():
            return 0
        directory = shipped_dir()
        return self._seed(load_wordlists(directory), load_limits_file(directory / "limits.toml"),
                          actor=actor, source=SHIPPED)

    def _seed(self, lists: Sequence[WordList], limits: Limits | None, *, actor: str | None, source: str) -> int:
        if not lists and limits is None:
            return 0
        with self._write() as conn:
            self._lock_rules(conn)
            if conn.execute(sa.select(t_lists.c.id).limit(1)).first() is not None:
                return 0  # another worker seeded first
            self._import(conn, lists, mode="merge", limits=limits, actor=actor, origin="seed",
                         update_options=True, source=source[:200])
        log.info("seeded %s from %s into %s", plural(len(lists), "list"), source, self.display_url)
        return len(lists)


def check_language(language: str | None) -> str:
    """A list's language code as stored ("" for English); a code Snowball does not know is a
    :class:`StoreError` naming the ones it does."""
    try:
        return parse_language(language or "")
    except ValueError as exc:
        raise StoreError(str(exc)) from None


def _language_of(row: sa.Row[Any]) -> str:
    options = row.options if isinstance(row.options, dict) else {}
    return str(options.get("language") or "")


def check_derive(derive: str | Sequence[str] | None) -> tuple[str, ...]:
    """A list's derived forms as stored (suffixes and ``phrase-words``); a bad one is a
    :class:`StoreError` saying why."""
    try:
        return parse_derive(derive or "")
    except ValueError as exc:
        raise StoreError(f"derive: {exc}") from None


def _derive_of(row: sa.Row[Any]) -> tuple[str, ...]:
    options = row.options if isinstance(row.options, dict) else {}
    value = options.get("derive")
    if not isinstance(value, list):
        return ()
    try:
        return parse_derive([str(v) for v in value])
    except ValueError:  # written by hand into the database: ignored rather than failing every load
        return ()


def _options(current: Any, language: str, derive: Sequence[str]) -> dict[str, Any]:
    """The ``lists.options`` JSON with the language and derived forms set (empty ones removed)."""
    options = dict(current) if isinstance(current, dict) else {}
    for key, value in (("language", language), ("derive", list(derive))):
        if value:
            options[key] = value
        else:
            options.pop(key, None)
    return options
