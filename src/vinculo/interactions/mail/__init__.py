"""E-mail building blocks for the interactions app, with no Django import: `parse` turns raw
RFC 5322 bytes into plain data, `imap` reads a mailbox. The app's services store and thread."""
