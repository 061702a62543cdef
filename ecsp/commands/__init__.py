"""CLI subcommands, one module per group; each has ``register(subparsers, common)``.

Modules import only argparse at import time so ``ecsp --help`` stays fast.
"""
