"""`sociable post ...` as a user runs it, on SQLite and PostgreSQL, including bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.publish.calendar_env import Env, make_env, write


@pytest.fixture
def env(cli, database_url: str, tmp_path: Path) -> Iterator[Env]:  # type: ignore[no-untyped-def]
    e = make_env(cli, database_url, tmp_path)
    e.account("mastodon", "@acme@mastodon.social")
    e.account("x", "acme")
    e.account("bluesky", "acme.example")
    yield e
    e.close()


POST = """---
accounts: [mastodon, "x:@acme"]
when: 2030-03-31 09:00
labels: [launch, bikes]
campaign: spring
link: https://acme.example/bike
first_comment: More at https://acme.example
---
Our new bike is here.
"""


def test_new_creates_one_variant_and_publication_per_account(env: Env, tmp_path: Path) -> None:
    result = env.run("post", "new", str(write(tmp_path / "p.md", POST)), "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["approval"] == "approved"
    assert data["labels"] == ["launch", "bikes"]
    assert len(data["variants"]) == 2
    assert [p["state"] for p in data["publications"]] == ["scheduled", "scheduled"]
    # 09:00 Paris on the day summer time starts is 07:00 UTC.
    assert {p["due_at"] for p in data["publications"]} == {"2030-03-31T07:00:00+00:00"}
    assert env.counts() == (1, 2, 2, 2)  # each publication has its "created" event
    # Each variant was adapted for its network: the link carries that network's UTM source.
    texts = {v["account_id"]: v["text"] for v in data["variants"]}
    assert "utm_source=mastodon" in texts[1] and "utm_source=x" in texts[2]


def test_list_and_show_json_carry_each_publication_state(env: Env, tmp_path: Path) -> None:
    env.run("post", "new", str(write(tmp_path / "p.md", POST)))
    listed = json.loads(env.run("post", "list", "--format", "json").out)
    assert [p["id"] for p in listed] == [1]
    assert all(p["state"] == "scheduled" for p in listed[0]["publications"])
    assert {p["account"] for p in listed[0]["publications"]} == {
        "mastodon:@acme@mastodon.social",
        "x:acme",
    }
    shown = json.loads(env.run("post", "show", "1", "--format", "json").out)
    assert shown["publications"][0]["events"][0]["to"] == "scheduled"
    text = env.run("post", "show", "1")
    assert text.code == 0 and "mastodon:@acme@mastodon.social" in text.out
    table = env.run("post", "list", "--account", "x:acme")
    assert table.code == 0 and "scheduled" in table.out


def test_cancel_then_reschedule(env: Env, tmp_path: Path) -> None:
    env.run("post", "new", str(write(tmp_path / "p.md", POST)))
    assert env.run("post", "cancel", "1").code == 0
    assert {p.state for p in env.publications()} == {"cancelled"}
    moved = env.run("post", "reschedule", "1", "2030-04-02T10:00:00+00:00")
    assert moved.code == 0, moved.err
    pubs = env.publications()
    assert {p.state for p in pubs} == {"scheduled"}
    assert {p.due_at for p in pubs} == {datetime(2030, 4, 2, 10, tzinfo=UTC)}


def test_reschedule_one_account_only(env: Env, tmp_path: Path) -> None:
    env.run("post", "new", str(write(tmp_path / "p.md", POST)))
    assert env.run("post", "reschedule", "1", "2030-05-01 12:00", "--account", "x").code == 0
    dues = {p.account_id: p.due_at for p in env.publications()}
    assert dues[2] == datetime(2030, 5, 1, 10, tzinfo=UTC)  # Paris summer time
    assert dues[1] == datetime(2030, 3, 31, 7, tzinfo=UTC)


def test_draft_then_approve(env: Env, tmp_path: Path) -> None:
    draft = POST.replace("when: 2030-03-31 09:00\n", "")
    result = env.run("post", "new", str(write(tmp_path / "d.md", draft)), "--draft")
    assert result.code == 0, result.err
    assert env.counts()[2] == 0  # no publication until approved
    no_time = env.run("post", "approve", "1")
    assert no_time.code == 2 and "--when" in no_time.err
    ok = env.run("post", "approve", "1", "--when", "2030-06-01T08:00Z")
    assert ok.code == 0, ok.err
    assert {p.state for p in env.publications()} == {"scheduled"}
    again = env.run("post", "approve", "1")
    assert again.code == 2 and "already approved" in again.err


def test_edit_replaces_text_and_time(env: Env, tmp_path: Path) -> None:
    env.run("post", "new", str(write(tmp_path / "p.md", POST)))
    edited = POST.replace("Our new bike is here.", "Our new bike is finally here.").replace(
        "2030-03-31 09:00", "2030-04-01T09:00+02:00"
    )
    result = env.run("post", "edit", "1", str(write(tmp_path / "e.md", edited)), "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["text"] == "Our new bike is finally here."
    assert all(v["text"].startswith("Our new bike is finally here.") for v in data["variants"])
    assert {p["due_at"] for p in data["publications"]} == {"2030-04-01T07:00:00+00:00"}


def test_edit_cannot_change_accounts(env: Env, tmp_path: Path) -> None:
    env.run("post", "new", str(write(tmp_path / "p.md", POST)))
    other = POST.replace('[mastodon, "x:@acme"]', "[bluesky]")
    result = env.run("post", "edit", "1", str(write(tmp_path / "e.md", other)))
    assert result.code == 2 and "accounts" in result.err


# --- section 7: bad input names the field, exits 2, creates nothing --------------------


BAD_CASES = [
    (("when: 2030-03-31 09:00", "when: 2030-13-45 09:00"), "when"),
    (("when: 2030-03-31 09:00", "when: 2020-01-01 09:00"), "in the past"),
    (("when: 2030-03-31 09:00", "when: 2030-03-31 02:30"), "does not exist in Europe/Paris"),
    (("when: 2030-03-31 09:00", "when: 2030-10-27 02:30"), "happens twice"),
    (("when: 2030-03-31 09:00", "when: 2030-03-31"), "no time of day"),
    (('[mastodon, "x:@acme"]', '[mastodon, "x:@nobody"]'), "unknown account 'x:@nobody'"),
    (("labels:", "media: [missing.png]\nlabels:"), "media: file not found: missing.png"),
    (("labels:", "colour: red\nlabels:"), "unknown field 'colour'"),
    (("Our new bike is here.", "x" * 600), "over Mastodon's 500"),
    (("---\n", "---\n", 1), "never closed"),
]


def test_bad_post_files_are_one_clear_line_and_nothing_created(env: Env, tmp_path: Path) -> None:
    for change, expected in BAD_CASES:
        path = write(tmp_path / "bad.md", POST.replace(*change))  # type: ignore[arg-type]
        if expected == "never closed":
            path = write(tmp_path / "bad.md", POST.rsplit("---", 1)[0])
        result = env.run("post", "new", str(path))
        assert result.code == 2, (change, result.out + result.err)
        assert expected in result.err, (change, result.err)
        assert str(path) in result.err
        assert "Traceback" not in result.err
        assert len(result.err.strip().splitlines()) == 1
        assert env.counts() == (0, 0, 0, 0)


def test_text_too_long_for_one_target_names_it_and_creates_nothing(
    env: Env, tmp_path: Path
) -> None:
    # 329 characters: with the tagged link appended (".example" is no TLD, so the link counts
    # as written) fine on Mastodon (500), too long for X (280).
    body = ("Ride more. " * 30).strip()
    path = write(tmp_path / "long.md", POST.replace("Our new bike is here.", body))
    result = env.run("post", "new", str(path))
    assert result.code == 2
    assert "x:acme" in result.err and "mastodon" not in result.err
    assert env.counts() == (0, 0, 0, 0)


def test_unknown_post_id(env: Env) -> None:
    result = env.run("post", "show", "99")
    assert result.code == 2 and "no post 99" in result.err


def test_network_without_limits_and_yaml_timestamps(env: Env, tmp_path: Path) -> None:
    """A webhook account takes the text as written; a YAML timestamp is read in the zone."""
    env.account("webhook", "crm", slots=["fri 17:00"])
    body = "y" * 5000  # no limit on a webhook
    post = write(
        tmp_path / "w.md", f"---\naccounts: [webhook]\nwhen: 2030-07-05 17:00:00\n---\n{body}\n"
    )
    result = env.run("post", "new", str(post), "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["variants"][0]["text"] == body
    assert data["publications"][0]["due_at"] == "2030-07-05T15:00:00+00:00"  # 17:00 Paris
    draft = write(tmp_path / "d.md", "---\naccounts: [webhook]\n---\nLater\n")
    assert env.run("post", "new", str(draft), "--draft").code == 0
    queued = env.run("post", "approve", "2", "--queue")
    assert queued.code == 0, queued.err
    pubs = [p for p in env.publications() if p.variant_id == 2]
    assert len(pubs) == 1 and pubs[0].due_at.weekday() == 4  # the next Friday slot


def test_list_rejects_an_unknown_state_and_draft_edit_keeps_no_time(
    env: Env, tmp_path: Path
) -> None:
    bad = env.run("post", "list", "--state", "sent")
    assert bad.code == 2 and "--state: 'sent'" in bad.err
    draft = POST.replace("when: 2030-03-31 09:00\n", "")
    assert env.run("post", "new", str(write(tmp_path / "d.md", draft)), "--draft").code == 0
    timed = env.run("post", "edit", "1", str(write(tmp_path / "e.md", POST)))
    assert timed.code == 2 and "a draft has no time yet" in timed.err
    assert env.counts()[2] == 0
