"""The WeChat platform's safe mode (安全模式, encrypt_type=aes): pure, with the `cryptography` library.

As documented (消息加解密说明): AESKey = Base64_Decode(EncodingAESKey + "="), 32 bytes; AES-256-CBC with
IV = AESKey[:16]; the plaintext is random(16) + len(msg) as 4 bytes big-endian + msg + AppID, padded
PKCS#7 to a 32-byte block (not AES's 16). The body carries the ciphertext Base64 in <Encrypt>, and
msg_signature = sha1 of the sorted [token, timestamp, nonce, Encrypt] joined. A message whose AppID is
not ours is refused: another account's key must not feed our drafts.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK_BITS = 32 * 8


class CryptoRefused(ValueError):
    """Cannot be decrypted (400) or is not for our AppID (`foreign`, 403); nothing stored."""

    def __init__(self, reason: str, *, foreign: bool = False) -> None:
        super().__init__(reason)
        self.foreign = foreign


def msg_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode("utf-8")).hexdigest()


def msg_signed(token: str, timestamp: str | None, nonce: str | None, encrypt: str, given: str | None) -> bool:
    if not token or not timestamp or not nonce or not given or len(given) != 40:
        return False
    return hmac.compare_digest(msg_signature(token, timestamp, nonce, encrypt), given.lower())


def aes_key(encoding_aes_key: str) -> bytes:
    """The 43-character EncodingAESKey set on the platform → the 32-byte AES key (ValueError if not)."""
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("wechat.encoding_aes_key: 43 Base64 characters expected") from None
    if len(encoding_aes_key) != 43 or len(key) != 32:
        raise ValueError("wechat.encoding_aes_key: 43 Base64 characters expected")
    return key


class WechatCrypto:
    def __init__(self, encoding_aes_key: str, appid: str) -> None:
        if not appid:
            raise ValueError("wechat.appid is required for the safe mode")
        self._key, self.appid = aes_key(encoding_aes_key), appid

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def encrypt(self, message: bytes, nonce16: bytes | None = None) -> str:
        plain = (nonce16 or os.urandom(16)) + struct.pack(">I", len(message)) + message + self.appid.encode()
        padder = padding.PKCS7(BLOCK_BITS).padder()
        padded = padder.update(plain) + padder.finalize()
        enc = self._cipher().encryptor()
        return base64.b64encode(enc.update(padded) + enc.finalize()).decode()

    def decrypt(self, encrypt: str) -> bytes:
        try:
            data = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise CryptoRefused("Encrypt is not Base64") from None
        if not data or len(data) % 16:
            raise CryptoRefused("ciphertext is not whole AES blocks")
        dec = self._cipher().decryptor()
        padded = dec.update(data) + dec.finalize()
        unpadder = padding.PKCS7(BLOCK_BITS).unpadder()
        try:
            plain = unpadder.update(padded) + unpadder.finalize()
        except ValueError:
            raise CryptoRefused("bad padding (wrong key?)") from None
        if len(plain) < 20:
            raise CryptoRefused("plaintext too short")
        (size,) = struct.unpack(">I", plain[16:20])
        if 20 + size > len(plain):
            raise CryptoRefused("length field past the end")
        message, appid = plain[20:20 + size], plain[20 + size:]
        if not hmac.compare_digest(appid, self.appid.encode()):
            raise CryptoRefused("AppID is not ours", foreign=True)
        return message
