"""Tests of the engine adapter, the orchestrator, the plan cache and the real pulumi CLI."""
