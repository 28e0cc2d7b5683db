"""The agent's desk: queue log-in/out and pause through AMI, state from the live floor."""
