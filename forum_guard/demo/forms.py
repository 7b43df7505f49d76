"""The demo forum's forms (flask-wtf: every form carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from forum_guard.web.validators import NoBannedTerms

__all__ = ["DecisionForm", "EditForm", "GroupForm", "ProfileForm", "ReplyForm", "ReportForm", "SignInForm", "SignUpForm", "TopicForm"]


class ReplyForm(FlaskForm):
    """A reply. Guarded by the middleware (``FORUM_GUARD_PROTECT``), so no filter validator here."""

    content = TextAreaField("Reply to this topic", validators=[DataRequired(message="Please write a reply.")])
    guest_name = StringField("Your name", validators=[Optional(), Length(max=40)])


class TopicForm(FlaskForm):
    """A new topic. Guarded by the WTForms validator: the title as text, the first post as HTML."""

    title = StringField("Title", validators=[DataRequired(message="Please give your topic a title."),
                                             Length(max=200), NoBannedTerms(html=False)])
    content = TextAreaField("Post", validators=[DataRequired(message="Please write the first post."),
                                                NoBannedTerms()])
    guest_name = StringField("Your name", validators=[Optional(), Length(max=40)])


class SignUpForm(FlaskForm):
    """Sign-up. The name is checked with an explicit call in the view (the third way)."""

    name = StringField("Name", validators=[
        DataRequired(), Length(min=2, max=40),
        Regexp(r"^[\w .-]+$", message="Use letters, digits, spaces, dots, dashes and underscores."),
    ])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField("Repeat the password", validators=[EqualTo("password", message="The passwords differ.")])


class EditForm(FlaskForm):
    """Editing a post: checked like a new one (the validator; its verdict drives the notice)."""

    content = TextAreaField("Edit your post", validators=[DataRequired(message="A post cannot be empty."),
                                                          NoBannedTerms()])


class ReportForm(FlaskForm):
    """Report a post to the moderators, with an optional reason."""

    reason = StringField("Why? (optional)", validators=[Optional(), Length(max=200)])


class ProfileForm(FlaskForm):
    """A member's signature, shown under their posts (checked by the guard in the view)."""

    signature = StringField("Signature", validators=[Optional(), Length(max=200)])


class SignInForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=40)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class DecisionForm(FlaskForm):
    """Approve or reject a pending or flagged post (the button's name says which)."""


class GroupForm(FlaskForm):
    group = SelectField("Group", choices=["new", "member", "moderator"])
