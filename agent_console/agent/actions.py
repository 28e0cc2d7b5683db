"""The AMI actions an agent's buttons send: queue membership lives in queues/member_actions.py."""
from queues.member_actions import AddMember, PauseMember, RemoveMember, send

__all__ = ["AddMember", "PauseMember", "RemoveMember", "send"]
