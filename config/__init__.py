"""Settings and shipped defaults: sources, rules, channels, message templates."""

from config.settings import Settings, get_settings

__all__ = ["Settings", "get_settings"]
