"""Users of the web UI (agents, technicians, back office, supervisors, admins) and their
browser sessions."""
