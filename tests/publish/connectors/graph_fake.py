"""A small stand-in for Meta's Graph API as documented (Pages, Threads): objects with
insights, one unknown name failing a whole insights call with error #100, a gone object
answering #100 "does not exist", and list edges paged by ``paging.cursors.after``."""

from __future__ import annotations

from typing import Any

import httpx


def graph_error(code: int, message: str, status: int = 400) -> httpx.Response:
    return httpx.Response(
        status,
        json={"error": {"message": message, "type": "OAuthException", "code": code}},
    )


class GraphFake:
    def __init__(self, served: set[str], *, total_value: bool = False) -> None:
        self.served = set(served)  # the metric names Meta answers today
        self.total_value = total_value  # user insights answer total_value, media values
        self.objects: dict[str, dict[str, Any]] = {}  # id -> {"row": list row, "metrics"}
        self.order: list[str] = []  # newest first
        self.insight_calls: list[list[str]] = []

    def add(self, object_id: str, row: dict[str, Any], metrics: dict[str, int]) -> None:
        self.objects[object_id] = {"row": {"id": object_id, **row}, "metrics": metrics}
        self.order.append(object_id)

    def insights(self, request: httpx.Request, object_id: str) -> httpx.Response:
        names = request.url.params["metric"].split(",")
        self.insight_calls.append(names)
        if object_id not in self.objects:
            return graph_error(
                100,
                f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot"
                " be loaded due to missing permissions, or does not support this operation",
            )
        bad = [n for n in names if n not in self.served]
        if bad:
            return graph_error(100, f"(#100) The value must be a valid insights metric: {bad[0]}")
        metrics = self.objects[object_id]["metrics"]
        data = []
        for name in names:
            row: dict[str, Any] = {
                "name": name,
                "period": "lifetime",
                "title": name,
                "id": f"{object_id}/insights/{name}/lifetime",
            }
            if self.total_value:
                row["total_value"] = {"value": metrics.get(name, 0)}
            else:
                row["values"] = [{"value": metrics.get(name, 0)}]
            data.append(row)
        return httpx.Response(200, json={"data": data})

    def listing(self, request: httpx.Request, url: str) -> httpx.Response:
        limit = int(request.url.params.get("limit", 25))
        after = request.url.params.get("after")
        start = int(after.removeprefix("c")) if after else 0
        ids = self.order[start : start + limit]
        fields = request.url.params["fields"].split(",")
        data = [
            {k: v for k, v in self.objects[i]["row"].items() if k in fields or k == "id"}
            for i in ids
        ]
        paging: dict[str, Any] = {"cursors": {"before": f"c{start}", "after": f"c{start + limit}"}}
        if start + limit < len(self.order):
            paging["next"] = f"{url}?after=c{start + limit}&limit={limit}"
        return httpx.Response(200, json={"data": data, "paging": paging})
