"""What the site expects of its PBX, and what the PBX has: sounds converted and written for Asterisk
(``sounds.py``), a comparison of the site with the live PBX over AMI (``check.py``), and their Frappe glue
(``service.py``: ``bench --site SITE callcenter check-pbx`` and the sounds of ``render-asterisk``)."""
