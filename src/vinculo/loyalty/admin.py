"""Loyalty has no admin pages: programmes are edited in Settings and the API."""
