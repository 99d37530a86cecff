"""The use cases that the CLI and the Makefile call, one module per step of the pipeline.

Each reads what the step before it stored, so any step can be rerun alone.
"""
