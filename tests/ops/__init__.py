"""Tests of the operations commands (status, logs, show, pipelines) against moto."""
