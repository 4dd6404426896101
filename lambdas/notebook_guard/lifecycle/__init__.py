"""The lifecycle configurations notebook-guard attaches to move a notebook's storage volume across the recreate.

Fixed templates in this package (``*.sh``, and ``ngdata.py`` which they embed), rendered with every value quoted
(``shlex.quote``) by ``templates``. Nothing here calls AWS.
"""
