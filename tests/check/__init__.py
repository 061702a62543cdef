"""Tests of ecsp check (AWS models, IAM, AWSGuard), cost and diagrams."""
