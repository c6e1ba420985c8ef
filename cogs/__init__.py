"""The Discord surface: thin cogs that call the core in ``bot``."""
