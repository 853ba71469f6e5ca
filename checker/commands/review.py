"""`kubecheck review`'s input: an AdmissionReview request from a file or stdin, as the bytes the webhook would
receive. JSON is passed as written; YAML (handy for hand-written test requests) is sent as the JSON the API
server would send, so comments in it do not count, as they would not reach the webhook.
"""

from __future__ import annotations

import json

from ..api import read
from ..findings import error_place


def request_body(path: str) -> bytes | str:
    """The request body, or the one-line error (``file:line: error: ...``) that stops the command."""
    loaded = read([path])
    if loaded.errors:
        first = loaded.errors[0]
        return f"{error_place(first)}: error: {first.message}"
    documents = [document for document in loaded.documents if document.data is not None]
    name = documents[0].source.name if documents else ("<stdin>" if path == "-" else path)
    if len(documents) != 1:
        return f"{name}: error: expected one AdmissionReview request, found {len(documents)} documents"
    document = documents[0]
    if document.source.is_json:
        return document.source.text[document.start : document.end].encode()
    return json.dumps(document.data, ensure_ascii=False, default=str).encode()
