"""Benchmarks: the data generator (``seed_data``) and the runner (``run``). Not part of the app."""
