"""The kernel every other layer stands on.

A leaf package: it imports nothing else from ``tianping``. Public modules:
``settings``, ``db``, ``timeutil``, ``money``, ``calendar``, ``validation``, ``divisions``, ``pii``,
``errors``, ``audit`` and ``authz``.
"""
