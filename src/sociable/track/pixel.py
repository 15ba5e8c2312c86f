"""The thank-you page pixel and the small script that carries the click id.

Put ``<script src="https://SHORT.DOMAIN/s.js" async></script>`` on every page of the site. On
a landing page it keeps ``sc_cid`` from the URL in a first-party cookie (the site's own
domain, so browsers that block third-party cookies keep it) together with up to four earlier
click ids for first-click and linear attribution. On the thank-you page call
``sociable.conversion("ORDER-1", 49.90, "EUR")`` or put ``data-order-id``, ``data-value`` and
``data-currency`` on the script tag; the script loads ``/p.gif`` with the ids.
"""

from __future__ import annotations

import base64
from importlib.resources import files

#: A transparent 1x1 GIF.
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")

_SCRIPT = (files("sociable.track") / "sociable.js").read_text(encoding="utf-8")


def script(cookie_days: int = 30) -> bytes:
    return _SCRIPT.replace("__DAYS__", str(max(1, min(cookie_days, 400)))).encode()
