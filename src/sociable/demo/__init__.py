"""The demo workspace that ``make run`` creates: a site to audit, posts, a webhook receiver."""
