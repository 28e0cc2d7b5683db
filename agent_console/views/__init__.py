"""Console pages and JSON endpoints, one module per area (login, home, agent...)."""
