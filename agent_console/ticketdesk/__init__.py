"""工单登记: the agent completes the call's draft, answers it (直接办结) or dispatches it, all via TicketService."""
