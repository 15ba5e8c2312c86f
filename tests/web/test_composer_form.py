"""The composer's form reading, property-based: any input is read or ignored, never a crash."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import FormData

from sociable.web.pages.compose import FIELDS, MAX_MEDIA, TEXT_MAX, field_of, read_draft

keys = st.sampled_from(
    ["text", "account", "media_id", "when", "link", "labels", "campaign", "post_id", "alt_1", "x"]
)


@given(st.lists(st.tuples(keys, st.text(max_size=300)), max_size=60))
def test_read_draft_takes_any_form(items: list[tuple[str, str]]) -> None:
    draft = read_draft(FormData(items))
    assert len(draft.text) <= TEXT_MAX
    assert len(draft.media_ids) <= MAX_MEDIA
    assert len(draft.account_ids) == len(set(draft.account_ids))
    digits = {int(v) for k, v in items if k == "account" and v.isascii() and v.isdigit()}
    assert set(draft.account_ids) <= digits
    assert all(label == label.strip() and label for label in draft.label_list)


def test_unicode_digits_and_huge_numbers_are_not_ids() -> None:
    draft = read_draft(FormData([("account", "²"), ("account", "9" * 5000), ("post_id", "³")]))
    assert draft.account_ids == [] and draft.post_id is None


@given(st.text(max_size=200))
def test_every_error_lands_on_a_field(message: str) -> None:
    assert field_of(message) in (*FIELDS, "form")


def test_domain_errors_map_to_their_fields() -> None:
    assert field_of("post: when: 2020-01-01 09:00Z is in the past") == "when"
    assert field_of("text: POST101 312 over for account x:@acme") == "text"
    assert field_of("post: accounts: no account 'foo'") == "accounts"
    assert field_of("post: alt: 2 alt texts for 1 media files") == "media"
    assert field_of("something else") == "form"


def test_a_url_in_the_text_is_previewed_once_typed() -> None:
    from sociable.web.pages.compose import Draft, _link_of

    assert _link_of(Draft(text="See https://acme.exa")) is None  # still being typed
    assert _link_of(Draft(text="See https://acme.example/beans. Yum")) == (
        "https://acme.example/beans"
    )
    assert _link_of(Draft(text="x", link="https://a.example")) == "https://a.example"
