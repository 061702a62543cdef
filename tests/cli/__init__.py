"""Tests of the command line, the README and the examples."""
