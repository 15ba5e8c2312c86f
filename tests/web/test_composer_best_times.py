"""The composer proposes the best free times for the chosen accounts (fallback with no history)."""

from __future__ import annotations

import re

from tests.web.conftest import WebApp
from tests.web.test_composer import add_accounts, form


def test_composer_suggests_times_and_a_click_fills_the_when_field(web: WebApp) -> None:
    ids = add_accounts(web)
    c = web.login("editor@acme.example")
    r = c.post("/compose", data=form(ids, text="Hello", action="check"))
    assert r.status_code == 200, r.text
    html = r.text
    assert 'aria-label="Suggested times"' in html
    assert "fallback: published guidance, not your own history" in html
    picks = re.findall(r'value="when:(\d{4}-\d\d-\d\dT\d\d:\d\d)"', html)
    assert len(picks) == 5 and len(set(picks)) == 5
    chosen = c.post("/compose", data=form(ids, text="Hello", action=f"when:{picks[0]}"))
    assert chosen.status_code == 200
    assert f'id="when" name="when" type="datetime-local" value="{picks[0]}"' in chosen.text


def test_composer_shows_no_suggestions_without_accounts_chosen(web: WebApp) -> None:
    add_accounts(web)
    c = web.login("editor@acme.example")
    r = c.post("/compose", data={"text": "Hello", "action": "check"})
    assert r.status_code == 200 and "Suggested times" not in r.text
