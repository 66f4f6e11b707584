"""Stored files reach a browser only through `serve`, and only for whoever may read the row that holds them.

Each app registers, in its AppConfig.ready(), every model holding a file and who may read it: a function from the
user asking to the queryset of rows that user may read (one of the app's selectors), so a file follows exactly the
visibility of what it belongs to, and anything else is a 404. Files are opened through the storage API, never by
a filesystem path, so the same view serves them from object storage (django-storages) as from the local disk.

What the browser gets: `Content-Disposition: attachment` for everything but images Pillow recognises in a model
registered with `inline_images`; only content types our upload checks produce (text as text/plain, never HTML or
SVG); `X-Content-Type-Options: nosniff`; and a sandboxing CSP, so nothing inside a file can run as the site.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urljoin

from django.conf import settings
from django.db import models
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.urls import reverse
from PIL import Image, UnidentifiedImageError
from rest_framework import serializers

from kernel.uploads import DOCX

# The types the upload checks produce; any other stored type goes out as opaque bytes.
SENT_TYPES = {"application/pdf", "image/png", "image/jpeg", "text/plain", DOCX}
INLINE_IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
FILE_CSP = "default-src 'none'; img-src 'self'; sandbox"


@dataclass(frozen=True)
class _Readable:
    readable: Callable[..., QuerySet]
    field: str
    inline_images: bool


_registry: dict[str, _Readable] = {}


def register(
    model: type[models.Model],
    *,
    readable: Callable[..., QuerySet],
    field: str = "file",
    inline_images: bool = False,
) -> None:
    """Serve `model`'s `field` to the users for whom `readable(user)` holds the row (AnonymousUser included).

    `inline_images`: images Pillow recognises are shown in the page (portfolio pictures); otherwise every file
    of the model is a download."""
    _registry[model._meta.label_lower] = _Readable(readable=readable, field=field, inline_images=inline_images)


def url_for(instance: models.Model) -> str:
    kind = instance._meta.label_lower
    if kind not in _registry:
        raise LookupError(f"{kind} holds files but did not register who may read them (kernel.files.register)")
    return reverse("file", args=[kind, instance.pk])


def _image_type(handle) -> str | None:
    try:
        with Image.open(handle) as image:
            image_type = INLINE_IMAGE_TYPES.get(image.format or "")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        image_type = None
    handle.seek(0)
    return image_type


def serve(request, kind: str, pk: int):
    entry = _registry.get(kind)
    if entry is None:
        raise Http404
    row = entry.readable(request.user).filter(pk=pk).first()
    stored = getattr(row, entry.field) if row else None
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    image_type = _image_type(handle) if entry.inline_images else None
    content_type = image_type or getattr(row, "content_type", "")
    if content_type not in SENT_TYPES | set(INLINE_IMAGE_TYPES.values()):
        content_type = "application/octet-stream"
    elif content_type == "text/plain":
        content_type = "text/plain; charset=utf-8"
    response = FileResponse(
        handle,
        as_attachment=image_type is None,
        filename=getattr(row, "name", "") or PurePosixPath(stored.name).name,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private"
    return response


class FileUrlField(serializers.FileField):
    """A file in the API: written as an upload, read as the absolute URL of `serve` (the request's host, or
    SITE_URL when the serializer has no request)."""

    def to_representation(self, value):
        if not value:
            return None
        url = url_for(value.instance)
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else urljoin(settings.SITE_URL, url)
