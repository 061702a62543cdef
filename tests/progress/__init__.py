"""Tests of progress events, reporters and the plan views."""
