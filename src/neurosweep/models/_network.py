"""Random projections and event-driven spike delivery for spiking networks (pure JAX).

Connectivity is a table: row ``i`` lists the targets of presynaptic neuron ``i`` (its out-edges),
padded with a sentinel that lands in a discarded slot. It is drawn from an explicit key, so a
sweep point's network depends only on its seed, never on how the sweep was chunked.

Delivery is event-driven: only the neurons that spiked in the last step send anything. Their
indices are found with two small ``top_k`` calls (which 32-neuron words hold a spike, then which
neurons in them), their rows of the table are gathered and scattered into the targets' counts.
The number of spikes per step varies (a driven network's first step can carry hundreds), so a
fixed buffer takes them in passes until none is left: no spike is ever dropped, whatever the
activity, and the compiled program has one delivery path.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from neurosweep.models.base import pytree_dataclass

__all__ = ["Connectivity", "fixed_probability", "out_degree_bound", "deliver", "BUFFER_SIZE", "WORD"]

#: Spikes delivered per pass (per network of the batch); a step repeats passes until none is left.
BUFFER_SIZE = 16
#: Synaptic events are counted in integers (exact, and a cheaper scatter than float64).
COUNT_DTYPE = jnp.int32
#: Neurons per word in the two-level spike search.
WORD = 32
#: Out-degrees above mean + this many standard deviations are treated as impossible (and counted).
_TAIL_SIGMAS = 8.0


@pytree_dataclass
class Connectivity:
    """Out-edge table of one or more points.

    ``targets`` (..., n_pre + 1, max_out_degree) int32: target slot of each synapse, or the
    sentinel ``n_slots`` for padding (the extra row ``n_pre`` is all sentinel: the row a missing
    spike reads). ``out_degree`` (..., n_pre): synapses per presynaptic neuron in the table.
    ``truncated`` (...): rows filled to the table's width, which may have lost synapses (0 unless
    the bound of :func:`out_degree_bound` was reached, which is flagged, not hidden).
    """

    targets: jax.Array
    out_degree: jax.Array
    truncated: jax.Array


def out_degree_bound(n_post: int, p: float) -> int:
    """A table width no row exceeds in practice: mean + 8 sd of Binomial(n_post, p), at least 1."""
    mean = n_post * p
    return max(1, min(n_post, math.ceil(mean + _TAIL_SIGMAS * math.sqrt(mean * (1 - p)) + 1)))


def fixed_probability(key: jax.Array, n_pre: int, n_post: int, p: jax.Array, slot_offset: jax.Array, width: int, n_slots: int) -> Connectivity:
    """Every (pre, post) pair connected independently with probability ``p`` (BrainPy
    ``FixedProb``, self-connections included), as an out-edge table.

    Each row is a Bernoulli process drawn by its gaps: the distance from one target to the next
    is Geometric(p), so a row costs ``width`` draws instead of ``n_post``. A synapse from ``pre``
    to ``post`` increments slot ``post + slot_offset[pre]`` (e.g. ``n_post`` for inhibitory senders).
    """
    # Drawn flat and reshaped: the same numbers as a (n_pre, width) draw, and XLA compiles the
    # 1-D threefry kernel in about half the time (it dominates a cold start).
    uniform = jax.random.uniform(key, (n_pre * width,), minval=jnp.finfo(jnp.float32).tiny, maxval=1.0).reshape(n_pre, width)
    log_miss = jnp.log1p(-jnp.minimum(p, 1.0 - 1e-7))
    gaps = jnp.where(p > 0, jnp.floor(jnp.log(uniform) / log_miss) + 1.0, jnp.inf)
    gaps = jnp.where(p >= 1.0, 1.0, gaps)
    position = jnp.cumsum(gaps, axis=1) - 1.0  # 0-based index of each successive target
    present = position < n_post
    degree = jnp.sum(present, axis=1, dtype=jnp.int32)
    post = jnp.where(present, position, 0.0).astype(jnp.int32)
    targets = jnp.where(present, post + slot_offset[:, None], n_slots).astype(jnp.int32)
    targets = jnp.concatenate([targets, jnp.full((1, width), n_slots, jnp.int32)])
    # A full row may have had more targets than the table holds: flagged, never hidden.
    truncated = jnp.sum(present[:, -1])
    return Connectivity(targets=targets, out_degree=degree, truncated=truncated)


def _spiking_indices(spike: jax.Array, size: int) -> jax.Array:
    """Indices (point, size) of the spiking neurons of each point, padded with ``n`` (spike.shape[1]).

    The caller guarantees each point has at most ``size`` spikes in at most ``size`` words.
    """
    n_points, n = spike.shape
    padded = jnp.pad(spike, ((0, 0), (0, -n % WORD)))
    words = padded.reshape(n_points, -1, WORD)
    n_words = words.shape[1]
    word_size = min(size, n_words)
    word_found, word = jax.lax.top_k(jnp.any(words, axis=2).astype(jnp.float32), word_size)
    candidates = jnp.take_along_axis(words, word[:, :, None], axis=1) & (word_found[:, :, None] > 0)
    found, flat = jax.lax.top_k(candidates.reshape(n_points, -1).astype(jnp.float32), min(size, word_size * WORD))
    index = jnp.take_along_axis(word, flat // WORD, axis=1) * WORD + flat % WORD
    return jnp.where(found > 0, index, n).astype(jnp.int32)


def _scatter_rows(index: jax.Array, targets: jax.Array, n_slots: int) -> jax.Array:
    """Counts per slot (point, n_slots) of the synapses of the flat neuron indices ``index`` (k,).

    A flat index ``j`` is neuron ``j % n`` of point ``j // n``; ``n_points * n`` means "none".
    """
    n_points, n_rows, width = targets.shape  # n_rows = n + 1 (the last row is all sentinel)
    n = n_rows - 1
    point = index // n
    row = jnp.where(index < n_points * n, index + point, n_points * n_rows - 1)
    synapses = jnp.take(targets.reshape(n_points * n_rows, width), row, axis=0, mode="clip")  # k, width
    offset = (jnp.minimum(point, n_points - 1) * (n_slots + 1))[:, None]
    counts = jnp.zeros(n_points * (n_slots + 1), COUNT_DTYPE).at[(synapses + offset).reshape(-1)].add(1)
    return counts.reshape(n_points, n_slots + 1)[:, :n_slots]


def deliver(spike: jax.Array, targets: jax.Array, n_slots: int, dtype: jnp.dtype, buffer_size: int = BUFFER_SIZE) -> jax.Array:
    """Synaptic events per slot (point, n_slots) caused by ``spike`` (point, n_pre).

    The spikes of every point of the batch are searched together (a batch of quiet networks needs
    a buffer for their total, not one per point sized for the busiest): up to ``buffer_size``
    (times the batch, rounded up to a power of two) spikes per pass, passes repeated until every
    spike is delivered. A typical step is one pass; a volley of thousands takes several; none is
    ever dropped.
    """
    n_points, n = spike.shape
    size = min(buffer_size * (1 << max(n_points - 1, 0).bit_length()), n_points * n)

    def pending(carry: tuple) -> jax.Array:
        return jnp.any(carry[0])

    def one_pass(carry: tuple) -> tuple:
        remaining, counts = carry
        index = _spiking_indices(remaining, size)[0]
        counts = counts + _scatter_rows(index, targets, n_slots)
        return remaining.reshape(-1).at[index].set(False, mode="drop").reshape(remaining.shape), counts

    start = (spike.reshape(1, n_points * n), jnp.zeros((n_points, n_slots), COUNT_DTYPE))
    # A typical step's spikes fit in one pass: take it unconditionally, loop only over what is left.
    return jax.lax.while_loop(pending, one_pass, one_pass(start))[1].astype(dtype)
