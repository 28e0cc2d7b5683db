"""What an agent is told when a queue action fails: Chinese first, Asterisk's words kept."""
from __future__ import annotations

from hotline.ami.errors import AmiActionError, AmiClosed, AmiConnectionLost, AmiError, AmiNotConnected, AmiTimeout

# Asterisk 22 answers (trace facts 18) -> what the agent reads.
ASTERISK_MESSAGES = {
    "Unable to add interface: Already there": "已在该队列中，无需重复签入",
    "Unable to add interface to queue: No such queue": "交换机上没有这个队列",
    "Unable to remove interface: Not there": "不在该队列中，无需签出",
    "Unable to remove interface from queue: No such queue": "交换机上没有这个队列",
    "Member not dynamic": "该成员是静态配置的，不能在控制台签出",
    "Interface not found": "话机未签入任何队列，无法示忙/示闲",
}


class DeskError(Exception):
    """A refused or failed desk action; ``message`` is shown to the agent as is."""

    def __init__(self, error_id: str, message: str, status: int = 409, detail: str = "") -> None:
        super().__init__(f"{error_id}: {message} {detail}".strip())
        self.error_id = error_id
        self.message = message
        self.status = status
        self.detail = detail


def from_ami(exc: AmiError) -> DeskError:
    if isinstance(exc, AmiActionError):
        text = ASTERISK_MESSAGES.get(exc.message, f"交换机拒绝了操作：{exc.message}")
        return DeskError("console.ami.refused", text, 409, exc.message)
    if isinstance(exc, AmiNotConnected):
        return DeskError("console.ami.not_connected", "未连接到交换机，操作没有执行，请稍后重试", 503, str(exc))
    if isinstance(exc, AmiConnectionLost):
        return DeskError("console.ami.connection_lost", "与交换机的连接中断，操作结果未知，请查看当前状态", 503,
                         str(exc))
    if isinstance(exc, AmiTimeout):
        return DeskError("console.ami.timeout", "交换机没有及时响应，操作结果未知，请查看当前状态", 504, str(exc))
    if isinstance(exc, AmiClosed):
        return DeskError("console.ami.closed", "交换机连接已关闭，操作没有执行", 503, str(exc))
    return DeskError("console.ami.error", "交换机操作失败", 502, str(exc))
