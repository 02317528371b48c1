"""The web dashboard (issue 7): server-rendered pages over the store, behind a log-in.

`create_app(settings)` in `app.py` builds the FastAPI application; `scope.py` says who may
see what, `auth.py` logs people in, `audit.py` keeps the audit log, `i18n.py` holds the words.
"""
