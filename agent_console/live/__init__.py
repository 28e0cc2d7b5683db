"""Live updates to open pages over websockets, batched."""
