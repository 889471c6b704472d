"""Sign-up. Log in and log out are Django's own views."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from focal.ratelimits import SIGNUPS, count_and_refuse_if_over


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional, for password resets.")

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")


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
