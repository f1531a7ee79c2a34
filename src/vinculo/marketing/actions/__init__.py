"""The next-best action for key customers: documented rules over the latest analytics snapshot
and the customer's activity suggest a call, a visit or a campaign, with the reason in words;
people accept or dismiss them, and the outcomes give each rule its hit rate."""
