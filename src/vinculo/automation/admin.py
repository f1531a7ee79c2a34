"""Exception rules are edited on their settings page and through the API, not in the admin."""
