"""转接与联动: the desk's transfer panel data, the sub-center list and the 联动台账 page."""
