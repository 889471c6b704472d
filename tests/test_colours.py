"""focal.colours: the one hex colour parser (effect specs, compositing, colour search)."""

from __future__ import annotations

import pytest

from focal.colours import hex_colour, parse_hex_colour


def test_it_reads_hash_rrggbb_in_either_case():
    assert parse_hex_colour("#00ff00") == (0, 255, 0)
    assert parse_hex_colour("#A1b2C3") == (0xA1, 0xB2, 0xC3)


@pytest.mark.parametrize("bad", ["#fff", "00ff00", "#00ff00\n", "#00ff0g", "", None, 0x00FF00])
def test_it_refuses_anything_else(bad):
    with pytest.raises(ValueError):
        parse_hex_colour(bad)


def test_the_hash_may_be_left_out_where_asked():
    assert parse_hex_colour("1e90ff", hash_optional=True) == (0x1E, 0x90, 0xFF)
    assert parse_hex_colour("#1e90ff", hash_optional=True) == (0x1E, 0x90, 0xFF)
    with pytest.raises(ValueError):
        parse_hex_colour("1e90f", hash_optional=True)


def test_the_canonical_spelling_is_lower_case_with_a_hash():
    assert hex_colour(parse_hex_colour("#A1B2C3")) == "#a1b2c3"
