"""Hypothesis state-machine tests of the services against a simple model."""
