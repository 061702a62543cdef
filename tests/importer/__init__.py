"""Tests of import copilot."""
