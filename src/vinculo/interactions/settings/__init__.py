"""The administrators' settings of e-mail and web forms: mailboxes (with a connection test and
the inbound token), e-mail templates and public web forms."""
