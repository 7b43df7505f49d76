"""Every built-in message through gettext: plural forms in English, the shipped de/es/fr/ru
catalogues, the locale chosen by the host (Flask-Babel's selector when it uses Flask-Babel,
``@guard.locale_selector`` or ``FORUM_GUARD_LOCALE`` otherwise), and an admin's own wording kept."""

from __future__ import annotations

import fnmatch
import re
import string
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import close_app, write_wordlists
from flask import Flask, request

from forum_guard.engine.limits import Limits, Messages
from forum_guard.ext import ForumGuard
from forum_guard.i18n import LOCALES, TRANSLATIONS, translations, using
from forum_guard.web.i18n import catalog_entries

ROOT = Path(__file__).resolve().parent.parent
TWO_LINKS = "see https://a.example/x and https://b.example/y"


def make_app(tmp_path: Path, *, limits: str = "", **config: Any) -> tuple[Flask, ForumGuard]:
    lists = write_wordlists(tmp_path / "lists")
    if limits:
        (lists / "limits.toml").write_text(limits, encoding="utf-8")
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True, SECRET_KEY="t", WTF_CSRF_ENABLED=False, FORUM_GUARD_USE_STORE=False,
                      FORUM_GUARD_WORDLISTS=str(lists), FORUM_GUARD_PROTECT={"reply": {"content": "text"}},
                      FORUM_GUARD_MAX_REQUEST_BYTES=5000)
    app.config.update(config)
    guard = ForumGuard(app)
    app.add_url_rule("/reply", "reply", lambda: ("saved", 201), methods=["POST"])
    return app, guard


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app, guard = make_app(tmp_path)

    @guard.locale_selector
    def locale() -> str | None:
        return request.args.get("lang")

    yield app
    close_app(app)


def live(app: Flask, content: str, lang: str | None = None, **kw: Any) -> dict[str, Any]:
    url = "/forum-guard/check" + (f"?lang={lang}" if lang else "")
    data: dict[str, Any] = app.test_client().post(url, json={"content": content, "markup": "text"}, **kw).get_json()
    return data


# --- English: the plural forms ----------------------------------------------------------------


def test_english_takes_the_plural_form_of_its_number() -> None:
    m = Messages()
    assert m.render("links", limit=1, count=2) == "Only 1 link is allowed."
    assert m.render("links", limit=3, count=4) == "Only 3 links are allowed."
    assert m.render("images", limit=1, count=2) == "Only 1 image is allowed."
    assert m.render("emoji", limit=1, count=2) == "Only 1 emoji is allowed."
    assert m.render("too_short", limit=1, count=0) == "Your content is too short: at least 1 character is needed."
    assert m.render("too_long", limit=10, count=1234) == (
        "Your content is too long: 1,234 characters, the maximum is 10.")


def test_a_guest_is_told_one_link_in_the_singular(app: Flask) -> None:
    assert live(app, TWO_LINKS)["messages"] == ["Only 1 link is allowed."]


# --- the shipped catalogues --------------------------------------------------------------------


def test_the_notices_follow_the_hosts_locale_selector(app: Flask) -> None:
    de = live(app, "well fuck", "de")
    assert de["messages"] == ["Leider enthält dein Beitrag Begriffe, die wir nicht erlauben. "
                              "Bitte entferne die unten markierten Wörter aus deinem Beitrag."]
    assert live(app, TWO_LINKS, "fr")["messages"] == ["Seul 1 lien est autorisé."]
    assert live(app, TWO_LINKS, "es_MX")["messages"] == ["Solo se permite 1 enlace."]  # region → language
    assert live(app, TWO_LINKS, "ru")["messages"] == ["Можно добавить только 1 ссылку."]
    assert live(app, TWO_LINKS, "pt")["messages"] == ["Only 1 link is allowed."]  # not shipped: English
    assert live(app, TWO_LINKS)["messages"] == ["Only 1 link is allowed."]


def test_russian_has_three_plural_forms() -> None:
    m = Messages()
    with using(translations("ru")):
        forms = {n: m.render("links", limit=n, count=n + 1) for n in (1, 2, 5, 11, 21, 22, 25)}
    assert forms == {1: "Можно добавить только 1 ссылку.", 2: "Можно добавить только 2 ссылки.",
                     5: "Можно добавить только 5 ссылок.", 11: "Можно добавить только 11 ссылок.",
                     21: "Можно добавить только 21 ссылку.", 22: "Можно добавить только 22 ссылки.",
                     25: "Можно добавить только 25 ссылок."}


