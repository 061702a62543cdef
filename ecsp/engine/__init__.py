"""The engine adapter: the only package that imports ``pulumi.automation``."""
