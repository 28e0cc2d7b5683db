"""The password policy an administrator sets: length, character classes, reuse, expiry.

Pure rules; the account service applies them and the admin page edits them (stored in
`console_setting` under `password_policy`, defaults from the `[console]` config).
Messages are for the person typing the password, in Chinese.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

MAX_LENGTH = 256
CLASS_NAMES = ("小写字母", "大写字母", "数字", "符号")


class WeakPassword(ValueError):
    error_id = "account.weak_password"


class PolicyError(ValueError):
    """An admin's policy edit that cannot be applied (field, Chinese message)."""

    error_id = "console.admin.password_policy"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def character_classes(password: str) -> int:
    """How many of lowercase, uppercase, digits and other characters (symbols, Chinese...) appear."""
    return sum((any(c.islower() and c.isascii() for c in password),
                any(c.isupper() and c.isascii() for c in password),
                any(c.isdigit() and c.isascii() for c in password),
                any(not (c.isascii() and c.isalnum()) for c in password)))


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 10
    min_classes: int = 2        # of lowercase, uppercase, digits, symbols
    history: int = 5            # a new password may not be one of the last N (0: not checked)
    max_age_days: int = 0       # a password older than this must be changed at login (0: never)

    def __post_init__(self) -> None:
        for name, low, high in (("min_length", 8, 128), ("min_classes", 1, 4), ("history", 0, 24),
                                ("max_age_days", 0, 3650)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise PolicyError(name, f"{FIELD_LABELS[name]}应为 {low} 到 {high} 之间的整数")

    def check(self, password: str) -> None:
        """Raises WeakPassword with the first rule the password breaks."""
        if len(password) < self.min_length:
            raise WeakPassword(f"密码至少需要 {self.min_length} 个字符")
        if len(password) > MAX_LENGTH:
            raise WeakPassword(f"密码不能超过 {MAX_LENGTH} 个字符")
        found = character_classes(password)
        if found < self.min_classes:
            raise WeakPassword(f"密码需包含{'、'.join(CLASS_NAMES)}中的至少 {self.min_classes} 类（现在只有 {found} 类）")

    def expired(self, changed_at: datetime | None, now: datetime) -> bool:
        return bool(self.max_age_days) and changed_at is not None and \
            now - changed_at >= timedelta(days=self.max_age_days)

    def describe(self) -> str:
        """The rules in one Chinese sentence, for the forms."""
        parts = [f"至少 {self.min_length} 个字符", f"包含{'、'.join(CLASS_NAMES)}中的至少 {self.min_classes} 类"]
        if self.history:
            parts.append(f"不能与最近 {self.history} 次用过的密码相同")
        if self.max_age_days:
            parts.append(f"每 {self.max_age_days} 天需修改一次")
        return "；".join(parts)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data) -> PasswordPolicy:
        if not isinstance(data, dict):
            raise PolicyError("body", "请求格式错误")
        unknown = sorted(set(data) - set(FIELD_LABELS))
        if unknown:
            raise PolicyError(unknown[0], f"未知的设置项：{unknown[0]}")
        values = {}
        for name in FIELD_LABELS:
            value = data.get(name, getattr(cls, name))
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value.strip())
            values[name] = value
        return cls(**values)


FIELD_LABELS = {"min_length": "最短长度", "min_classes": "字符类别数", "history": "禁止重复使用的历史密码数",
                "max_age_days": "密码有效期（天）"}
