"""The Starlette app and composition root: settings, auth, lifespan, health, CLI."""
