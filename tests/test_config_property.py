"""Property: whatever a config holds, validation either accepts it or raises ConfigError naming a
key; it never crashes with another exception (OverflowError, TypeError, KeyError, ...)."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurosweep.experiments import ConfigError, parse_config

GOOD = {
    "model": "lif",
    "dt_ms": 0.1,
    "t_stop_ms": 10,
    "protocol": {"kind": "constant", "I": 22},
    "record": {"variables": ["V"], "every_ms": 1},
}

values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
keys = st.sampled_from(["model", "kind", "dt_ms", "t_stop_ms", "precision", "params", "protocol", "init", "sweep", "seeds", "record", "chunk_size", "analyses", "method", "device", "inputs", "plane", "guesses", "x"])
nested = st.sampled_from([("protocol", "kind"), ("protocol", "I"), ("params", "tau"), ("record", "every_ms"), ("record", "variables"), ("sweep", "grid"), ("sweep", "zip"), ("init", "V")])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(keys, values), max_size=3), st.lists(st.tuples(nested, values), max_size=3))
def test_any_config_is_accepted_or_rejected_with_a_config_error(top, inner):
    experiment = copy.deepcopy(GOOD)
    for key, value in top:
        experiment[key] = value
    for (section, key), value in inner:
        if isinstance(experiment.get(section), dict):
            experiment[section][key] = value
    try:
        parse_config({"experiments": {"x": experiment}})
    except ConfigError as error:
        assert str(error).split(":")[0], error
