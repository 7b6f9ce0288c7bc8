"""Experiment configurations as code."""
