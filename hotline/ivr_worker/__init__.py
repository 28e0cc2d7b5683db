"""The IVR worker: FastAGI (the `ivr` and `survey` routes) served from its own OS process.

`hotline run` and `hotline demo` start it and restart it when it dies (`supervisor.py`, in the
engine process); `worker.py` is the process itself, with its own database engine, caches, speech
model, draft spool and a read-only AMI view of the floor; `messages.py` is what the two say to each
other over one Unix socket pair. docs/architecture.md, "The IVR worker".
"""
