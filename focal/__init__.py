"""The Focal Django project: settings, root URLs, the Celery app (focal.celery).

Nothing is imported here, so the Django-free modules of this package (focal.usererror) stay
importable from pure code. FocalConfig.ready() loads the Celery app in every Django process.
"""
