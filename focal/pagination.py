"""Page-number pagination whose parameters are validated as strictly as the schema states them:
`page` and `page_size` are whole numbers in range, anything else is a 400 (DRF would quietly
fall back to the default page size, or read `page=last`)."""

from __future__ import annotations

import re
from typing import Any

from rest_framework.pagination import PageNumberPagination

from focal.usererror import UserError

_WHOLE = re.compile(r"[0-9]{1,9}")


def whole_number(value: str, name: str, low: int, high: int) -> int:
    if not _WHOLE.fullmatch(value) or not low <= int(value) <= high:
        raise UserError(f"{name} must be a whole number from {low} to {high}.")
    return int(value)


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    max_page = 10**9 - 1

    def get_page_size(self, request: Any) -> int:
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        return whole_number(value, self.page_size_query_param, 1, self.max_page_size)

    def get_page_number(self, request: Any, paginator: Any) -> int:
        value = request.query_params.get(self.page_query_param)
        if value is None:
            return 1
        return whole_number(value, self.page_query_param, 1, self.max_page)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        def integer(name: str, high: int, description: str) -> dict[str, Any]:
            schema = {"type": "integer", "minimum": 1, "maximum": high}
            return {"name": name, "in": "query", "required": False, "schema": schema,
                    "description": description}  # fmt: skip

        return [
            integer(self.page_query_param, self.max_page, "Page number, from 1."),
            integer(self.page_size_query_param, self.max_page_size, "Photos per page (50)."),
        ]
