"""Rule regimes as data: one TOML file per regime, each rule with its source.

Each file holds the regime's ``title``, its ``sources`` and two tables of ``[rules]`` fields:
``third_party`` (what binds collection agencies working for the bank) and ``first_party``
(what binds the bank's own collectors). :mod:`sim.config.schema.rules` reads them as presets.
"""
