"""Screens of the cases app: the agent workspace (``workspace``, ``actions``) and the auditor's
history (``auditor``). Thin: validate input, call one service or selector, show the result."""
