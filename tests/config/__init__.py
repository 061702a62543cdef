"""Tests of ecsp.config, the loader, names and the value helpers."""
