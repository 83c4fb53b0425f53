"""Named random streams (sim.model.rng)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from sim.model.rng import STREAM_IDS, Streams, exponential_draws, stream_id, uniform_draws


def draws(streams: Streams, name: str, *extra: int, n: int = 8) -> np.ndarray:
    return streams.get(name, *extra).random(n)


def test_same_seed_replication_and_name_give_the_same_numbers():
    np.testing.assert_array_equal(draws(Streams(42, 3), "calls"), draws(Streams(42, 3), "calls"))
    np.testing.assert_array_equal(draws(Streams(42, 3), "calls", 7),
                                  draws(Streams(42, 3), "calls", 7))


@pytest.mark.parametrize("other", [
    (43, 3, "calls", ()),        # another seed
    (42, 4, "calls", ()),        # another replication
    (42, 3, "payments", ()),     # another stream
    (42, 3, "calls", (1,)),      # a sub-stream
    (42, 3, "my_new_stream", ()),
])
def test_streams_differ(other):
    seed, replication, name, extra = other
    base = draws(Streams(42, 3), "calls")
    assert not np.array_equal(base, draws(Streams(seed, replication), name, *extra))


def test_all_table_streams_are_distinct():
    streams = Streams(7, 0)
    firsts = {name: tuple(draws(streams, name, n=4)) for name in STREAM_IDS}
    assert len(set(firsts.values())) == len(STREAM_IDS)


def test_get_returns_the_same_generator_within_a_replication():
    streams = Streams(1, 0)
    assert streams.get("calls") is streams.get("calls")
    assert streams.get("calls", 1) is streams.get("calls", 1)
    assert streams.get("calls") is not streams.get("calls", 1)
    first = streams.get("calls").random()
    second = streams.get("calls").random()
    assert first != second  # the stream advances, it is not re-created


def test_stream_ids_are_stable():
    assert stream_id("portfolio") == 1
    assert stream_id("calls") == 4
    assert stream_id("queue") == 13
    assert stream_id("brand_new") == 1000 + zlib.crc32(b"brand_new") % 1_000_000
    assert stream_id("brand_new") == stream_id("brand_new")
    assert stream_id("brand_new") not in STREAM_IDS.values()
    assert len(set(STREAM_IDS.values())) == len(STREAM_IDS)


@pytest.mark.parametrize("seed", [0, 12345, 2**62 + 17])
@pytest.mark.parametrize("replication", [0, 1, 5])
@pytest.mark.parametrize("name", ["portfolio", "calls", "queue", "brand_new"])
def test_stream_is_the_direct_address_of_a_spawned_child(seed, replication, name):
    streams = Streams(seed, replication)
    sequence = streams.sequence(name)
    assert sequence.entropy == seed
    assert tuple(sequence.spawn_key) == (replication, stream_id(name))
    direct = np.random.Generator(np.random.PCG64(
        np.random.SeedSequence(seed, spawn_key=(replication, stream_id(name)))))
    np.testing.assert_array_equal(streams.get(name).random(16), direct.random(16))


@pytest.mark.parametrize("replication", [0, 2])
@pytest.mark.parametrize("name", ["portfolio", "calls", "queue"])
def test_stream_equals_spawn_tree(replication, name):
    """``SeedSequence(seed).spawn(r + 1)[r]`` spawned to its ``stream_id(name)``-th child."""
    seed = 20260105
    per_replication = np.random.SeedSequence(seed).spawn(replication + 1)[replication]
    child = per_replication.spawn(stream_id(name) + 1)[stream_id(name)]
    ours = Streams(seed, replication).sequence(name)
    np.testing.assert_array_equal(ours.generate_state(8), child.generate_state(8))
    np.testing.assert_array_equal(Streams(seed, replication).get(name).random(8),
                                  np.random.Generator(np.random.PCG64(child)).random(8))


def test_sub_keys_extend_the_spawn_key():
    sequence = Streams(5, 1).sequence("scores", 99, 1)
    assert tuple(sequence.spawn_key) == (1, stream_id("scores"), 99, 1)


def test_negative_seed_or_replication_rejected():
    with pytest.raises(ValueError):
        Streams(-1, 0)
    with pytest.raises(ValueError):
        Streams(1, -1)


def _gen(seed: int = 3) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


def test_uniform_block_matches_generator_blocks():
    block = uniform_draws(_gen(), size=8)
    values = np.array([block() for _ in range(20)])
    reference = _gen()
    expected = np.concatenate([reference.random(8) for _ in range(3)])[:20]
    np.testing.assert_array_equal(values, expected)
    assert ((values >= 0.0) & (values < 1.0)).all()


def test_uniform_block_default_size_and_range():
    block = uniform_draws(_gen(9))
    values = np.array([block() for _ in range(20_000)])  # crosses a block boundary
    reference = _gen(9)
    expected = np.concatenate([reference.random(16384), reference.random(16384)])[:20_000]
    np.testing.assert_array_equal(values, expected)
    assert values.min() >= 0.0
    assert values.max() < 1.0
    assert abs(values.mean() - 0.5) < 4 * np.sqrt(1 / 12 / len(values))


def test_exponential_block_matches_generator_blocks():
    block = exponential_draws(_gen(), size=5)
    values = np.array([block() for _ in range(12)])
    reference = _gen()
    expected = np.concatenate([reference.standard_exponential(5) for _ in range(3)])[:12]
    np.testing.assert_array_equal(values, expected)
    assert (values >= 0).all()


def test_counter_uniforms_depend_only_on_key_index_and_counter():
    from sim.model.rng import counter_uniforms

    index = np.arange(1000)
    counter = np.arange(1000) % 7
    forward = counter_uniforms(99, index, counter)
    order = np.random.default_rng(0).permutation(1000)
    shuffled = counter_uniforms(99, index[order], counter[order])
    np.testing.assert_array_equal(forward[order], shuffled)
    assert not np.array_equal(forward, counter_uniforms(100, index, counter))
    assert not np.array_equal(forward, counter_uniforms(99, index, counter + 1))


def test_counter_uniforms_are_uniform_and_independent_across_counters():
    from scipy import stats

    from sim.model.rng import counter_uniforms

    n = 100_000
    first = counter_uniforms(7, np.arange(n), np.zeros(n))
    second = counter_uniforms(7, np.arange(n), np.ones(n))
    assert first.min() > 0.0 and first.max() < 1.0
    assert stats.kstest(first, "uniform").pvalue > 1e-3
    # correlation of independent uniforms has SE 1/sqrt(n)
    assert abs(np.corrcoef(first, second)[0, 1]) < 4 / np.sqrt(n)


def test_streams_key_is_stable_and_distinct():
    assert Streams(5, 1).key("payments", 1) == Streams(5, 1).key("payments", 1)
    assert Streams(5, 1).key("payments", 1) != Streams(5, 2).key("payments", 1)
    assert Streams(5, 1).key("payments", 1) != Streams(5, 1).key("payments", 2)
