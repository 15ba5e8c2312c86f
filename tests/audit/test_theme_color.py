"""A page's ``theme-color`` reaches the HTML report's CSS only when it is a plain colour."""

from __future__ import annotations

import pytest

from sociable.audit.engine import audit_page
from sociable.audit.report.html_report import page_html

PAGE = """<!doctype html><html><head><title>Spring bikes</title>
<meta property="og:title" content="Spring bikes">
<meta property="og:description" content="Our new range of bikes for the spring.">
<meta name="theme-color" content="{color}">
</head><body><h1>Spring</h1></body></html>"""


@pytest.mark.parametrize(
    "color",
    [
        "red;background:url(https://evil.example/x)",
        "#fff;--x:expression(alert(1))",
        "rgb(1,2,3)) ; background-image:url(//evil.example)",
        "#fff; background: url(//evil.example)",
    ],
)
def test_a_theme_color_that_is_not_a_colour_never_reaches_a_style(color: str) -> None:
    report = audit_page(PAGE.format(color=color).encode(), "https://acme.example/")
    assert "color" not in report.cards["discord"].get("extra", {})
    html = page_html(report)
    assert "evil.example" not in html and "expression(" not in html


@pytest.mark.parametrize("color", ["#1a2b3c", "rebeccapurple", "rgb(10, 20, 30)", "#abcd"])
def test_a_plain_theme_color_still_colours_the_discord_card(color: str) -> None:
    report = audit_page(PAGE.format(color=color).encode(), "https://acme.example/")
    assert report.cards["discord"]["extra"]["color"] == color
    assert f'style="--c:{color}"' in page_html(report)


def test_a_stored_report_with_a_bad_colour_renders_without_it() -> None:
    """Reports saved before the check carry the raw value; the renderer checks again."""
    report = audit_page(PAGE.format(color="#123456").encode(), "https://acme.example/")
    report.cards["discord"]["extra"]["color"] = "red;background:url(//evil.example)"
    assert "evil.example" not in page_html(report)
