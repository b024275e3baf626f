"""Widget results cached per (model, model version, binding, filters).

A materialization bumps the model's version, so new requests miss; entries of older
versions of that model are dropped when a newer version is stored. In-process LRU:
each web worker has its own (results are small: a figure and at most the widget's rows).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

MAX_ENTRIES = 1024


class WidgetCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._data: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.hits = self.misses = 0

    @staticmethod
    def key(
        model_id: int, version: int, chart_type: str, binding: dict, filters: dict | None
    ) -> tuple:
        return (
            model_id,
            version,
            chart_type,
            json.dumps(binding, sort_keys=True, default=str),
            json.dumps(filters or {}, sort_keys=True, default=str),
        )

    def get(self, key: tuple) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
            self.misses += 1
            return None

    def put(self, key: tuple, value: Any) -> None:
        model_id, version = key[0], key[1]
        with self._lock:
            for old in [k for k in self._data if k[0] == model_id and k[1] < version]:
                del self._data[old]
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


widget_cache = WidgetCache()
