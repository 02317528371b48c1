"""Prefect tasks: thin wrappers over Lianxin's plain functions, each working on a batch."""
