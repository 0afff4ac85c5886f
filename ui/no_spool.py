"""Keep uploaded files in memory: stop the web server from spooling them to a temporary file on disk.

Streamlit 1.67 serves the app with Starlette/uvicorn. Its upload handler
(``streamlit/web/server/starlette/starlette_routes.py``, ``_upload_put``) parses the multipart body with
``request.form()``, and Starlette's ``MultiPartParser`` puts every file part in a
``tempfile.SpooledTemporaryFile(max_size=MultiPartParser.spool_max_size)``, 1 MB by default: above 1 MB the
part rolls over to an unnamed file in ``$TMPDIR`` (``/tmp``), open until the handler has read it back.
Streamlit has no setting for this threshold, so this module sets it to 0, which ``SpooledTemporaryFile``
reads as "never roll over" (its own default). Memory stays bounded: Streamlit aborts the request while
streaming once the body exceeds ``server.maxUploadSize`` + 1 MB, and it reads the whole file into memory
right after parsing anyway (``upload.read()``).

Imported by app.py. That runs in the server process before any upload is possible (the uploader only
exists once app.py has run), and the class attribute is read on every request. tests/test_e2e.py
(``test_large_upload_never_touches_the_disk``) uploads 50 MB in a browser and watches the temp directory
and the server's open files.
"""
from __future__ import annotations

from starlette.formparsers import MultiPartParser

if not hasattr(MultiPartParser, "spool_max_size"):  # a Starlette upgrade renamed it: fail loudly, not silently
    raise RuntimeError("starlette.formparsers.MultiPartParser.spool_max_size is gone; update ui/no_spool.py")
MultiPartParser.spool_max_size = 0  # 0 = SpooledTemporaryFile never rolls over to disk
