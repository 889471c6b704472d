"""Serializer helpers shared by the API apps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# Django's CSRF form field may come with a form-encoded body from the site's own pages.
_IGNORED = {"csrfmiddlewaretoken"}


class RejectUnknownFields(serializers.Serializer[Any]):
    """A serializer that refuses fields it would otherwise ignore (unknown or read-only), with
    a 400 naming them: a client that misspells a field or tries to change `moderation` learns
    so instead of receiving a 200 that changed nothing."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, QueryDict):
            repeated = {key: ["given more than once"] for key, v in data.lists() if len(v) > 1}
            if repeated:
                raise serializers.ValidationError(repeated)
            # Form values as sent: DRF would read an empty value of an optional field as
            # "not given" and use the default, where the schema (and we) call it invalid.
            data = data.dict()
        if isinstance(data, Mapping):
            writable = [name for name, field in self.fields.items() if not field.read_only]
            refused = {
                str(key): "read-only" if key in self.fields else "unknown field"
                for key in data
                if key not in writable and key not in _IGNORED
            }
            if refused:
                names = ", ".join(f"{key} ({why})" for key, why in refused.items())
                raise serializers.ValidationError(
                    {
                        "non_field_errors": [
                            f"Cannot set {names}; the fields you can set are: "
                            f"{', '.join(writable)}."
                        ],
                        **{key: [why] for key, why in refused.items()},
                    }
                )
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false (JSON booleans, or the words in a form), not DRF's yes/on/1/0 as well:
    the schema says boolean, and a client sending "1" should learn that it is not one."""

    TRUE_VALUES = {True, "true"}
    FALSE_VALUES = {False, "false"}
    NULL_VALUES: set[Any] = set()


# No NUL anywhere (DRF refuses it); "named" titles also need a character that is not
# whitespace to Python (str.split), written so that ECMA and Python regexes agree on it.
_NO_NUL = "^[^\\u0000]*$"
_NAMED = "^[^\\u0000]*([^\\s\\u0000\\u001c-\\u001f\\u0085]|\\ufeff)[^\\u0000]*$"


@extend_schema_field({"type": "string", "maxLength": 200, "pattern": _NO_NUL})
class TitleField(serializers.CharField):
    """A title: up to 200 characters, none of them NUL (DRF refuses NUL; the pattern says so
    in the schema, where a validator would also make the schema refuse "")."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=200, allow_blank=True, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):  # DRF would take 0 as "0"; the schema says string
            self.fail("invalid")
        return str(super().to_internal_value(data))


@extend_schema_field({"type": "string", "maxLength": 200, "pattern": _NAMED})
class NameField(TitleField):
    """A title that must say something: blank or whitespace only is refused."""

    def __init__(self, **kwargs: Any) -> None:
        serializers.CharField.__init__(self, max_length=200, allow_blank=False, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        if not text.split():
            self.fail("blank")
        return text


class StrictIntegerField(serializers.IntegerField):
    """An integer of a JSON body: a JSON number without fraction, not "5" or 5.0 or true, which
    DRF would take although the schema says integer."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))
