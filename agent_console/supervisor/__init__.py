"""班长台: listen, whisper and barge on an agent's call (ChanSpy), force pause and force log-out."""