def test_the_422_page_editor_wording_and_moderator_notice_are_translated(tmp_path: Path) -> None:
    app, guard = make_app(tmp_path, FORUM_GUARD_LOCALE="de")
    guard.group_loader(lambda: request.headers.get("X-Group"))
    try:
        r = app.test_client().post("/reply", data={"content": "fuck"})
        page = r.get_data(as_text=True)
        assert r.status_code == 422 and '<html lang="de">' in page
        assert "Bitte bearbeite deinen Beitrag" in page and "Absenden" in page
        assert "Leider enthält dein Beitrag" in page
        exempt = live(app, "fuck", headers={"X-Group": "moderator"})
        assert exempt["exempt_notice"] == ("Du bist Moderator: Der Inhaltsfilter gilt nicht für deine Beiträge. "
                                           "Ohne die Ausnahme wäre dieser Beitrag: blockiert.")
        from forum_guard.web.editor import editor_messages

        with app.test_request_context():
            messages = editor_messages()
        assert messages["bold"] == "Fett" and messages["pasted_image"].startswith("Bilder können nicht")
    finally:
        close_app(app)


def test_the_edges_errors_are_translated(tmp_path: Path) -> None:
    app, _guard = make_app(tmp_path, FORUM_GUARD_LOCALE="fr")
    try:
        r = app.test_client().post("/forum-guard/check", json={"content": "x" * 6000})
        assert r.status_code == 413
        assert r.get_json()["message"] == "Votre message est trop volumineux. Veuillez le raccourcir et réessayer."
        r = app.test_client().post("/reply", data={"content": ["a", "b"]})
        assert r.status_code == 422  # a message of its own ("sent more than once"): English, escaped
    finally:
        close_app(app)


def test_an_admins_own_wording_is_never_translated(tmp_path: Path) -> None:
    app, _guard = make_app(tmp_path, limits='[messages]\nlinks = "Max {limit} Links, Kumpel."\n',
                          FORUM_GUARD_LOCALE="ru")
    try:
        assert live(app, TWO_LINKS)["messages"] == ["Max 1 Links, Kumpel."]
        assert live(app, "fuck")["messages"] == [
            "К сожалению, ваш текст содержит недопустимые слова. Отредактируйте его и уберите выделенные ниже слова."]
    finally:
        close_app(app)


def test_outside_a_request_the_core_speaks_english() -> None:
    verdict = Limits.default().messages.render("links", limit=1, count=3)
    assert verdict == "Only 1 link is allowed."


# --- Flask-Babel --------------------------------------------------------------------------------


def test_a_flask_babel_host_decides_the_locale(tmp_path: Path) -> None:
    flask_babel = pytest.importorskip("flask_babel")
    app, guard = make_app(tmp_path, FORUM_GUARD_LOCALE="de")
    flask_babel.Babel(app, locale_selector=lambda: request.args.get("hl") or "en")
    guard.locale_selector(lambda: "ru")  # Flask-Babel's selector wins over forum_guard's own
    try:
        client = app.test_client()
        es = client.post("/forum-guard/check?hl=es", json={"content": TWO_LINKS, "markup": "text"}).get_json()
        assert es["messages"] == ["Solo se permite 1 enlace."]
        en = client.post("/forum-guard/check", json={"content": TWO_LINKS, "markup": "text"}).get_json()
        assert en["messages"] == ["Only 1 link is allowed."]
        r = client.post("/reply?hl=fr", data={"content": "fuck"})
        assert "Veuillez modifier votre message" in r.get_data(as_text=True) and '<html lang="fr">' in r.get_data(as_text=True)
    finally:
        close_app(app)


# --- the catalogues themselves --------------------------------------------------------------------


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_builtin_text_is_translated_with_the_same_placeholders(locale: str) -> None:
    t = translations(locale)
    assert type(t).__name__ == "GNUTranslations"
    values = {"limit": 3, "count": 4000, "action": "x", "words": "y", "author": "z"}
    for entry in catalog_entries():
        if isinstance(entry, str):
            pairs = [(entry, t.gettext(entry))]
        else:
            pairs = [(entry[1] if n != 1 else entry[0], t.ngettext(entry[0], entry[1], n)) for n in (1, 2, 5, 21)]
        for source, translated in pairs:
            assert translated and _fields(translated) == _fields(source), (locale, source, translated)
            translated.format(**values)
            if len(source) > 12:  # a real sentence, not a one-letter symbol: really translated
                assert translated != source, (locale, source)


def test_the_compiled_catalogues_are_up_to_date() -> None:
    pytest.importorskip("babel")
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "translations"), "check"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.match(r"4 catalogues complete \(\d+ texts\)", r.stdout)


def test_the_wheel_carries_the_catalogues() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["forum_guard"]
    files = sorted(p.relative_to(TRANSLATIONS.parent).as_posix() for p in TRANSLATIONS.rglob("*.[mp]o"))
    assert len(files) == 2 * len(LOCALES)
    for f in files:
        assert any(fnmatch.fnmatch(f, pattern) for pattern in data), f
