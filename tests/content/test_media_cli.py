"""``sociable media check|fit`` end to end, in-process."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image


def image(path: Path, size: tuple[int, int], fmt: str) -> Path:
    Image.new("RGB", size, (200, 80, 20)).save(path, fmt)
    return path


def test_check_text_and_exit_code(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ok = image(tmp_path / "ok.jpg", (1080, 1080), "JPEG")
    result = cli("media", "check", str(ok), "--network", "instagram,x", "--alt", "A red square")
    assert result.code == 0, result.err
    assert "ok.jpg: ok" in result.out
    tall = image(tmp_path / "tall.png", (500, 1500), "PNG")
    result = cli("media", "check", str(tall), "-n", "instagram")
    assert result.code == 1
    assert "POST302" in result.out and "POST305" in result.out and "POST310" in result.out


def test_check_json(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tall = image(tmp_path / "tall.jpg", (500, 1500), "JPEG")
    result = cli("media", "check", str(tall), "-n", "pinterest,x", "--alt", "x", "--format", "json")
    assert result.code == 1
    data = json.loads(result.out)
    assert data == {
        str(tall): [
            {
                "code": "POST305",
                "network": "pinterest",
                "severity": "error",
                "message": data[str(tall)][0]["message"],
            }
        ]
    }


def test_fit_writes_copies_that_pass(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = image(tmp_path / "pano.png", (3000, 800), "PNG")
    out = tmp_path / "fitted"
    result = cli(
        "media", "fit", str(src), "-n", "instagram,pinterest", "--out", str(out),
        "--focal", "0.2,0.5", "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert set(data) == {"instagram", "pinterest"}
    for name, info in data.items():
        assert info["findings"] == []
        path = Path(info["file"])
        assert path.parent == out
        check = cli("media", "check", str(path), "-n", name, "--alt", "a panorama")
        assert check.code == 0, check.out


def test_story_placement(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = image(tmp_path / "sq.jpg", (1200, 1200), "JPEG")
    result = cli("media", "check", str(src), "-n", "instagram", "-p", "story", "--alt", "x")
    assert result.code == 0 and "POST309" in result.out  # a warning, not an error
    result = cli("media", "fit", str(src), "-n", "instagram", "-p", "story", "-o", str(tmp_path))
    assert result.code == 0, result.err
    with Image.open(tmp_path / "sq.instagram-story.jpg") as img:
        assert abs(img.width / img.height - 9 / 16) < 0.01


def test_bad_input_exits_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = image(tmp_path / "a.jpg", (500, 500), "JPEG")
    result = cli("media", "check", str(src))
    assert result.code == 2 and "--network" in result.err
    result = cli("media", "fit", str(src), "-n", "x", "--focal", "left")
    assert result.code == 2 and "--focal" in result.err
    result = cli("media", "fit", str(src), "-n", "x", "--focal", "1.5,0")
    assert result.code == 2 and "between 0 and 1" in result.err
    result = cli("media", "check", str(src), "-n", "x", "-p", "billboard")
    assert result.code == 2 and "placement" in result.err
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    result = cli("media", "fit", str(bad), "-n", "x", "-o", str(tmp_path / "o"))
    assert result.code == 2 and "bad.jpg" in result.err and "Traceback" not in result.err
    result = cli("media", "check", str(bad), "-n", "x")
    assert result.code == 1 and "POST301" in result.out
