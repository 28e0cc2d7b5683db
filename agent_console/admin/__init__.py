"""系统管理: merged hotlines and their queues, preview of the rendered Asterisk config, apply with a reload."""
