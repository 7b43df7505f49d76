"""The admin pages' forms (flask-wtf): lists, terms, the test box, limits per group, queue decisions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...engine.actions import Action
from ...engine.limits import GROUPS
from ...engine.stemming import LANGUAGES
from ...engine.terms import MAX_NAME_LENGTH, ListKind

try:  # wtforms >= 3.3 wants SelectChoice objects; older versions take (value, label) pairs
    from wtforms.fields.choices import SelectChoice

    def _choices(pairs: Iterable[tuple[str, str]]) -> list[Any]:
        return [SelectChoice(value, label) for value, label in pairs]
except ImportError:  # pragma: no cover
    def _choices(pairs: Iterable[tuple[str, str]]) -> list[Any]:
        return list(pairs)

__all__ = [
    "LIMIT_FIELDS",
    "LIMIT_FLAGS",
    "LIMIT_LABELS",
    "ConfirmForm",
    "DecisionForm",
    "ListForm",
    "TermEditForm",
    "TermsForm",
    "TestForm",
    "group_form",
    "messages_form",
]

#: The limits a group form edits as numbers, and as yes/no.
LIMIT_FIELDS = ("max_emoji", "max_links", "max_images", "max_length", "min_length")
LIMIT_FLAGS = ("allow_pasted_images", "exempt")
LIMIT_LABELS = {
    "max_emoji": "Most emoji", "max_links": "Most links", "max_images": "Most images",
    "max_length": "Longest (characters)", "min_length": "Shortest (characters)",
    "allow_pasted_images": "May paste images", "exempt": "Exempt from every rule",
}
_KINDS = {ListKind.TERMS: "terms (words and phrases)", ListKind.DOMAINS: "domains (links)"}


class ListForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=MAX_NAME_LENGTH)])
    action = SelectField("Action", choices=_choices((a.value, a.label) for a in Action.for_lists()),
                         default=Action.BLOCK.value)
    kind = SelectField("Kind", choices=_choices((k.value, label) for k, label in _KINDS.items()),
                       default=ListKind.TERMS.value)
    replacement = StringField("Censor text", validators=[Optional(), Length(max=200)])
    evasion = BooleanField("See through l33t, look-alikes, separators and repeats", default=True)
    inflections = BooleanField("A word also catches -s -es -ed -ing -er -ers", default=True)
    language = SelectField("Language of the terms (other than English: every inflection, by stem)",
                           choices=_choices([("", "English"), *sorted(((code, f"{name.capitalize()} ({code})")
                                                                       for code, name in LANGUAGES.items()),
                                                                      key=lambda c: c[1])]),
                           default="")
    derive = StringField("Derived forms: suffixes each word also takes, e.g. “y o ish head” (innocent "
                         "dictionary words such as hellish stay excused); “phrase-words” inflects every word of "
                         "a phrase", validators=[Optional(), Length(max=200)])
    description = StringField("Description", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Save")


class ConfirmForm(FlaskForm):
    submit = SubmitField("Delete")


class TermsForm(FlaskForm):
    terms = TextAreaField("Terms, one a line", validators=[DataRequired(), Length(max=200_000)])
    #: set by the preview page's "Save" button
    confirm = HiddenField()
    submit = SubmitField("Check")


class TermEditForm(FlaskForm):
    term = StringField("Term", validators=[DataRequired(), Length(max=400)])
    confirm = HiddenField()
    submit = SubmitField("Check")


class TestForm(FlaskForm):
    text = TextAreaField("Text or HTML", validators=[DataRequired(), Length(max=200_000)])
    group = SelectField("Author group", choices=_choices((g, g) for g in GROUPS), default="member")
    html = BooleanField("It is HTML (rich editor)")
    submit = SubmitField("Test")


class DecisionForm(FlaskForm):
    content = TextAreaField("Post (edit before approving if needed)", validators=[Optional()])
    note = StringField("Note for the audit log", validators=[Optional(), Length(max=500)])
    approve = SubmitField("Approve")
    reject = SubmitField("Reject")


def group_form(group: str, values: dict[str, Any], formdata: Any = None) -> FlaskForm:
    """The limits of one member group (one of several forms on the limits page)."""

    class GroupForm(FlaskForm):
        pass

    for key in LIMIT_FIELDS:
        setattr(GroupForm, key, IntegerField(LIMIT_LABELS[key], validators=[Optional(), NumberRange(min=-1)],
                                             description="empty: no limit"))
    for key in LIMIT_FLAGS:
        setattr(GroupForm, key, BooleanField(LIMIT_LABELS[key]))
    GroupForm.save = SubmitField("Save " + group)
    data = {k: (None if values.get(k) in (None, -1) else values.get(k)) for k in LIMIT_FIELDS}
    data.update({k: bool(values.get(k)) for k in LIMIT_FLAGS})
    # several forms on one page: the blueprint checks the one unprefixed csrf_token of every POST
    return GroupForm(formdata=formdata, prefix=group, data=data, meta={"csrf": False})


def messages_form(values: dict[str, str], formdata: Any = None) -> FlaskForm:
    """The notices posters read, one field each."""

    class MessagesForm(FlaskForm):
        pass

    for key in values:
        setattr(MessagesForm, key, TextAreaField(key.replace("_", " "), validators=[Optional(), Length(max=2000)]))
    MessagesForm.save = SubmitField("Save messages")
    return MessagesForm(formdata=formdata, prefix="messages", data=values, meta={"csrf": False})
