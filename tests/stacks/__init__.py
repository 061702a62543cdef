"""Tests of the stack programs (stacks/) under Pulumi's mocks, against golden graphs."""
