"""热点与预警 (issue 16.6): counts of tickets by category × district × day/week from the ticket store,
a spike detector raising early warnings for supervisors, the /reports/hotspots page and its CSV."""
