"""People: users, their access to assets, API tokens, share links, public profiles, and the
audit trail of what they did."""
