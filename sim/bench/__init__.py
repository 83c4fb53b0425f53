"""Benchmarks of the model, the SimPy kernel and the inbound queue (``collectsim bench``)."""
