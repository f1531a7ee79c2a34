"""The administrators' settings of the service desk: queues, SLA policies and business
calendars with their holidays."""
