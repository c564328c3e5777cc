"""Proactive notifications: what to tell an owner, when, and how, from what the service noticed."""
