"""Photos in S3-compatible object storage: ``FIELDCHECK_BLOB_URL=s3://bucket/prefix``.

Each blob key is one object named ``prefix/key``. ``put`` is a single PutObject, which S3 and its
imitations (MinIO, Tencent COS, Baidu BOS, Aliyun OSS) apply atomically: a reader sees the whole
object or none. Every put sends ``Content-MD5`` (the server refuses bytes damaged on the way) and
records the SHA-256 of the bytes as ``x-amz-meta-sha256``, so comparing a blob with bytes in hand,
and verifying a copy (``fieldcheck blobs migrate``), needs only a HEAD.

Settings (read by :func:`fieldcheck.storage.store_from_config`): ``S3_ENDPOINT_URL`` (unset for AWS),
``S3_REGION``, ``S3_ADDRESSING`` (``path``, ``virtual`` or unset for botocore's choice) and
``S3_CHECKSUMS`` (``when_required`` for stores that refuse AWS's newer CRC checksum headers, such as
Aliyun OSS; ``when_supported``, botocore's default, otherwise). Credentials come from the standard AWS
variables (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_PROFILE``).

A store that cannot be reached, or refuses us, raises :class:`~fieldcheck.storage.StorageUnavailable`
(an ``OSError``, as a full disk is for the folder store): the app answers 503 ``storage_unavailable``.
Timeouts are short and retries few, so a store that is down fails a request in seconds, not minutes.

The only "temporary parts" an object store has are multipart uploads that were started and never
completed or aborted (this store never starts one; other tools may). They are listed and aborted by
``fieldcheck blobs check --sweep``; a bucket lifecycle rule (AbortIncompleteMultipartUpload) does the
same on the store's side.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from .storage import (
    BlobConflict,
    BlobNotFound,
    InvalidBlobKey,
    StorageUnavailable,
    StoredFile,
    validate_key,
)

__all__ = ["S3BlobStore", "parse_s3_url", "s3_store_from_config"]

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_UPLOAD = "?uploadId="  # separates key and upload id in a temporary part's name (a key has no "?")
SHA256_METADATA = "sha256"  # x-amz-meta-sha256: the hex SHA-256 of the object's bytes
PRESIGN_SECONDS = 60
_NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchUpload"}


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ``("bucket", "some/prefix/")``; the prefix may be empty."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not _BUCKET.fullmatch(parts.netloc or "") or parts.query or parts.fragment:
        raise ValueError(f"FIELDCHECK_BLOB_URL {url!r} is not s3://bucket or s3://bucket/prefix")
    prefix = parts.path.strip("/")
    if prefix:
        try:
            validate_key(prefix)  # the same safe segments as a key
        except InvalidBlobKey as exc:
            raise ValueError(f"FIELDCHECK_BLOB_URL {url!r}: the prefix is not a safe path ({exc})") from None
        prefix += "/"
    return parts.netloc, prefix


def _content_type(key: str) -> str:
    return "image/jpeg" if key.endswith(".jpg") else "application/octet-stream"


def _md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


class _Body(io.RawIOBase):
    """The streaming body of a GetObject, as a file object that knows its size and ETag."""

    def __init__(self, body: Any, size: int | None, etag: str | None) -> None:
        super().__init__()
        self._body = body
        self.size = size
        self.etag = etag

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            return self._body.read(None if size is None or size < 0 else size)
        except Exception as exc:
            raise StorageUnavailable(f"reading from object storage failed: {exc}") from exc

    def readinto(self, buffer) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3BlobStore:
    """Blobs as objects in one bucket under one prefix (see the module docstring)."""

    def __init__(self, client: Any, bucket: str, prefix: str = "", *, health_client: Any = None) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self._health_client = health_client or client

    def __repr__(self) -> str:
        return f"S3BlobStore('s3://{self.bucket}/{self.prefix}')"

    # -- naming and errors ------------------------------------------------------------------------

    def object_name(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def _call(self, operation: str, **params: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, operation)(Bucket=self.bucket, **params)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            if code in _NOT_FOUND or (status == "404" and code != "NoSuchBucket"):
                raise BlobNotFound(params.get("Key", "")) from None
            if code == "BadDigest":
                raise StorageUnavailable(f"object storage received damaged bytes ({operation})") from exc
            raise StorageUnavailable(f"object storage refused {operation}: {code or status}") from exc
        except BotoCoreError as exc:  # connection refused, timeouts, no credentials ...
            raise StorageUnavailable(f"object storage is not reachable ({operation}): {exc}") from exc

    def _head(self, key: str) -> dict:
        return self._call("head_object", Key=self.object_name(key))

    # -- the BlobStore protocol --------------------------------------------------------------------

    def put(self, key: str, data: bytes, *, overwrite: bool = False) -> None:
        name = self.object_name(key)
        data = bytes(data)
        sha = hashlib.sha256(data).hexdigest()
        if not overwrite:
            try:
                head = self._head(key)
            except BlobNotFound:
                pass
            else:
                if not self._same(key, head, data, sha):
                    raise BlobConflict(f"a different blob already exists under {key!r}")
                # The same bytes again: written again, which refreshes LastModified (the sweeper's clock).
        self._call(
            "put_object",
            Key=name,
            Body=data,
            ContentMD5=_md5_b64(data),
            ContentType=_content_type(key),
            Metadata={SHA256_METADATA: sha},
        )

    def _same(self, key: str, head: dict, data: bytes, sha: str) -> bool:
        if head.get("ContentLength") != len(data):
            return False
        recorded = (head.get("Metadata") or {}).get(SHA256_METADATA)
        if recorded:
            return recorded == sha
        return self.get(key) == data  # written by another tool: compare the bytes

    def get(self, key: str) -> bytes:
        with self.open(key) as fh:
            return fh.read()

    def open(self, key: str) -> BinaryIO:
        answer = self._call("get_object", Key=self.object_name(key))
        return _Body(answer["Body"], answer.get("ContentLength"), answer.get("ETag"))  # type: ignore[return-value]

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except BlobNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        with contextlib.suppress(BlobNotFound):
            self._call("delete_object", Key=self.object_name(key))

    def keys(self, prefix: str = "") -> Iterator[str]:
        found = []
        for page in self._pages("list_objects_v2", "Contents", Prefix=self.prefix + prefix):
            for item in page:
                key = item["Key"][len(self.prefix) :]
                try:
                    found.append(validate_key(key))
                except InvalidBlobKey:  # strangers another tool put in the bucket
                    continue
        yield from sorted(found)

    def _pages(self, operation: str, field: str, **params: Any) -> Iterator[list[dict]]:
        token_in, token_out = {
            "list_objects_v2": ("ContinuationToken", "NextContinuationToken"),
        }.get(operation, (None, None))
        while True:
            answer = self._call(operation, **params)
            yield answer.get(field, [])
            if not answer.get("IsTruncated") or not token_in or not answer.get(token_out):
                return
            params[token_in] = answer[token_out]

    def stat(self, key: str) -> StoredFile:
        head = self._head(key)
        return StoredFile(key, int(head["ContentLength"]), _aware(head["LastModified"]))

    def temporary_parts(self) -> Iterator[StoredFile]:
        """Multipart uploads started under the prefix and never completed (see the module docstring)."""
        params: dict[str, Any] = {"Prefix": self.prefix}
        found = []
        while True:
            answer = self._call("list_multipart_uploads", **params)
            for upload in answer.get("Uploads", []):
                key = upload["Key"][len(self.prefix) :]
                found.append(
                    StoredFile(f"{key}{_UPLOAD}{upload['UploadId']}", 0, _aware(upload["Initiated"]), True)
                )
            if not answer.get("IsTruncated"):
                break
            params["KeyMarker"] = answer.get("NextKeyMarker")
            params["UploadIdMarker"] = answer.get("NextUploadIdMarker")
        yield from sorted(found, key=lambda f: f.name)

    def delete_temporary(self, name: str) -> None:
        if not isinstance(name, str) or _UPLOAD not in name:
            raise InvalidBlobKey(f"not a temporary part: {name!r}")
        key, upload_id = name.split(_UPLOAD, 1)
        if not upload_id:
            raise InvalidBlobKey(f"not a temporary part: {name!r}")
        with contextlib.suppress(BlobNotFound):
            self._call("abort_multipart_upload", Key=self.prefix + key, UploadId=upload_id)

    # -- beyond the protocol: health, verification, presigned links ---------------------------------

    def check(self) -> None:
        """Raise :class:`StorageUnavailable` unless the bucket answers a one-item listing (fast client:
        short timeouts, no retries), for ``/healthz``."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._health_client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"object storage: {exc}") from exc

    def recorded_sha256(self, key: str) -> tuple[int, str | None, str | None]:
        """Size, recorded SHA-256 (or None) and ETag (quotes removed) of a blob; BlobNotFound if absent."""
        head = self._head(key)
        etag = (head.get("ETag") or "").strip('"') or None
        return int(head["ContentLength"]), (head.get("Metadata") or {}).get(SHA256_METADATA), etag

    def presigned_url(
        self,
        key: str,
        *,
        content_type: str,
        disposition: str | None = None,
        cache_control: str | None = None,
        expires: int = PRESIGN_SECONDS,
    ) -> str:
        params = {"Bucket": self.bucket, "Key": self.object_name(key), "ResponseContentType": content_type}
        if disposition:
            params["ResponseContentDisposition"] = disposition
        if cache_control:
            params["ResponseCacheControl"] = cache_control
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)

    def presigned_origin(self) -> str:
        """``scheme://host[:port]`` of presigned links (for the pages' Content-Security-Policy)."""
        parts = urlsplit(
            self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": self.prefix + "x"}, ExpiresIn=60
            )
        )
        return f"{parts.scheme}://{parts.netloc}"


