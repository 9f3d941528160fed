"""The web UI: pages (agent desktop, customer, tasks, search, supervisor dashboard),
browser sessions and static assets. Above the domains: it reads users and proactive and
is mounted by its plugin."""
