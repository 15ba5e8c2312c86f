"""UTM tagging: GA4 conventions, other parameters and fragments kept, bad values named."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sociable.content.utm import UTM_KEYS, add_utm, normalize_utm_value, utm_params
from sociable.errors import UserError

# Values a marketer might type: letters (any script), digits, spaces, punctuation.
values = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn")),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip())

param_names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda n: not n.startswith("utm_")
)
param_values = st.from_regex(r"[A-Za-z0-9%+._-]{0,12}", fullmatch=True)
queries = st.lists(st.tuples(param_names, param_values), max_size=4)
fragments = st.one_of(st.just(""), st.from_regex(r"[A-Za-z0-9/_-]{1,12}", fullmatch=True))


def _url(query: list[tuple[str, str]], fragment: str) -> str:
    q = "&".join(f"{k}={v}" for k, v in query)
    return (
        "https://shop.example.com/p/1"
        + (f"?{q}" if q else "")
        + (f"#{fragment}" if fragment else "")
    )


def test_basic_tags_in_ga4_order() -> None:
    out = add_utm("https://example.com/a?x=1#top", source="LinkedIn", campaign="Spring Sale")
    assert out == (
        "https://example.com/a?x=1&utm_source=linkedin&utm_medium=social"
        "&utm_campaign=spring_sale#top"
    )


@given(queries, fragments, values, values)
def test_other_params_and_fragment_kept(
    query: list[tuple[str, str]], fragment: str, source: str, campaign: str
) -> None:
    url = _url(query, fragment)
    out = add_utm(url, source=source, campaign=campaign, content="post-9")
    before, after = urlsplit(url), urlsplit(out)
    assert after.fragment == before.fragment
    assert (after.scheme, after.netloc, after.path) == (before.scheme, before.netloc, before.path)
    # The original query is a byte-for-byte prefix: nothing re-encoded, nothing reordered.
    assert after.query.startswith(before.query)
    tags = utm_params(out)
    assert tags["utm_source"] == normalize_utm_value(source)
    assert tags["utm_campaign"] == normalize_utm_value(campaign)
    assert tags["utm_medium"] == "social"
    assert tags["utm_content"] == "post-9"
    assert "utm_term" not in tags


@given(values)
def test_values_are_lowercase_without_spaces(value: str) -> None:
    out = normalize_utm_value(value)
    assert out == out.lower()
    assert not any(ch.isspace() for ch in out)
    assert normalize_utm_value(out) == out  # idempotent


@given(queries, fragments, values)
def test_idempotent(query: list[tuple[str, str]], fragment: str, source: str) -> None:
    once = add_utm(_url(query, fragment), source=source, campaign="c")
    assert add_utm(once, source=source, campaign="c") == once
    assert add_utm(once, source=source, campaign="c", overwrite=True) == once


@given(values, values)
def test_existing_tags_win_unless_overwrite(old: str, new: str) -> None:
    url = add_utm("https://example.com/", source=old)
    kept = add_utm(url, source=new)
    assert utm_params(kept)["utm_source"] == normalize_utm_value(old)
    replaced = add_utm(url, source=new, overwrite=True)
    assert utm_params(replaced)["utm_source"] == normalize_utm_value(new)
    names = [k for k, _ in parse_qsl(urlsplit(replaced).query)]
    assert names.count("utm_source") == 1


def test_special_characters_are_encoded_and_decoded() -> None:
    out = add_utm("https://example.com/", source="x", campaign="a&b=c #1/Été")
    assert "&b=" not in out and "#1" not in out
    assert utm_params(out)["utm_campaign"] == "a&b=c_#1/été"
    assert urlsplit(out).fragment == ""


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"source": ""}, "utm_source"),
        ({"source": "   "}, "utm_source"),
        ({"source": "ok", "campaign": "bad\x00value"}, "utm_campaign"),
        ({"source": "ok", "content": "x\u200by"}, "utm_content"),
        ({"source": "ok", "term": "t" * 101}, "utm_term"),
    ],
)
def test_malformed_values_name_the_field(kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(UserError) as err:
        add_utm("https://example.com/", **kwargs)
    assert str(err.value).startswith(f"{field}:")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ftp://example.com/",
        "javascript:alert(1)",
        "/relative",
        "https://",
        "https://a b.com/",
        "https://example.com:99999/",
        "https://example.com/" + "a" * 3000,
    ],
)
def test_bad_urls(url: str) -> None:
    with pytest.raises(UserError) as err:
        add_utm(url, source="x")
    assert str(err.value).startswith("url:")


def test_utm_key_order_is_ga4() -> None:
    assert UTM_KEYS == ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