def _aware(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


_ADDRESSING = {"path": "path", "virtual": "virtual", "auto": "auto", "": None}
_CHECKSUMS = {"when_supported", "when_required"}


def s3_store_from_config(url: str, config: Mapping[str, Any]) -> S3BlobStore:
    """Build the store for ``s3://bucket/prefix`` from the ``S3_*`` settings (module docstring)."""
    import boto3
    from botocore.config import Config

    bucket, prefix = parse_s3_url(url)
    addressing = str(config.get("S3_ADDRESSING") or "").strip().lower()
    if addressing not in _ADDRESSING:
        raise ValueError(f"FIELDCHECK_S3_ADDRESSING must be path or virtual, not {addressing!r}")
    checksums = str(config.get("S3_CHECKSUMS") or "when_supported").strip().lower()
    if checksums not in _CHECKSUMS:
        raise ValueError(
            f"FIELDCHECK_S3_CHECKSUMS must be when_supported or when_required, not {checksums!r}"
        )
    endpoint = config.get("S3_ENDPOINT_URL") or None
    region = config.get("S3_REGION") or None
    common: dict[str, Any] = {
        "signature_version": "s3v4",
        "request_checksum_calculation": checksums,
        "response_checksum_validation": checksums,
    }
    if _ADDRESSING[addressing]:
        common["s3"] = {"addressing_style": _ADDRESSING[addressing]}
    session = boto3.session.Session()

    def client(**settings: Any) -> Any:
        return session.client(
            "s3", endpoint_url=endpoint, region_name=region, config=Config(**common, **settings)
        )

    # Requests: a store that is down fails in seconds. Health: one quick try.
    main = client(
        connect_timeout=5,
        read_timeout=60,
        retries={"mode": "standard", "max_attempts": 3},
        max_pool_connections=32,
    )
    health = client(connect_timeout=2, read_timeout=3, retries={"mode": "standard", "max_attempts": 1})
    return S3BlobStore(main, bucket, prefix, health_client=health)
