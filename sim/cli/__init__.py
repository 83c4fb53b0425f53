"""The ``collectsim`` command: one module per group of sub-commands."""
