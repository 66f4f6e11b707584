"""Uploaded files, for every app that takes them: the check by content, not by name (the first bytes decide the
type, the size is capped by a setting), random stored names, the stored row's common fields, and the form field
taking several files. Serving them is kernel.files'."""

import io
import secrets
import zipfile

from django import forms
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible

from kernel.errors import DomainError

ALLOWED_TYPES_TEXT = "PDF, PNG, JPEG, plain text or Word (.docx)"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def sniff_content_type(head: bytes, read_all) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"PK\x03\x04"):
        # Any zip starts like this; a .docx is a zip holding the Word document part.
        try:
            with zipfile.ZipFile(io.BytesIO(read_all())) as archive:
                return DOCX if "word/document.xml" in archive.namelist() else None
        except zipfile.BadZipFile:
            return None
    data = read_all()
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain"


def check_upload(uploaded) -> str:
    """The content type of `uploaded` if it is small enough and of an allowed kind; a DomainError otherwise."""
    if uploaded.size > settings.MAX_UPLOAD_BYTES:
        limit_mb = settings.MAX_UPLOAD_BYTES / (1024 * 1024)
        raise DomainError("upload_too_large", f"“{uploaded.name}” is larger than {limit_mb:g} MB.", status=400)
    if uploaded.size == 0:
        raise DomainError("upload_empty", f"“{uploaded.name}” is empty.", status=400)

    def read_all() -> bytes:
        uploaded.seek(0)
        return uploaded.read()

    uploaded.seek(0)
    head = uploaded.read(16)
    content_type = sniff_content_type(head, read_all)
    uploaded.seek(0)
    if content_type is None:
        raise DomainError(
            "upload_type", f"“{uploaded.name}” is not a file type we accept ({ALLOWED_TYPES_TEXT}).", status=400
        )
    return content_type


@deconstructible
class RandomName:
    """`upload_to` for every stored file: `<folder>/<year>/<month>/<random>`. The uploader's name never becomes
    the stored name (it is kept in the row for the download), so stored names can be neither guessed nor chosen."""

    def __init__(self, folder: str):
        self.folder = folder

    def __call__(self, instance, filename: str) -> str:
        return f"{self.folder}/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"

    def __eq__(self, other):
        return isinstance(other, RandomName) and other.folder == self.folder


class StoredFile(models.Model):
    """A checked upload as stored: the file, its original name and the content type `check_upload` found.

    Each concrete model adds its owner and its own `file` field (the folder it is stored under)."""

    file = models.FileField(upload_to=RandomName("uploads"))
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self):
        return self.name


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); each is checked by content in the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []
