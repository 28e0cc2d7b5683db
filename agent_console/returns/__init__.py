"""派单异议审核 (/center/returns): the center's queue of returned tickets, re-dispatched or rejected."""
