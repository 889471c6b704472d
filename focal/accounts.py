"""Accounts: sign-up here; log-in, log-out, password change and password reset are Django's own
views (django.contrib.auth.views) with our templates, plus what Focal adds to them: a message
after log-out, reset mails sent after the answer, and limits on reset requests."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import (
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
    UserCreationForm,
)
from django.core.mail import EmailMultiAlternatives
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader

from focal.auth import AuthenticatedHttpRequest
from focal.mail import send_later
from focal.ratelimits import (
    PASSWORD_RESETS,
    PASSWORD_RESETS_PER_ADDRESS,
    SIGNUPS,
    count_and_refuse_if_over,
    email_key,
)

# Django's validators as the few words shown under a new password, in this order; a validator
# not named here is shown with its own help text.
_SHORT_RULES: dict[type, tuple[int, str]] = {
    password_validation.MinimumLengthValidator: (0, "at least {min_length} characters"),
    password_validation.NumericPasswordValidator: (1, "not all digits"),
    password_validation.CommonPasswordValidator: (2, "not a common password"),
    password_validation.UserAttributeSimilarityValidator: (3, "not like your username or email"),
}


def password_rules() -> str:
    """The rules of the site's password validators in one line: "At least 8 characters, not
    all digits, not a common password, not like your username or email." (Django's own help
    is a list of sentences that all begin "Your password")."""
    short: list[tuple[int, str]] = []
    other: list[str] = []
    for validator in password_validation.get_default_password_validators():
        rule = _SHORT_RULES.get(type(validator))
        if rule is None:
            other.append(validator.get_help_text())
        else:
            short.append((rule[0], rule[1].format_map(vars(validator))))
    line = ", ".join(words for _, words in sorted(short))
    return " ".join([f"{line[:1].upper()}{line[1:]}." if line else "", *other]).strip()


class PasswordRules:
    """For a form with a new password: the rules shown under it before the form is sent, not
    only in the error after it fails."""

    new_password_field = "new_password1"
    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[self.new_password_field].help_text = password_rules()


class SignupForm(PasswordRules, UserCreationForm):
    new_password_field = "password1"
    email = forms.EmailField(
        required=False, help_text="Optional. Without it a forgotten password cannot be reset."
    )

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")


class ChangePasswordForm(PasswordRules, PasswordChangeForm):
    pass


class NewPasswordForm(PasswordRules, SetPasswordForm):
    pass


def signup(request: HttpRequest) -> HttpResponse:
    if not settings.FOCAL_SIGNUP_ENABLED:
        raise Http404("Sign-up is turned off on this site.")
    if request.user.is_authenticated:
        return redirect("gallery:home")
    if request.method == "POST":
        count_and_refuse_if_over(request, SIGNUPS)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        return redirect("gallery:upload")
    return render(request, "registration/signup.html", {"form": form})


class EmailForm(forms.Form):
    """The account's email address (for password resets), changed with the current password:
    whoever has only the session (a computer left signed in) must not be able to point
    password resets at an address of their own."""

    email = forms.EmailField(
        required=False,
        max_length=254,
        help_text="Where password reset links go. Leave it empty to have none.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


@login_required
def email_address(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = EmailForm(user, request.POST or None, initial={"email": user.email})
    if request.method == "POST" and form.is_valid():
        user.email = form.cleaned_data["email"]
        user.save(update_fields=["email"])  # also ends reset links sent to the old address
        if user.email:
            messages.success(request, f"Password reset links now go to {user.email}.")
        else:
            messages.success(request, "Your account has no email address now.")
        return redirect("account_email")
    return render(request, "accounts/email_form.html", {"form": form})


class LogOut(auth_views.LogoutView):
    """Django's log-out (POST only), then the next page says so."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.success(request, "You are logged out.")
        return response


class ResetForm(PasswordResetForm):
    """Django's reset form, its mail sent by the mail thread (focal.mail): the answer takes the
    same time whether or not the address has an account."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        send_later(EmailMultiAlternatives(subject, body, from_email, [to_email]))


class PasswordReset(auth_views.PasswordResetView):
    form_class = ResetForm
    template_name = "accounts/password_reset_form.html"
    subject_template_name = "accounts/password_reset_subject.txt"
    email_template_name = "accounts/password_reset_email.txt"

    @property
    def extra_email_context(self) -> dict[str, Any]:  # type: ignore[override]
        return {"hours": settings.PASSWORD_RESET_TIMEOUT // 3600}

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        # Counted for any address, an account's or not, so a refusal reveals nothing either.
        count_and_refuse_if_over(self.request, PASSWORD_RESETS_PER_ADDRESS)
        email = form.cleaned_data["email"]
        count_and_refuse_if_over(self.request, PASSWORD_RESETS, email_key(email))
        return super().form_valid(form)
