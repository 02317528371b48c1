"""Reminders: digests per cadre and stage, channels that deliver them, and the ledger."""
