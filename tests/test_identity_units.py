from __future__ import annotations

import pytest

from simulator.identity.matricule import OID_INS_NIA, OID_INS_NIR, MatriculeKind, compute_key, key_is_valid
from simulator.identity.normalize import is_ins_normalized, normalize_trait, split_first_names


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Zoé", "ZOE"),
        ("  de   vinci ", "DE VINCI"),
        ("Cœur", "COEUR"),
        ("Ærøskøbing", "AEROSKOBING"),
        ("d'Artagnan-Lupin", "D'ARTAGNAN-LUPIN"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_trait(raw, expected):
    assert normalize_trait(raw) == expected


def test_is_ins_normalized():
    assert is_ins_normalized("D'ARTAGNAN-LUPIN")
    assert not is_ins_normalized("Zoé")
    assert not is_ins_normalized("ZOE2")
    assert not is_ins_normalized("DE  VINCI")


def test_split_first_names():
    assert split_first_names("pierre-alain  muriel floriant") == ["PIERRE-ALAIN", "MURIEL", "FLORIANT"]


@pytest.mark.parametrize(
    ("number", "key"),
    [("2751263220749", "74"), ("297022A020778", "78"), ("160012B020777", "13"), ("180032B020401", "23")],
)
def test_keys_of_the_cnda_base_including_corsica(number, key):
    assert compute_key(number) == key
    assert key_is_valid(number, key)


def test_cnda_2_08_cas2_key_is_invalid():
    assert not key_is_valid("1810363220456", "60")
    assert compute_key("1810363220456") == "76"


def test_bad_shapes_never_raise_in_key_is_valid():
    assert not key_is_valid("123", "45")
    assert not key_is_valid("2751263220749", "7")
    with pytest.raises(ValueError):
        compute_key("27512632207")


def test_oids():
    assert MatriculeKind.NIR.oid == OID_INS_NIR == "1.2.250.1.213.1.4.8"
    assert MatriculeKind.NIA.oid == OID_INS_NIA == "1.2.250.1.213.1.4.9"
