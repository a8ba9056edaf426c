"""Projections: how the spikes (or synaptic variables) of one population reach another.

Three structures, each the cheapest exact computation of its kind:

* **fixed probability** (``fixed_probability`` + ``deliver``): every (pre, post) pair connected
  independently with probability p, as an out-edge table drawn from an explicit key (a point's
  network depends only on its seed); delivery is event-driven (only the neurons that spiked send
  anything) and exact: no spike is ever dropped, whatever the activity.
* **all-to-all with weights uniform within each pair of groups** (``group_sums`` +
  ``group_input``): the input to a neuron of group g is ``sum_h W[h, g] S_h`` with ``S_h`` the sum
  of the presynaptic variable over group h, O(N) work per step instead of O(N^2);
  ``dense_input`` is the general weight-matrix product for any other structure (and the reference
  the group sums are tested against).
* **one-to-one**: neuron i drives neuron i (an elementwise product: nothing to write).

Delays are whole steps through a ring buffer (``DelayLine``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from neurosweep.models.base import pytree_dataclass

__all__ = [
    "BUFFER_SIZE",
    "COUNT_DTYPE",
    "LATER_BUFFER_SIZE",
    "DelayLine",
    "deliver",
    "delay_line",
    "dense_input",
    "fixed_probability",
    "group_input",
    "group_sums",
    "out_degree_bound",
]

#: Spikes delivered by a step's first pass (most steps of an asynchronous network have fewer).
BUFFER_SIZE = 16
#: Spikes delivered by each further pass, repeated until none is left: a volley (a synchronous
#: or runaway network, 100 spikes a step and more) pays a pass's fixed cost a quarter as often.
#: E/I grid chunk of runaway points (w_inh <= 2, 190 Hz): 4.3 -> 3.9 s; 16 to 64 tried, 128 slower.
LATER_BUFFER_SIZE = 64
#: Synaptic events are counted in integers (exact, and a cheaper scatter than float64).
COUNT_DTYPE = jnp.int32
#: Neurons per word in the two-level spike search.
WORD = 32
#: Out-degrees above mean + this many standard deviations are treated as impossible (and counted).
_TAIL_SIGMAS = 8.0


# --------------------------------------------------------------------------- fixed probability


def out_degree_bound(n_post: int, p: float) -> int:
    """A table width no row exceeds in practice: mean + 8 sd of Binomial(n_post, p), at least 1."""
    mean = n_post * p
    return max(1, min(n_post, math.ceil(mean + _TAIL_SIGMAS * math.sqrt(mean * (1 - p)) + 1)))


def fixed_probability(
    key: jax.Array, n_pre: int, n_post: int, p: jax.Array, slot_offset: jax.Array, width: int, n_slots: int
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Every (pre, post) pair connected independently with probability ``p`` (BrainPy
    ``FixedProb``, self-connections included), as an out-edge table.

    Returns ``(targets, out_degree, truncated)``: ``targets`` (n_pre + 1, width) int32 lists the
    slot of each synapse, padded with ``n_slots`` (a discarded slot; the last row is all padding,
    the row of "no neuron"); a synapse from ``pre`` to ``post`` increments slot
    ``post + slot_offset[pre]`` (e.g. ``n_post`` for inhibitory senders). ``truncated`` counts
    rows filled to the width, which may have lost synapses (flagged, never hidden).

    Each row is a Bernoulli process drawn by its gaps: the distance from one target to the next
    is Geometric(p), so a row costs ``width`` draws instead of ``n_post``.
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
    return targets, degree, jnp.sum(present[:, -1])


def _spiking_indices(spike: jax.Array, size: int) -> jax.Array:
    """Indices (size,) of up to ``size`` spiking neurons of ``spike`` (n,), padded with n.

    Two small ``top_k`` calls: which 32-neuron words hold a spike, then which neurons in them.
    """
    n = spike.shape[0]
    words = jnp.pad(spike, (0, -n % WORD)).reshape(-1, WORD)
    word_size = min(size, words.shape[0])
    word_found, word = jax.lax.top_k(jnp.any(words, axis=1).astype(jnp.float32), word_size)
    candidates = words[word] & (word_found[:, None] > 0)
    found, flat = jax.lax.top_k(candidates.reshape(-1).astype(jnp.float32), min(size, word_size * WORD))
    index = word[flat // WORD] * WORD + flat % WORD
    return jnp.where(found > 0, index, n).astype(jnp.int32)


def deliver(
    spike: jax.Array, targets: jax.Array, n_slots: int, dtype: jnp.dtype, buffer_size: int = BUFFER_SIZE, later_size: int = LATER_BUFFER_SIZE
) -> jax.Array:
    """Synaptic events per slot (n_slots,) caused by ``spike`` (n_pre,) through the table ``targets``.

    Up to ``buffer_size`` spikes in a first pass, then ``later_size`` per pass, passes repeated
    until every spike is delivered: a typical step is one pass, a volley of thousands takes
    several, none is ever dropped. The counts are integers: any split gives the same.
    """
    n = spike.shape[0]

    def one_pass(carry: tuple, size: int) -> tuple:
        remaining, counts = carry
        index = _spiking_indices(remaining, size)
        synapses = jnp.take(targets, index, axis=0, mode="clip")  # index n: the all-padding row
        counts = counts.at[synapses.reshape(-1)].add(1, mode="drop")  # slot n_slots (padding) is dropped
        return remaining.at[index].set(False, mode="drop"), counts

    start = (spike, jnp.zeros(n_slots, COUNT_DTYPE))
    # A typical step's spikes fit in one pass: take it unconditionally, loop only over what is left.
    first = one_pass(start, min(buffer_size, n))
    return jax.lax.while_loop(lambda carry: jnp.any(carry[0]), lambda carry: one_pass(carry, min(later_size, n)), first)[1].astype(dtype)


# --------------------------------------------------------------------------- all-to-all


def group_sums(values: jax.Array, bounds: Sequence[tuple[int, int]]) -> jax.Array:
    """Sums (n_groups, ...) of ``values`` (n, ...) over the contiguous groups ``[start, stop)``."""
    return jnp.stack([jnp.sum(values[start:stop], axis=0) for start, stop in bounds])


def group_input(sums: jax.Array, weights: jax.Array, post_group: np.ndarray) -> jax.Array:
    """Per postsynaptic neuron, ``sum_h weights[h, g] sums[h]`` for its group g (all-to-all,
    weights uniform within each pair of groups): O(groups^2 + N), not O(N^2)."""
    return (sums @ weights)[post_group]


def dense_input(values: jax.Array, weights: jax.Array) -> jax.Array:
    """Per postsynaptic neuron, ``sum_i weights[i, j] values[i]``: any all-to-all structure (O(N^2))."""
    return values @ weights


# --------------------------------------------------------------------------- delays


@pytree_dataclass
class DelayLine:
    """A ring buffer of the last ``d`` pushed values: what is pushed at step k is read at step k + d.

    Within a step, read first (:attr:`delayed`), then :meth:`push` this step's value. ``d = 1`` is
    the course's ``delay = 0``: projections run before neurons, so they see the previous step.
    """

    buffer: jax.Array  # (d, ...)
    head: jax.Array  # int32: the slot read now and overwritten by the next push

    @property
    def delayed(self) -> jax.Array:
        if self.buffer.shape[0] == 1:  # one step: no ring to index (a few ops less per step)
            return self.buffer[0]
        return self.buffer[self.head]

    def push(self, value: jax.Array) -> "DelayLine":
        d = self.buffer.shape[0]
        if d == 1:
            return DelayLine(buffer=value[None], head=self.head)
        return DelayLine(buffer=self.buffer.at[self.head].set(value), head=(self.head + 1) % d)


def delay_line(initial: jax.Array, n_steps: int) -> DelayLine:
    """A delay of ``n_steps`` >= 1 steps, as if ``initial`` had been pushed at every earlier step."""
    if n_steps < 1:
        raise ValueError(f"a delay line needs n_steps >= 1, got {n_steps}")
    return DelayLine(buffer=jnp.broadcast_to(initial, (n_steps, *jnp.shape(initial))), head=jnp.zeros((), jnp.int32))
