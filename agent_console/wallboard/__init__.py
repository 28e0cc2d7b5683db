"""班长监控大屏: waiting calls, agents by state and the GB/T 33358 figures, live, per queue and center-wide."""
