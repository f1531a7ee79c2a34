"""E-mail building blocks for the interactions app, with no Django import: `parse` turns raw
RFC 5322 bytes into plain data (`message`: what it yields; `text`, `headers`, `bodies`: the
decoding it needs), `imap` reads a mailbox. The app's services store and thread."""
