"""工单查询 (issue 12.7): a ticket list with filters and paging, and a ticket page with the whole
timeline, for every role; each sees only the tickets it reaches (ticketdesk/access.py)."""
