"""Public ids: shape, spread over the whole alphabet, and typed URIs."""

from __future__ import annotations

import pytest

from liner.kit.errors import InputError
from liner.kit.ids import ALPHABET, ID_LENGTH, is_public_id, new_public_id, parse_id, uri


def test_new_ids_are_22_base62_characters_and_distinct() -> None:
    ids = [new_public_id() for _ in range(5000)]
    assert all(len(i) == ID_LENGTH and is_public_id(i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_every_position_draws_from_the_whole_alphabet() -> None:
    ids = [new_public_id() for _ in range(4000)]
    for position in (0, ID_LENGTH // 2, ID_LENGTH - 1):
        seen = {i[position] for i in ids}
        # 4000 draws over 62 symbols: missing one by chance has odds below 1e-25.
        assert seen == set(ALPHABET), position


def test_ids_parse_bare_or_as_uris_of_their_type() -> None:
    public_id = new_public_id()
    assert parse_id(public_id, "track") == public_id
    assert parse_id(uri("track", public_id), "track") == public_id
    with pytest.raises(InputError):
        parse_id(uri("album", public_id), "track")
    with pytest.raises(InputError):
        parse_id(public_id[:-1] + "-", "track")
