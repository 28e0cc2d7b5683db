"""来电弹屏: what an agent sees when a call rings at their phone, pushed over the desk's websocket."""
