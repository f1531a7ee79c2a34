"""The organisation's people, administered in the product: users (invited by a one-time link,
given a role and a team, deactivated — never deleted), teams and their leads.

``services`` holds every write and its guards (the last administrator, no role above one's
own), ``selectors`` the reads, ``mail`` the invitation and password-reset e-mails, which go
through the outgoing e-mail queue (``core.mailqueue``).
"""
