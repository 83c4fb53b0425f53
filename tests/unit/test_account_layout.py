"""The per-account memory layout behind the hot path: records on cache lines, scalar views."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.config.schema import Rules
from sim.model.portfolio.accounts import CACHE_LINE, CALL_STATE_FIELDS, ScalarViews, record_table
from sim.model.rules.book import RuleBook
from sim.model.rules.history import (
    HISTORY_FIELDS,
    NEVER,
    NOT_YET,
    REQUEST_TIMES,
    ContactHistory,
)


@pytest.mark.parametrize("fields", [CALL_STATE_FIELDS, HISTORY_FIELDS,
                                    [("a", "i1")], [("x", "f8")] * 1 + [("y", "f8", (9,))]])
@pytest.mark.parametrize("n", [1, 7, 1000])
def test_records_fill_whole_cache_lines_from_a_line_boundary(fields, n):
    table = record_table(n, fields)
    assert len(table) == n
    assert table.dtype.itemsize % CACHE_LINE == 0
    assert table.ctypes.data % CACHE_LINE == 0
    for name in table.dtype.names:
        assert not table[name].any()  # zeroed


def test_record_fields_share_memory_with_their_views():
    table = record_table(5, [("when", "f8"), ("count", "i4"), ("flag", "?")])
    when, count, flag = table["when"], table["count"], table["flag"]
    when[:] = np.arange(5) * 0.5
    count[2] += 3
    flag[[1, 4]] = True
    assert table[2]["count"] == 3 and table[4]["flag"] and table[3]["when"] == 1.5
    views = ScalarViews(type("Holder", (), {})())  # an object with no arrays has no views
    with pytest.raises(AttributeError, match="no array 'when'"):
        _ = views.when


def test_scalar_views_read_and_write_the_arrays_as_python_scalars():
    class Holder:
        def __init__(self) -> None:
            self.table = record_table(4, [("t", "f8"), ("k", "i4"), ("b", "?")])
            self.t, self.k, self.b = self.table["t"], self.table["k"], self.table["b"]
            self.plain = np.array([1.5, 2.5, math.nan])
            self.ring = np.zeros((4, 3))

    holder = Holder()
    views = ScalarViews(holder)
    views.t[1] = 2.25
    views.k[3] += 7
    views.b[0] = True
    views.ring[2, 1] = 9.0
    assert holder.t[1] == 2.25 and holder.k[3] == 7 and holder.b[0]
    assert holder.ring[2, 1] == 9.0
    assert type(views.k[3]) is int and type(views.t[1]) is float and type(views.b[0]) is bool
    assert views.plain[1] == 2.5 and math.isnan(views.plain[2])


def test_contact_history_starts_empty_and_blocks_like_its_vectorised_twin():
    limits = Rules().limits()
    history = ContactHistory([limits], np.zeros(50), np.zeros(50))
    rules = RuleBook(limits, history)
    assert (history.last_conversation == NEVER).all() and (history.call_times == NEVER).all()
    for name in REQUEST_TIMES:
        assert (history.table[name] == NOT_YET).all(), name
    rng = np.random.default_rng(4)
    for i in rng.choice(50, 20, replace=False).tolist():
        history.record_attempts(np.array([i]), np.array([3.4]), np.array([bool(i % 2)]))
        if i % 3 == 0:
            history.record_conversation(i, 3.45)
        if i % 5 == 0:
            history.record_dispute(i, 3.5, received=3.5)
    idx = np.arange(50)
    scalar = np.array([rules.call_block(i, 4.5) == 0 for i in idx])
    np.testing.assert_array_equal(scalar, rules.call_block_reasons(idx, 4.5) == 0)
    assert not scalar.all() and scalar.any()
