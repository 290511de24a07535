"""Flask blueprints of the admin API (``/_admin``)."""
