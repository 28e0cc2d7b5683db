"""SMS gateway: an adapter interface, a log-only default and an HTTP adapter; an outbox logs every message."""
from .gateway import HttpSms, LogOnlySms, SmsError, SmsGateway, make_gateway
from .outbox import SmsOutbox

__all__ = ["HttpSms", "LogOnlySms", "SmsError", "SmsGateway", "SmsOutbox", "make_gateway"]
