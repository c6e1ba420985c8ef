"""The Discord surface: thin cogs that call the core in ``bot``.

One folder per feature, loaded as one extension (``bot.client.EXTENSIONS``): its ``__init__`` holds
``setup`` and exports what other features may use; its ``_name`` modules are its own. A feature
small enough for one module is that module (``command_access``, ``alerts``).
"""
