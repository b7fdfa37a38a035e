"""Input parsing for the sign-in and account pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils.translation import gettext_lazy as _


class SignInForm(AuthenticationForm):
    """Django's sign-in form (it passes `request` to authenticate, which axes needs)."""

    error_messages = {
        "invalid_login": _(
            "The username or password is not correct. Both are case-sensitive; try again."
        ),
        "inactive": _("This account has been disabled. Ask your system administrator."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Username")
        self.fields["username"].widget.attrs.update(
            {"class": "form-control", "autocomplete": "username", "autocapitalize": "none"}
        )
        self.fields["password"].label = _("Password")
        self.fields["password"].widget.attrs.update(
            {"class": "form-control", "autocomplete": "current-password"}
        )


def _password_input(autocomplete: str) -> forms.PasswordInput:
    return forms.PasswordInput(attrs={"class": "form-control", "autocomplete": autocomplete})


class PasswordChangeForm(forms.Form):
    """Old password and the new one twice; strength is checked by the service."""

    old_password = forms.CharField(
        label=_("Current password"), strip=False, widget=_password_input("current-password")
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=_password_input("new-password"),
        help_text=password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label=_("New password again"), strip=False, widget=_password_input("new-password")
    )

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        first = self.cleaned_data.get("new_password1")
        second = self.cleaned_data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two new passwords do not match."))
        return cleaned


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “data sync from the OA system”."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )


class AccountCreateForm(forms.Form):
    """An administrator opens a sign-in account: a username and the first password, typed or
    generated. Either way the user must replace it at first sign-in. Strength and uniqueness
    are checked by the service."""

    GENERATE = "generate"
    TYPE = "type"

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @ . + - _ only; the employee number is suggested."),
        widget=forms.TextInput(
            attrs={"class": "form-control", "autocomplete": "off", "autocapitalize": "none"}
        ),
    )
    password_choice = forms.ChoiceField(
        label=_("Initial password"),
        choices=[
            (GENERATE, _("Generate a one-time password and show it to me once")),
            (TYPE, _("Type an initial password")),
        ],
        initial=GENERATE,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    password1 = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=_password_input("new-password"),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Initial password again"),
        required=False,
        strip=False,
        widget=_password_input("new-password"),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Kept in the audit trail."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if self.cleaned_data.get("password_choice") != self.TYPE:
            return cleaned
        first = self.cleaned_data.get("password1")
        second = self.cleaned_data.get("password2")
        if not first:
            self.add_error("password1", _("Type the initial password, or let Jixiao generate one."))
        elif first != second:
            self.add_error("password2", _("The two passwords do not match."))
        return cleaned

    def typed_password(self) -> str | None:
        """The typed password, or None when one is to be generated."""
        if self.cleaned_data.get("password_choice") == self.TYPE:
            return str(self.cleaned_data["password1"])
        return None
