"""Transfers from the agent's console: 12345–110 emergency linkage (blind or three-way) and
sub-center transfers, built on AMI action objects and followed through AMI events; the linkage
ledger. Wiring: `transfer.routes.setup_transfer(app)`."""
