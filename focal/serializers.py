"""Serializer helpers shared by the API apps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

# Django's CSRF form field may come with a form-encoded body from the site's own pages.
_IGNORED = {"csrfmiddlewaretoken"}


class RejectUnknownFields(serializers.Serializer[Any]):
    """A serializer that refuses fields it would otherwise ignore (unknown or read-only), with
    a 400 naming them: a client that misspells a field or tries to change `moderation` learns
    so instead of receiving a 200 that changed nothing."""

    def to_internal_value(self, data: Any) -> Any:
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
