"""Growth: followers at the start and the end of the range, per account or network.

An account's start is its last followers reading before the range (else its first in it), its
end the last reading in the range; the change and change % are between those two readings,
whose times are in the row. A network's figures add up its accounts' readings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis

from sociable.analytics.reports import ReportError

if TYPE_CHECKING:
    from sociable.analytics.reports import Request

DIMENSIONS = ("account", "network")


def run(req: Request) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from sociable.analytics.reports import sort_rows

    bad = [d for d in req.by if d not in DIMENSIONS]
    if bad:
        raise ReportError(
            f"growth is per account or network, not by {', '.join(bad)}", where="--by"
        )
    by = req.by or ["account"]
    am = req.loaded.account_metrics
    f = am.filter(am.measure == "followers")
    first = ibis.window(group_by=f.account_id, order_by=[f.taken_ts])
    last = ibis.window(group_by=f.account_id, order_by=[ibis.desc(f.taken_ts)])
    f = f.mutate(_first=ibis.row_number().over(first), _last=ibis.row_number().over(last))
    per_account = f.group_by(["account_id", "account", "network"]).aggregate(
        followers_start=f.value.max(where=f._first == 0),
        followers_end=f.value.max(where=f._last == 0),
        start_at=f.taken_at.min(),
        end_at=f.taken_at.max(),
        readings=f.value.count(),
    )
    grouped = per_account.group_by(by).aggregate(
        accounts=per_account.account_id.nunique(),
        followers_start=per_account.followers_start.sum(),
        followers_end=per_account.followers_end.sum(),
        start_at=per_account.start_at.min(),
        end_at=per_account.end_at.max(),
        readings=per_account.readings.sum(),
    )
    rows = []
    for r in req.fetch(grouped):
        change = r["followers_end"] - r["followers_start"]
        rows.append(
            {
                **{d: r[d] for d in by},
                "accounts": r["accounts"],
                "followers_start": r["followers_start"],
                "followers_end": r["followers_end"],
                "change": change,
                "change_pct": 100 * change / r["followers_start"] if r["followers_start"] else None,
                "start_at": r["start_at"],
                "end_at": r["end_at"],
                "readings": r["readings"],
            }
        )
    req.notes.append(
        "followers start: the last reading before the range (else the first in it); end: the "
        "last reading in the range; start_at and end_at are when those readings were taken"
    )
    single = [r for r in rows if r["readings"] < 2]
    if single:
        req.notes.append(f"{len(single)} group(s) have one reading only: no change can be seen")
    req.notes.append("net follows (follows minus unfollows) are not given by any network we read")
    return sort_rows(rows, by), []
