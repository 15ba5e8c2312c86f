"""`sociable lint --fix DIR`: a fitted copy per network that then lints clean."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image


def test_fix_writes_copies_that_pass(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wide = tmp_path / "wide.jpg"
    Image.new("RGB", (5000, 300), "red").save(wide)
    before = wide.read_bytes()
    out = tmp_path / "fixed"
    first = cli(
        "lint",
        "--text",
        "New roast. Order now!",
        "-n",
        "instagram,x",
        "--media",
        str(wide),
        "--alt",
        "A red banner",
        "--fix",
        str(out),
        "--format",
        "json",
    )
    report = json.loads(first.out)
    media_networks = {f["network"] for f in report["findings"] if f["code"].startswith("POST3")}
    assert "instagram" in media_networks
    assert {item["network"] for item in report["fixed"]} == media_networks
    assert wide.read_bytes() == before  # the original is never touched
    for item in report["fixed"]:
        again = cli(
            "lint",
            "--text",
            "New roast. Order now!",
            "-n",
            item["network"],
            "--media",
            item["path"],
            "--alt",
            "A red banner",
            "--format",
            "json",
        )
        codes = [f["code"] for f in json.loads(again.out)["findings"]]
        assert not [c for c in codes if c.startswith("POST3")], codes
        assert again.code == 0


def test_nothing_to_fix_writes_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ok = tmp_path / "ok.jpg"
    Image.new("RGB", (1080, 1080), "blue").save(ok)
    result = cli(
        "lint",
        "--text",
        "Hi! Order now",
        "-n",
        "instagram",
        "--media",
        str(ok),
        "--alt",
        "Blue square",
        "--fix",
        str(tmp_path / "f"),
        "--format",
        "json",
    )
    assert json.loads(result.out)["fixed"] == []
