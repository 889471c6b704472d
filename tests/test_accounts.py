"""Accounts through Django's own views with Focal's templates: password reset by email (the
mail read from the outbox, its link followed), password change, log-out, and the limits on reset
requests. alice has an email address, bob has none."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from focal.mail import wait_for_queued_mail

pytestmark = pytest.mark.django_db

RESET = "/accounts/password/reset/"
NEW_PASSWORD = "a-brand-new-pass-phrase"


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user(
        "alice", email="alice@example.org", password="alice-pass-123"
    )


def ask_for_reset(email: str, address: str = "203.0.113.5"):
    response = Client(REMOTE_ADDR=address).post(RESET, {"email": email})
    wait_for_queued_mail()
    return response


def log_in(username: str, password: str):
    return Client().post("/accounts/login/", {"username": username, "password": password})


def link_in(message) -> str:
    match = re.search(r"http://testserver(/accounts/password/reset/\S+/\S+/)", message.body)
    assert match, message.body
    return match[1]


def test_a_forgotten_password_is_reset_through_the_mailed_link(alice):
    response = ask_for_reset("Alice@Example.org")  # any case
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    assert message.subject == "Reset your Focal password"
    assert "alice" in message.body and "24 hours" in message.body

    browser = Client()
    page = browser.get(link_in(message), follow=True)
    # Django swaps the token for a session value, so it is not in the address any more.
    assert page.redirect_chain[-1][0].endswith("/set-password/")
    assert "Choose a new password" in page.content.decode()
    done = browser.post(
        page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Your new password is set" in done.content.decode()

    assert log_in("alice", NEW_PASSWORD).status_code == 302
    assert log_in("alice", "alice-pass-123").status_code == 200  # the old one is gone
    again = Client().get(link_in(message), follow=True).content.decode()
    assert "This link does not work any more" in again  # used once
    assert "Choose a new password" not in again


def test_a_mismatched_new_password_is_refused_and_the_old_one_stays(alice):
    ask_for_reset("alice@example.org")
    browser = Client()
    page = browser.get(link_in(mail.outbox[0]), follow=True)
    refused = browser.post(
        page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": "other"}
    )
    assert refused.status_code == 200 and "didn’t match" in refused.content.decode()
    assert log_in("alice", "alice-pass-123").status_code == 302


def test_a_forged_link_does_not_work(alice):
    page = Client().get("/accounts/password/reset/MQ/cxyz-0123456789abcdef/", follow=True)
    assert "This link does not work any more" in page.content.decode()


def test_the_answer_is_the_same_for_addresses_without_an_account(alice, bob):
    known = ask_for_reset("alice@example.org")
    unknown = ask_for_reset("nobody@example.org")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1  # alice's only
    sent_page = Client().get(known["Location"]).content.decode()
    assert "If an account has that email address" in sent_page


def test_an_account_without_email_gets_no_mail_and_the_pages_say_why(bob, login):
    assert bob.email == ""
    ask_for_reset("bob@example.org")
    assert mail.outbox == []
    form = Client().get(RESET).content.decode()
    assert "A reset needs an email address on the account" in form
    change = login(bob).get("/accounts/password/change/").content.decode()
    assert "Your account has no email address" in change
    assert 'href="/accounts/email/">Add one' in change


def test_reset_requests_for_one_email_address_are_limited(alice):
    # From three client addresses, in any case: the count is per email address.
    spellings = ["alice@example.org", "ALICE@example.org", " alice@example.org"] * 2
    answers = [
        ask_for_reset(email, address=f"203.0.113.{i}").status_code
        for i, email in enumerate(spellings)
    ]
    assert answers == [302] * 3 + [429] * 3
    assert len(mail.outbox) == 3
    refused = ask_for_reset("alice@example.org")
    assert "Too many password resets asked for this email address" in refused.content.decode()
    assert refused["Retry-After"].isdigit()
    assert ask_for_reset("carol@example.org").status_code == 302  # other addresses go on


def test_unknown_addresses_are_limited_alike(alice):
    answers = [ask_for_reset("nobody@example.org").status_code for _ in range(4)]
    assert answers == [302] * 3 + [429]


def test_reset_requests_from_one_client_address_are_limited():
    answers = [ask_for_reset(f"user{i}@example.org").status_code for i in range(22)]
    assert answers == [302] * 20 + [429] * 2
    assert ask_for_reset("user0@example.org", address="198.51.100.7").status_code == 302


def test_changing_the_password_needs_the_old_one(alice, login):
    browser = login(alice)
    form = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    wrong = browser.post("/accounts/password/change/", {"old_password": "guess", **form})
    assert wrong.status_code == 200
    assert "Your old password was entered incorrectly" in wrong.content.decode()
    assert log_in("alice", "alice-pass-123").status_code == 302

    right = browser.post("/accounts/password/change/", {"old_password": "alice-pass-123", **form})
    assert right.status_code == 302 and right["Location"] == "/accounts/password/change/done/"
    assert "Your password is changed" in browser.get(right["Location"]).content.decode()
    assert browser.get("/upload/").status_code == 200  # still logged in here
    assert log_in("alice", NEW_PASSWORD).status_code == 302
    assert log_in("alice", "alice-pass-123").status_code == 200


def test_changing_the_password_needs_a_log_in():
    response = Client().get("/accounts/password/change/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_logging_out_says_so(alice, login):
    browser = login(alice)
    assert browser.get("/accounts/logout/").status_code == 405  # a link cannot log anyone out
    page = browser.post("/accounts/logout/", follow=True)
    html = page.content.decode()
    assert page.redirect_chain == [("/", 302)]
    assert "You are logged out." in html
    assert 'href="/accounts/login/' in html and "account-menu" not in html
    assert "You are logged out." not in browser.get("/").content.decode()  # said once


def test_the_account_menu_names_the_user_and_has_its_links(alice, login):
    alice.first_name, alice.last_name = "Alice", "Liddell"
    alice.save()
    html = login(alice).get("/").content.decode()
    menu = html[html.index('class="account-menu"') : html.index("</details>")]
    assert "Alice Liddell" in menu and "(alice)" in menu
    assert 'href="/accounts/password/change/"' in menu
    assert 'href="/accounts/email/"' in menu
    assert re.search(
        r'<form method="post" action="/accounts/logout/"><input type="hidden" '
        r'name="csrfmiddlewaretoken"[^>]*><button[^>]*>Log out</button></form>',
        menu,
    )


def test_the_account_menu_offers_administration_only_where_the_admin_shows_something(
    alice, moderator, login, django_user_model
):
    from django.contrib.auth.models import Permission

    def offered(user) -> bool:
        html = login(user).get("/").content.decode()
        return 'href="/admin/"' in html[html.index('class="account-menu"') :]

    assert not offered(alice)
    assert not offered(moderator)  # staff, but the admin's index would be empty
    # The admin agrees: it shows this staff user nothing.
    assert "have permission to view or edit anything" in login(moderator).get("/admin/").text
    moderator.user_permissions.add(Permission.objects.get(codename="change_photo"))
    moderator = django_user_model.objects.get(pk=moderator.pk)  # permissions are cached
    assert offered(moderator)
    root = django_user_model.objects.create_superuser("root", password="root-pass-123")
    assert offered(root)


def test_the_log_in_page_links_to_the_reset():
    page = Client().get("/accounts/login/").content.decode()
    assert f'href="{RESET}">Forgot your password?' in page


def test_sign_up_asks_for_an_optional_email_address(django_user_model):
    page = Client().get("/accounts/signup/").content.decode()
    field = re.search(r"<input[^>]*name=\"email\"[^>]*>", page)
    assert field and "required" not in field[0]
    assert "Without it a forgotten password cannot be reset" in page
    password = "a-long-pass-phrase"
    form = {"username": "carol", "password1": password, "password2": password}
    signed_up = Client().post("/accounts/signup/", {**form, "email": "carol@example.org"})
    assert signed_up.status_code == 302
    assert django_user_model.objects.get(username="carol").email == "carol@example.org"
    ask_for_reset("carol@example.org")
    assert mail.outbox[0].to == ["carol@example.org"]


RULES = (
    "At least 8 characters, not all digits, not a common password, not like your username or email."
)


def rules_under(page: str, name: str) -> str:
    """The help shown under the field `name`, checked to be the one its input points at."""
    field = re.search(rf'<input[^>]*name="{name}"[^>]*aria-describedby="([^"]+)"', page)
    assert field, name
    help_text = re.search(rf'<small id="{field[1]}">([^<]*)</small>', page)
    assert help_text, f"no help under {name}"
    return help_text[1]


def test_the_password_rules_show_before_a_new_password_is_sent(alice, login):
    assert rules_under(Client().get("/accounts/signup/").content.decode(), "password1") == RULES
    change = login(alice).get("/accounts/password/change/").content.decode()
    assert rules_under(change, "new_password1") == RULES
    ask_for_reset("alice@example.org")
    chosen = Client().get(link_in(mail.outbox[0]), follow=True).content.decode()
    assert rules_under(chosen, "new_password1") == RULES


def test_the_rules_stay_with_the_error_when_the_password_breaks_them(alice, login):
    form = {"username": "carol", "password1": "12345678", "password2": "12345678"}
    page = Client().post("/accounts/signup/", form).content.decode()
    assert "This password is entirely numeric." in page
    assert rules_under(page, "password1") == RULES


def test_with_the_file_backend_the_mail_is_a_file_in_the_mail_folder(alice, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    ask_for_reset("alice@example.org")
    (written,) = (tmp_path / "mail").iterdir()
    text = written.read_text()
    assert "To: alice@example.org" in text and "/accounts/password/reset/" in text


def test_a_mail_server_that_fails_changes_nothing_in_the_answer(alice, settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    known = ask_for_reset("alice@example.org")
    unknown = ask_for_reset("nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert "Could not send the mail 'Reset your Focal password'" in caplog.text


def test_an_email_address_is_added_with_the_password_and_resets_then_reach_it(bob, login):
    browser = login(bob)
    page = browser.get("/accounts/email/").content.decode()
    assert "Your account has no email address" in page
    wrong = browser.post("/accounts/email/", {"email": "bob@example.org", "password": "guess"})
    assert wrong.status_code == 200 and "That is not your password" in wrong.content.decode()
    bob.refresh_from_db()
    assert bob.email == ""

    saved = browser.post(
        "/accounts/email/", {"email": "bob@example.org", "password": "bob-pass-123"}, follow=True
    )
    assert "Password reset links now go to bob@example.org" in saved.content.decode()
    bob.refresh_from_db()
    assert bob.email == "bob@example.org"
    ask_for_reset("bob@example.org")
    assert mail.outbox[0].to == ["bob@example.org"]


def test_a_new_email_address_ends_links_sent_to_the_old_one(alice, login):
    ask_for_reset("alice@example.org")
    link = link_in(mail.outbox[0])
    form = {"email": "new@example.org", "password": "alice-pass-123"}
    assert login(alice).post("/accounts/email/", form).status_code == 302
    page = Client().get(link, follow=True).content.decode()
    assert "This link does not work any more" in page


def test_the_email_page_needs_a_log_in():
    response = Client().get("/accounts/email/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
