"""The HTTP façade: aiohttp app, middlewares, envelope, and one module per resource group."""
