"""The provider-neutral conversation: plain text turns, optionally with one image."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Literal, get_args
from artifacts.errors import KilnError

MAX_IMAGE_BYTES = 5 * 1024 * 1024
ImageType = Literal["image/png", "image/jpeg", "image/webp"]
IMAGE_TYPES: tuple[str, ...] = get_args(ImageType)  # what a model is shown


class ImageRejected(KilnError, ValueError):
    status = 415

    @property
    def message(self) -> str:
        return f"That image cannot be used: {self}"


@dataclass(frozen=True)
class Image:
    data: bytes
    media_type: ImageType

    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    def data_url(self) -> str:
        return f"data:{self.media_type};base64,{self.base64()}"


def sniff_image_type(data: bytes) -> ImageType | None:
    """The media type by magic bytes; a declared type or file name is never trusted."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def load_image(data: bytes, limit: int = MAX_IMAGE_BYTES) -> Image:
    if not data:
        raise ImageRejected("The image is empty.")
    if len(data) > limit:
        raise ImageRejected(f"The image is {len(data) / 1048576:.1f} MB; the limit is "
                            f"{limit / 1048576:.0f} MB.")
    media_type = sniff_image_type(data)
    if media_type is None:
        raise ImageRejected("The image must be a PNG, JPEG or WebP file.")
    return Image(data, media_type)


@dataclass(frozen=True)
class Message:
    role: Literal["user", "assistant"]
    text: str
    image: Image | None = None


def user(text: str, image: Image | None = None) -> Message:
    return Message("user", text, image)


def assistant(text: str) -> Message:
    return Message("assistant", text)
