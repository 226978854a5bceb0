"""Agents: sinks (stake, register, commit-reveal capacity) and sources (deposit, stream)."""
