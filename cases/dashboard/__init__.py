"""Step clocks on screen and the team-lead dashboard (issue 9).

- ``selectors``: reads of clocks (a case's clocks with time left, the overdue queues);
- ``figures``: the dashboard's aggregates, a fixed number of queries whatever the data size;
- ``forms``: the date range / playbook filter (Korean errors);
- ``notifiers``: where overdue notices go (``KMCS_OVERDUE_NOTIFIER``);
- ``views`` / ``urls``: ``/dashboard/`` (leads, managers, auditors read), ``/dashboard/overdue/``
  (leads: everyone's overdue steps; agents: their own), and the pause / resume posts of the
  case page's clock panel.

The writes live in ``cases.services.clocks``; this package only reads and presents.
"""
